// The guest's lane writer on the host, over a pipe: what it writes decodes as an intact lane
// stream, seq from 0; DONE's "lane" object counts the same; a reader that never reads ends the
// writer at its deadline, and nothing is written after that.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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
  EXPECT_EQ(w.done_json(), R"({"frames":3,"bytes":{"FDAT":6,"FENT":3},"acked":false})");
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

// The host's LACK ends the wait only when it counts every frame written; silence ends it at the
// deadline. Over a socketpair: the port is read and written on one fd.
TEST(DataLane, WaitsForTheHostsAcknowledgement) {
  auto pair = [](int sv[2]) { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0); };
  auto lack = [](uint32_t frames) {
    std::string s;
    ktstr::lane::append_frame(s, ktstr::wire::kLack, 0, 0, "{\"frames\":" + std::to_string(frames) + "}");
    return s;
  };
  for (uint32_t answer : {2u, 1u}) {
    int sv[2];
    pair(sv);
    LaneWriter w;
    w.adopt(ktstr::UniqueFd(sv[0]), "socket");
    EXPECT_TRUE(w.write(ktstr::wire::kFent, "{}"));
    EXPECT_TRUE(w.write(ktstr::wire::kFend, "{}"));
    std::string a = lack(answer);
    ASSERT_EQ(::write(sv[1], a.data(), a.size()), ssize_t(a.size()));
    std::string err;
    bool ok = w.wait_ack(ktstr::boottime_ns() + 2000ull * 1000 * 1000, err);
    EXPECT_EQ(ok, answer == 2) << err;
    EXPECT_EQ(w.acked(), answer == 2);
    if (answer != 2) {
      EXPECT_EQ(err, "the host acknowledged 1 frames of 2");
    }
    EXPECT_NE(w.done_json().find(answer == 2 ? "\"acked\":true" : "\"acked\":false"), std::string::npos);
    ::close(sv[1]);
  }
  int sv[2];
  pair(sv);
  LaneWriter w;
  w.adopt(ktstr::UniqueFd(sv[0]), "socket");
  std::string err;
  EXPECT_FALSE(w.wait_ack(ktstr::boottime_ns() + 30ull * 1000 * 1000, err));
  EXPECT_EQ(err, "no acknowledgement from the host");
  ::close(sv[1]);
}

// After a warm start's K archive frames the host's LACK has seq K: the writer told so takes it,
// one that was not refuses it as a damaged stream.
TEST(DataLane, TheAckAfterAWarmStartsArchiveHasSeqK) {
  for (bool told : {true, false}) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    LaneWriter w;
    w.adopt(ktstr::UniqueFd(sv[0]), "socket");
    if (told) w.set_ack_seq(3);
    EXPECT_TRUE(w.write(ktstr::wire::kFend, "{}"));
    std::string a;
    ktstr::lane::append_frame(a, ktstr::wire::kLack, 3, 0, "{\"frames\":1}");
    ASSERT_EQ(::write(sv[1], a.data(), a.size()), ssize_t(a.size()));
    std::string err;
    EXPECT_EQ(w.wait_ack(ktstr::boottime_ns() + 2000ull * 1000 * 1000, err), told) << err;
    if (!told) {
      EXPECT_NE(err.find("seq 3, expected 0"), std::string::npos) << err;
    }
    ::close(sv[1]);
  }
}

// The lane a warm start kept is handed over once.
TEST(DataLane, AKeptLaneIsTakenOnce) {
  EXPECT_FALSE(ktstr::init::take_open_lane().fd.valid());
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  ::close(p[1]);
  ktstr::init::keep_open_lane({ktstr::UniqueFd(p[0]), "/dev/vport1p1", 4});
  ktstr::init::OpenLane got = ktstr::init::take_open_lane();
  EXPECT_EQ(got.fd.get(), p[0]);
  EXPECT_EQ(got.path, "/dev/vport1p1");
  EXPECT_EQ(got.host_frames, 4u);
  EXPECT_FALSE(ktstr::init::take_open_lane().fd.valid());
}
