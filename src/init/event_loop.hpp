// The one event loop (docs/architecture.md): a single epoll_wait dispatching each ready fd to a small
// handler that never blocks. Every waiting phase runs the loop until its condition holds.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "fd.hpp"

namespace ktstr::init {

class EventLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;

  // Creates the epoll instance. False with `error` ("epoll_create1: ...") if it cannot.
  [[nodiscard]] bool open(std::string& error);
  // Among the fds ready at once, urgent handlers run first (the reaper: a death must not wait
  // behind output), bulk ones last. Bulk fds (output producers) can also be throttled while the
  // COM2 queue is full; urgent and normal ones (timers, the reaper) never are.
  enum class Priority { urgent, normal, bulk };
  // Watches fd (not owned) for events; the handler is called once per readiness.
  void add(int fd, uint32_t events, Handler handler, Priority priority = Priority::normal);
  void remove(int fd);
  // Changes the events watched on a registered fd (0: none for now).
  void modify(int fd, uint32_t events);
  // Stops (true) or resumes (false) watching every bulk fd.
  void set_throttled(bool throttled);
  // Dispatches events until done() returns true or deadline_ns (CLOCK_BOOTTIME) passes.
  // Returns true if done() became true.
  bool run_until(const std::function<bool()>& done, uint64_t deadline_ns = UINT64_MAX);

 private:
  UniqueFd epfd_;
  struct Entry {
    std::shared_ptr<Handler> handler;
    Priority priority;
    uint32_t events;
  };
  void apply(int fd, const Entry& e);  // EPOLL_CTL_MOD with the events in force now

  std::unordered_map<int, Entry> handlers_;
  bool throttled_ = false;
};

// A timerfd on CLOCK_BOOTTIME. One-shot or periodic; owned fd.
class Timer {
 public:
  // Creates the timerfd and registers `on_fire` with the loop. False with `error`
  // ("timerfd_create: ...") if it cannot: the caller decides what the run does without it.
  [[nodiscard]] bool create(EventLoop& loop, std::function<void()> on_fire, std::string& error);
  void arm_in_ms(uint64_t ms, uint64_t period_ms = 0);
  void disarm();
  ~Timer();

 private:
  EventLoop* loop_ = nullptr;
  UniqueFd fd_;
};

// Milliseconds from nanoseconds, rounded down (for reports).
inline uint64_t ns_to_ms(uint64_t ns) { return ns / 1000000; }
// CLOCK_BOOTTIME `ms` milliseconds from now, for run_until: every wait of a run is bounded by one.
inline uint64_t after_ms(uint64_t ms) { return boottime_ns() + ms * 1000000ull; }

}  // namespace ktstr::init
