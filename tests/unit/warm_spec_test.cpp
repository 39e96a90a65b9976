// A warm start's hand-over, host side (src/host/vm/warm_spec.cpp): the SPEC value init parses, the
// archive cut into ARCH lane frames, and the LACK that continues the same direction's seq.
#include "warm_spec.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ktstr/lane.hpp"
#include "output_collector.hpp"
#include "test_util.hpp"

namespace w = ktstr::wire;
namespace l = ktstr::lane;
using ktstr::host::archive_lane_frames;
using ktstr::host::OutputCollector;
using ktstr::host::spec_value;
using nlohmann::json;

namespace {

struct Got {
  std::string type;
  uint32_t seq;
  std::string value;
};

std::vector<Got> decode(const std::string& lane_bytes) {
  std::vector<Got> got;
  l::LaneDecoder d([&](const w::Frame& f) {
    got.push_back({std::string(f.type.view()), f.seq,
                   std::string(reinterpret_cast<const char*>(f.value.data()), f.value.size())});
  });
  d.feed(lane_bytes);
  d.finish();
  EXPECT_FALSE(d.damaged()) << d.summary();
  return got;
}

}  // namespace

TEST(WarmSpec, SpecValueCarriesEveryMember) {
  std::string entropy;
  for (int i = 0; i < 64; ++i) entropy += char(i * 4 + 3);
  std::string v = spec_value({"KTSTR_TOPO=1,1,2,1", "KTSTR_TIMEOUT=5"}, 1764000000123456789ull, entropy, 4096, 1);
  json j = json::parse(v);
  EXPECT_EQ(j["words"], json({"KTSTR_TOPO=1,1,2,1", "KTSTR_TIMEOUT=5"}));
  EXPECT_EQ(j["realtime_ns"].get<uint64_t>(), 1764000000123456789ull);
  EXPECT_EQ(j["archive_bytes"], 4096);
  EXPECT_EQ(j["archive_frames"], 1);
  std::string hex = j["entropy"];
  ASSERT_EQ(hex.size(), 128u);
  EXPECT_EQ(hex.substr(0, 6), "03070b");  // bytes 3, 7, 11
  EXPECT_EQ(hex.substr(126), "ff");       // 63*4+3 = 255
  EXPECT_LT(v.size(), w::kMaxValue);
}

TEST(WarmSpec, EntropyMustBe64Bytes) {
  EXPECT_THROW(spec_value({}, 0, std::string(63, 'x'), 0, 0), std::invalid_argument);
  EXPECT_THROW(spec_value({}, 0, std::string(65, 'x'), 0, 0), std::invalid_argument);
}

// The archive is cut at the lane's maximum value: a 2.5 MiB archive is 3 frames, seq 0..2, and
// their values joined are the archive.
TEST(WarmSpec, ArchiveFramesSplitAtTheLaneMaximum) {
  std::string archive;
  for (size_t i = 0; i < l::kLaneMaxValue * 5 / 2; ++i) archive += char(i * 7);
  uint32_t frames = 99;
  std::vector<Got> got = decode(archive_lane_frames(archive, 0, frames));
  EXPECT_EQ(frames, 3u);
  ASSERT_EQ(got.size(), 3u);
  std::string joined;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].type, "ARCH");
    EXPECT_EQ(got[i].seq, i);
    EXPECT_LE(got[i].value.size(), l::kLaneMaxValue);
    joined += got[i].value;
  }
  EXPECT_EQ(joined, archive);
  EXPECT_EQ(archive_lane_frames("", 0, frames), "");
  EXPECT_EQ(frames, 0u);
}

// After K archive frames the output tree's LACK has seq K: the guest reads the whole host -> guest
// direction with one decoder, which takes only the next seq.
TEST(WarmSpec, TheLackContinuesAfterTheArchive) {
  uint32_t frames = 0;
  std::string lane_bytes = archive_lane_frames(std::string(3 * l::kLaneMaxValue, 'a'), 0, frames);
  ASSERT_EQ(frames, 3u);
  ktstr::test::ScratchDir d("warm_spec");
  OutputCollector c;
  c.set_first_ack_seq(frames);
  c.take(d.path() + "/out", 1 << 20);
  std::string tree;
  l::append_frame(tree, w::kFend, 0, 1, R"({"files":0,"dirs":0,"symlinks":0,"bytes":0,"skipped":0,"cut":0,"changed":[]})");
  c.on_lane(tree);
  lane_bytes += c.take_ack();
  std::vector<Got> got = decode(lane_bytes);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[3].type, "LACK");
  EXPECT_EQ(got[3].seq, 3u);
  EXPECT_EQ(got[3].value, R"({"frames":1})");
}
