// init's side of stdin forwarding on the host: STDI bytes reach the payload's pipe in order,
// byte-exact; the end of input is EOF; SACK counts what was taken and keeps the window; a full
// pipe never blocks (the loop is told to wait for room); a closed reader drops the rest.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "stdin_feed.hpp"

using ktstr::init::EventLoop;
using ktstr::init::StdinFeed;

namespace {

struct Fixture {
  EventLoop loop;
  std::vector<std::string> acks;
  StdinFeed feed{loop, [this](const std::string& a) { acks.push_back(a); }};
  Fixture() {
    signal(SIGPIPE, SIG_IGN);  // as in init, where it is blocked: a closed reader is EPIPE
    std::string err;
    EXPECT_TRUE(loop.open(err)) << err;
    EXPECT_TRUE(feed.open(err)) << err;
  }
  // Reads what the payload would, up to EOF or until nothing is left (non-blocking).
  std::string drain(int fd, bool& eof) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    std::string out;
    char buf[65536];
    eof = false;
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) out.append(buf, size_t(n));
      else {
        eof = n == 0;
        return out;
      }
    }
  }
};

}  // namespace

TEST(StdinFeed, BytesArriveInOrderThenEof) {
  Fixture f;
  EXPECT_EQ(f.feed.read_end(), -1);  // not granted: the payload would get /dev/null
  f.feed.grant();
  ASSERT_EQ(f.acks.size(), 1u);
  EXPECT_EQ(f.acks[0], "{\"taken\":0,\"window\":65536,\"closed\":false}");
  int fd = dup(f.feed.read_end());
  f.feed.child_started();
  std::string data("a\0b\x01x\xff", 6);
  f.feed.on_data(data);
  f.feed.on_data("tail");
  f.feed.on_data("");
  EXPECT_TRUE(f.feed.finished());
  bool eof = false;
  EXPECT_EQ(f.drain(fd, eof), data + "tail");
  EXPECT_TRUE(eof);
  EXPECT_EQ(f.acks.back(), "{\"taken\":10,\"window\":65536,\"closed\":false}");
  close(fd);
}

// More than the pipe holds: the rest waits in init (within the window) and follows once the
// reader has made room, through the loop; nothing is lost or reordered.
TEST(StdinFeed, FullPipeWaitsForTheReaderWithoutBlocking) {
  Fixture f;
  f.feed.grant();
  int fd = dup(f.feed.read_end());
  f.feed.child_started();
  std::string sent;
  for (int i = 0; i < 16; ++i) {  // 16 x 8 KiB = 128 KiB: twice a default pipe
    std::string chunk(8192, char('A' + i));
    chunk[0] = '\0';
    f.feed.on_data(chunk);
    sent += chunk;
    if (f.feed.buffered() >= StdinFeed::kWindow - 8192) break;  // as far as the host may go
  }
  EXPECT_GT(f.feed.buffered(), 0u);
  std::string got;
  bool eof = false;
  for (int round = 0; round < 100 && got.size() < sent.size(); ++round) {
    got += f.drain(fd, eof);
    f.loop.run_until([] { return false; }, ktstr::boottime_ns() + 10'000'000ull);
  }
  got += f.drain(fd, eof);
  EXPECT_TRUE(got == sent) << got.size() << " of " << sent.size();
  EXPECT_EQ(f.feed.taken(), sent.size());
  close(fd);
}

// The payload closed its stdin (exited): EPIPE, the rest is dropped, SACK says closed, and
// later bytes are taken at once so the host never waits on them.
TEST(StdinFeed, ClosedReaderDropsTheRestAndSaysSo) {
  Fixture f;
  f.feed.grant();
  f.feed.child_started();  // nobody holds the read end any more
  f.feed.on_data("lost");
  EXPECT_TRUE(f.feed.closed());
  EXPECT_EQ(f.acks.back(), "{\"taken\":4,\"window\":65536,\"closed\":true}");
  f.feed.on_data("more");
  EXPECT_EQ(f.feed.taken(), 8u);
}

// A host that ignores the window cannot make init hold more than one window.
TEST(StdinFeed, ExcessOverTheWindowIsDropped) {
  Fixture f;
  f.feed.grant();
  int fd = dup(f.feed.read_end());  // held, never read: the pipe fills
  f.feed.child_started();
  std::string big(8192, 'x');
  for (int i = 0; i < 64; ++i) f.feed.on_data(big);  // 512 KiB
  EXPECT_LE(f.feed.buffered(), StdinFeed::kWindow);
  EXPECT_EQ(f.feed.taken() , 64u * 8192u - f.feed.buffered());
  close(fd);
}
