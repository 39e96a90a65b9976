// The snapshot's feed to QEMU: an intact file goes out whole, a changed one goes out short (QEMU's
// load then fails and the run boots cold), and the sum's text form round-trips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ktstr/wire.hpp"
#include "snapshot_feed.hpp"

namespace fs = std::filesystem;
using namespace ktstr::host;

namespace {

struct Feed {
  int status;
  std::string out, error;
};

Feed feed(const std::string& path, const SnapshotSum& want) {
  std::string tmp = fs::temp_directory_path() / ("feed_out." + std::to_string(getpid()));
  FILE* f = fopen(tmp.c_str(), "w+");
  Feed r;
  r.status = feed_snapshot(path, want, fileno(f), r.error);
  fflush(f);
  std::ifstream in(tmp, std::ios::binary);
  r.out.assign(std::istreambuf_iterator<char>(in), {});
  fclose(f);
  fs::remove(tmp);
  return r;
}

std::string write_file(const std::string& name, const std::string& bytes) {
  std::string p = fs::temp_directory_path() / (name + "." + std::to_string(getpid()));
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

}  // namespace

TEST(SnapshotFeed, AnIntactFileGoesOutWhole) {
  std::string bytes(3 * (1 << 20) + 12345, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = char(i * 131 + (i >> 9));
  std::string p = write_file("snap", bytes);
  SnapshotSum sum = sum_file(p);
  EXPECT_EQ(sum.bytes, bytes.size());
  Feed r = feed(p, sum);
  EXPECT_EQ(r.status, 0) << r.error;
  EXPECT_EQ(r.out, bytes);
  fs::remove(p);
}

TEST(SnapshotFeed, AChangedFileGoesOutShortWithTheReason) {
  std::string bytes(2 * (1 << 20) + 7, 'x');
  {
    // A big one: all but its last 8 MiB go out, so QEMU never sees the stream's end.
    std::string big(20 * (1 << 20) + 5, 'b');
    std::string p = write_file("big", big);
    SnapshotSum sum = sum_file(p);
    big[100] = 'c';
    std::ofstream(p, std::ios::binary) << big;
    Feed r = feed(p, sum);
    EXPECT_EQ(r.status, 1);
    EXPECT_GE(big.size() - r.out.size(), size_t(8) << 20);
    EXPECT_EQ(r.out, big.substr(0, r.out.size()));
    fs::remove(p);
  }
  std::string p = write_file("snap", bytes);
  SnapshotSum sum = sum_file(p);
  bytes[bytes.size() / 2] = 'y';  // one byte, same size
  std::ofstream(p, std::ios::binary) << bytes;
  Feed r = feed(p, sum);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out.size(), 0u) << "the last 8 MiB are held back: all of this file";
  EXPECT_NE(r.error.find("changed on disk"), std::string::npos) << r.error;
  // Shorter or longer is caught the same way.
  std::ofstream(p, std::ios::binary) << bytes.substr(0, 100);
  EXPECT_EQ(feed(p, sum).status, 1);
  fs::remove(p);
  Feed gone = feed(p, sum);
  EXPECT_EQ(gone.status, 1);
  EXPECT_EQ(gone.out, "");
  EXPECT_FALSE(gone.error.empty());
}

// The CPU's CRC32C instruction and the table-driven one agree, at every length and offset.
TEST(SnapshotFeed, TheFastCrcIsTheWireCrc) {
  std::string bytes(4096 + 13, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = char(i * 2654435761u >> 13);
  for (size_t off : {0u, 1u, 3u, 7u})
    for (size_t len : {0u, 1u, 7u, 8u, 9u, 63u, 4096u})
      EXPECT_EQ(snapshot_crc32c(0x1234u, bytes.data() + off, len), ktstr::wire::crc32c(0x1234u, bytes.data() + off, len))
          << off << " " << len;
  EXPECT_EQ(snapshot_crc32c(0, "123456789", 9), 0xE3069283u);
}

TEST(SnapshotFeed, SumTextRoundTripsAndRefusesGarbage) {
  SnapshotSum s{88123456, 0x0badf00d};
  EXPECT_EQ(sum_text(s), "88123456 0badf00d");
  SnapshotSum back;
  ASSERT_TRUE(parse_sum(sum_text(s), back));
  EXPECT_EQ(back, s);
  for (const char* bad : {"", "abc", "12", "12 xyz", "-1 00000000", "12 0badf00d extra"})
    EXPECT_FALSE(parse_sum(bad, back)) << bad;
}

TEST(SnapshotFeed, TheIncomingCommandQuotesThePaths) {
  std::string in = snapshot_incoming("/opt/k tools/ktstr-vm", "/c/it's/snapshot", {5, 0xabc});
  EXPECT_EQ(in.rfind("exec:", 0), 0u) << in;
  EXPECT_NE(in.find("snapshot-feed"), std::string::npos) << in;
  EXPECT_NE(in.find(" 5 00000abc"), std::string::npos) << in;
  EXPECT_NE(in.find("'/opt/k tools/ktstr-vm'"), std::string::npos) << in;
  EXPECT_NE(in.find("'/c/it'\\''s/snapshot'"), std::string::npos) << in;
}
