// The guest's lane writer on the host, over a pipe: what it writes decodes as an intact lane
// stream, seq from 0; DONE's "lane" object counts the same; a reader that never reads ends the
// writer at its deadline, and nothing is written after that.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "../test_util.hpp"
#include "data_lane.hpp"
#include "ktstr/lane.hpp"

using ktstr::init::LaneWriter;

namespace {

LaneWriter over_pipe(int& read_end) {
  int p[2];
  EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
  read_end = p[0];
  LaneWriter w;
  w.adopt(ktstr::UniqueFd(p[1]), "pipe");
  return w;
}

}  // namespace

TEST(DataLane, FramesDecodeIntactAndDoneCountsThem) {
  int rd = -1;
  LaneWriter w = over_pipe(rd);
  std::string big(ktstr::lane::kLaneMaxValue, 'x');
  for (size_t i = 0; i < big.size(); i += 4093) big[i] = char(i);
  std::string got;
  std::thread reader([&] {  // the pipe holds 64 KiB: a MiB value needs a reader meanwhile
    char buf[65536];
    ssize_t n;
    while ((n = ::read(rd, buf, sizeof buf)) > 0) got.append(buf, size_t(n));
  });
  EXPECT_TRUE(w.write(ktstr::wire::kFent, R"({"path":"a"})"));
  EXPECT_TRUE(w.write(ktstr::wire::kFdat, big));
  EXPECT_TRUE(w.write(ktstr::wire::kFdat, ""));
  EXPECT_TRUE(w.write(ktstr::wire::kFend, "{}"));
  w = LaneWriter();  // closes the write end
  reader.join();
  ::close(rd);

  std::vector<std::string> values;
  ktstr::lane::LaneDecoder d([&](const ktstr::wire::Frame& f) {
    values.emplace_back(std::string(f.type.view()) + ":" + std::to_string(f.seq) + ":" + std::to_string(f.value.size()));
    if (f.value.size() == big.size()) {
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.value.data()), f.value.size()), big);
    }
  });
  d.feed(got);
  d.finish();
  EXPECT_EQ(d.summary(), "4 frames, " + std::to_string(got.size()) + " bytes, intact");
  EXPECT_EQ(values, (std::vector<std::string>{"FENT:0:12", "FDAT:1:1048576", "FDAT:2:0", "FEND:3:2"}));
}

TEST(DataLane, DoneJsonCountsFramesAndBytesPerType) {
  int rd = -1;
  LaneWriter w = over_pipe(rd);
  EXPECT_TRUE(w.write(ktstr::wire::kFent, "abc"));
  EXPECT_TRUE(w.write(ktstr::wire::kFdat, "12345"));
  EXPECT_TRUE(w.write(ktstr::wire::kFdat, "6"));
  EXPECT_EQ(w.frames(), 3u);
  EXPECT_EQ(w.done_json(), R"({"frames":3,"bytes":{"FDAT":6,"FENT":3}})");
  ::close(rd);
}

// A host that stops reading: the write gives up at the deadline, says why in DONE, and the
// writer writes nothing more.
TEST(DataLane, AFullLaneEndsAtTheDeadline) {
  int rd = -1;
  LaneWriter w = over_pipe(rd);
  w.set_deadline(ktstr::boottime_ns() + 50 * 1000 * 1000);
  std::string chunk(300000, 'y');  // more than the pipe holds
  EXPECT_FALSE(w.write(ktstr::wire::kFdat, chunk));
  EXPECT_TRUE(w.failed());
  EXPECT_EQ(w.frames(), 0u);
  EXPECT_NE(w.done_json().find(R"("error":"deadline passed while writing pipe)"), std::string::npos) << w.done_json();
  EXPECT_FALSE(w.write(ktstr::wire::kFend, "{}"));
  ::close(rd);
}

// The host's FACK on the same port (a socket pair here) ends the wait; other frames before it do
// not. Without it, the wait ends at the deadline and DONE says why.
TEST(DataLane, WaitsForTheHostsAck) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  LaneWriter w;
  w.adopt(ktstr::UniqueFd(sv[0]), "socket");
  w.set_deadline(ktstr::boottime_ns() + 5000ull * 1000 * 1000);
  EXPECT_TRUE(w.write(ktstr::wire::kFend, "{}"));
  std::thread host([&] {
    std::string back;
    ktstr::lane::append_frame(back, ktstr::wire::kStat, 0, 1, "{}");
    ktstr::lane::append_frame(back, ktstr::wire::kFack, 1, 2, R"({"frames":1})");
    for (char c : back) {  // a byte at a time: the reader must reassemble
      ASSERT_EQ(::write(sv[1], &c, 1), 1);
      if (c == back[30]) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  EXPECT_TRUE(w.wait_for(ktstr::wire::kFack)) << w.error();
  host.join();
  EXPECT_FALSE(w.failed());
  ::close(sv[1]);
}

TEST(DataLane, NoAckEndsAtTheDeadline) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  LaneWriter w;
  w.adopt(ktstr::UniqueFd(sv[0]), "socket");
  w.set_deadline(ktstr::boottime_ns() + 50 * 1000 * 1000);
  EXPECT_FALSE(w.wait_for(ktstr::wire::kFack));
  EXPECT_NE(w.done_json().find(R"("error":"deadline passed waiting for the host's FACK on socket")"), std::string::npos)
      << w.done_json();
  ::close(sv[1]);
}

// The port is found by its sysfs name, whatever its number.
TEST(DataLane, FindsThePortByName) {
  ktstr::test::ScratchDir sys("ktstr-virtio-ports");
  auto port = [&](const std::string& dir, const std::string& name) {
    ASSERT_EQ(::mkdir((sys.path() + "/" + dir).c_str(), 0755), 0);
    int fd = ::open((sys.path() + "/" + dir + "/name").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, name.data(), name.size()), ssize_t(name.size()));
    ::close(fd);
  };
  EXPECT_EQ(ktstr::init::find_lane_port(sys.path()), "");
  port("vport0p1", "org.qemu.guest_agent.0\n");
  EXPECT_EQ(ktstr::init::find_lane_port(sys.path()), "");
  port("vport1p2", "org.ktstr.lane\n");
  EXPECT_EQ(ktstr::init::find_lane_port(sys.path()), "/dev/vport1p2");
  EXPECT_EQ(ktstr::init::find_lane_port(sys.path() + "/none"), "");
}
