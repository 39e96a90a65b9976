// init's COM2 writer on the host, with a PTY standing in for the UART: frames go out whole and in
// order; attached to the loop it never blocks, queues what the line cannot take, throttles bulk
// producers above the high-water mark and resumes them once the queue drains; detach() flushes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "com2.hpp"
#include "ktstr/frame_decoder.hpp"

using ktstr::init::Com2;
using ktstr::init::EventLoop;
using ktstr::init::UniqueFd;
namespace wire = ktstr::wire;

namespace {

uint64_t in_ms(uint64_t ms) { return ktstr::init::boottime_ns() + ms * 1000000ull; }

// The host end of the line: reads the PTY master and decodes what init wrote on the slave.
class Line {
 public:
  Line() : decoder_([this](const wire::Frame& f) {
             values.emplace_back(reinterpret_cast<const char*>(f.value.data()), f.value.size());
             seqs.push_back(f.seq);
           }) {
    int m, s;
    char name[128];
    EXPECT_EQ(openpty(&m, &s, name, nullptr, nullptr), 0);
    master_.reset(m);
    slave_.reset(s);  // kept open, so the line stays up between init's writes
    path = name;
    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
  }
  int master() const { return master_.get(); }
  // Reads what is there now; returns the byte count.
  size_t read_available() {
    size_t total = 0;
    uint8_t buf[4096];
    for (ssize_t n; (n = ::read(master_.get(), buf, sizeof buf)) > 0;) {
      decoder_.feed(std::span<const uint8_t>(buf, size_t(n)));
      total += size_t(n);
    }
    return total;
  }
  const wire::DecodeStats& stats() const { return decoder_.stats(); }

  std::string path;
  std::vector<std::string> values;
  std::vector<uint32_t> seqs;

 private:
  UniqueFd master_, slave_;
  wire::FrameDecoder decoder_;
};

// COM2 open on a fresh line, and a loop to attach it to.
class Com2Queue : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(com2.open(line.path.c_str(), error)) << error;
    ASSERT_TRUE(loop.open(error)) << error;
  }
  Line line;
  Com2 com2;
  EventLoop loop;
};

bool in_order(const std::vector<uint32_t>& seqs) {
  for (size_t i = 1; i < seqs.size(); ++i)
    if (seqs[i] != seqs[i - 1] + 1) return false;
  return true;
}

}  // namespace

// Without a loop, send() writes through: the frame is on the line when it returns.
TEST_F(Com2Queue, WritesThroughWhenNotAttached) {
  com2.send(wire::kPhas, "{\"phase\":\"x\"}");
  com2.send_stream(wire::kSout, "hello");
  line.read_available();
  ASSERT_EQ(line.values.size(), 2u);
  EXPECT_EQ(line.values[0], "{\"phase\":\"x\"}");
  EXPECT_EQ(line.values[1], "hello");
  EXPECT_EQ(com2.value_bytes().at("SOUT"), 5u);
  EXPECT_EQ(line.stats().corrupt, 0u);
}

// Attached: 400 KB of stream frames while nobody reads the line. send() returns at once every
// time; above the high-water mark a bulk fd is no longer dispatched (a normal one still is); as
// the host reads, the queue drains, the bulk fd resumes, and every frame arrives whole, in order.
TEST_F(Com2Queue, QueuesWithoutBlockingThrottlesBulkAndDeliversEverything) {
  com2.attach(loop);

  int ready[2];
  ASSERT_EQ(pipe2(ready, O_NONBLOCK | O_CLOEXEC), 0);
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  ASSERT_EQ(::write(ready_w.get(), "x", 1), 1);
  int bulk_calls = 0;
  loop.add(ready_r.get(), EPOLLIN, [&](uint32_t) { ++bulk_calls; }, EventLoop::Priority::bulk);

  const std::string chunk(4000, 'a');
  constexpr int kFrames = 100;
  for (int i = 0; i < kFrames; ++i) com2.send_stream(wire::kSout, chunk);
  EXPECT_FALSE(loop.run_until([&] { return bulk_calls > 0; }, in_ms(50))) << "bulk fd ran while COM2 was full";

  loop.add(line.master(), EPOLLIN, [&](uint32_t) { line.read_available(); });
  ASSERT_TRUE(loop.run_until([&] { return line.values.size() == kFrames && bulk_calls > 0; }, in_ms(10000)))
      << line.values.size() << " frames, bulk calls " << bulk_calls;
  loop.remove(line.master());
  com2.detach();
  EXPECT_TRUE(in_order(line.seqs));
  EXPECT_EQ(line.stats().corrupt, 0u);
  for (const auto& v : line.values) EXPECT_EQ(v, chunk);
}

// detach() writes out what is still queued before it returns (DONE goes after it).
TEST_F(Com2Queue, DetachFlushesTheQueue) {
  com2.attach(loop);
  for (int i = 0; i < 20; ++i) com2.send(wire::kBeat, "{}");
  com2.detach();
  com2.send(wire::kDone, "{}");
  line.read_available();
  ASSERT_EQ(line.values.size(), 21u);
  EXPECT_TRUE(in_order(line.seqs));
  EXPECT_EQ(line.values.back(), "{}");
}

// A warm start's SPEC restarts the stream: the next frame (HELO) has seq 0, and DONE's counts
// begin there.
TEST_F(Com2Queue, RestartStreamBeginsAtSeqZeroWithZeroedCounts) {
  com2.send(wire::kWait, "{}");
  com2.send_stream(wire::kIlog, "before");
  com2.restart_stream();
  EXPECT_EQ(com2.frames_sent(), 0u);
  EXPECT_TRUE(com2.value_bytes().empty());
  com2.send(wire::kHelo, "{}");
  line.read_available();
  EXPECT_EQ(line.seqs.back(), 0u);
  EXPECT_EQ(com2.frames_sent(), 1u);
  EXPECT_EQ(com2.value_bytes().at("HELO"), 2u);
}
