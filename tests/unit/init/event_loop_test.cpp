// init's event loop on the host: urgent handlers before bulk ones among fds ready at once, bulk
// fds throttled (and only those), deadlines, timers.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "event_loop.hpp"

using ktstr::init::EventLoop;
using ktstr::init::Timer;
using ktstr::init::UniqueFd;

namespace {

// A pipe with one byte waiting: its read end is readable until drained.
struct ReadyPipe {
  UniqueFd r, w;
  ReadyPipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    r.reset(fds[0]);
    w.reset(fds[1]);
    EXPECT_EQ(::write(w.get(), "x", 1), 1);
  }
  void drain() {
    char c;
    while (::read(r.get(), &c, 1) == 1) {
    }
  }
};

EventLoop open_loop() {
  EventLoop loop;
  std::string error;
  EXPECT_TRUE(loop.open(error)) << error;
  return loop;
}

uint64_t in_ms(uint64_t ms) { return ktstr::init::boottime_ns() + ms * 1000000ull; }

}  // namespace

// Registered in the worst order (bulk first), the urgent handler still runs first.
TEST(EventLoop, UrgentHandlersRunBeforeNormalAndBulk) {
  EventLoop loop = open_loop();
  ReadyPipe bulk, normal, urgent;
  std::vector<std::string> order;
  loop.add(bulk.r.get(), EPOLLIN, [&](uint32_t) {
    order.push_back("bulk");
    bulk.drain();
  }, EventLoop::Priority::bulk);
  loop.add(normal.r.get(), EPOLLIN, [&](uint32_t) {
    order.push_back("normal");
    normal.drain();
  });
  loop.add(urgent.r.get(), EPOLLIN, [&](uint32_t) {
    order.push_back("urgent");
    urgent.drain();
  },
           EventLoop::Priority::urgent);
  EXPECT_TRUE(loop.run_until([&] { return order.size() == 3; }, in_ms(2000)));
  EXPECT_EQ(order, (std::vector<std::string>{"urgent", "normal", "bulk"}));
}

// Throttled: bulk fds are not dispatched, normal ones are; unthrottled, the bulk fd gets its turn.
TEST(EventLoop, ThrottlingPausesOnlyBulkFds) {
  EventLoop loop = open_loop();
  ReadyPipe bulk, normal;
  int bulk_calls = 0, normal_calls = 0;
  loop.set_throttled(true);
  loop.add(bulk.r.get(), EPOLLIN, [&](uint32_t) {
    ++bulk_calls;
    bulk.drain();
  }, EventLoop::Priority::bulk);
  loop.add(normal.r.get(), EPOLLIN, [&](uint32_t) {
    ++normal_calls;
    normal.drain();
  });
  EXPECT_TRUE(loop.run_until([&] { return normal_calls == 1; }, in_ms(2000)));
  EXPECT_FALSE(loop.run_until([&] { return bulk_calls > 0; }, in_ms(50)));
  loop.set_throttled(false);
  EXPECT_TRUE(loop.run_until([&] { return bulk_calls == 1; }, in_ms(2000)));
}

// A handler may remove another fd that is ready in the same batch: it is not called any more.
TEST(EventLoop, HandlerRemovedInTheSameBatchIsNotCalled) {
  EventLoop loop = open_loop();
  ReadyPipe first, second;
  bool second_called = false, first_called = false;
  loop.add(first.r.get(), EPOLLIN, [&](uint32_t) {
    first_called = true;
    first.drain();
    loop.remove(second.r.get());
  }, EventLoop::Priority::urgent);
  loop.add(second.r.get(), EPOLLIN, [&](uint32_t) { second_called = true; }, EventLoop::Priority::bulk);
  EXPECT_TRUE(loop.run_until([&] { return first_called; }, in_ms(2000)));
  loop.run_until([] { return false; }, in_ms(20));
  EXPECT_FALSE(second_called);
}

// Nothing happens: run_until returns false at the deadline instead of blocking.
TEST(EventLoop, RunUntilReturnsFalseAtTheDeadline) {
  EventLoop loop = open_loop();
  EXPECT_FALSE(loop.run_until([] { return false; }, in_ms(20)));
  EXPECT_TRUE(loop.run_until([] { return true; }, in_ms(0)));
}

// A one-shot timer fires once; a periodic one keeps firing until disarmed.
TEST(EventLoop, TimersFireOnceOrPeriodically) {
  EventLoop loop = open_loop();
  int once = 0, periodic = 0;
  Timer a, b;
  std::string error;
  ASSERT_TRUE(a.create(loop, [&] { ++once; }, error)) << error;
  ASSERT_TRUE(b.create(loop, [&] { ++periodic; }, error)) << error;
  a.arm_in_ms(1);
  b.arm_in_ms(1, 1);
  EXPECT_TRUE(loop.run_until([&] { return periodic >= 3; }, in_ms(2000)));
  EXPECT_EQ(once, 1);
  b.disarm();
  int seen = periodic;
  loop.run_until([] { return false; }, in_ms(20));
  EXPECT_EQ(periodic, seen);
}
