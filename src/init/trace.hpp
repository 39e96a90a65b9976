// trace_pipe -> COM1 (docs/architecture.md), with the sched_ext_dump tracepoint enabled, and DUMP
// frames when a scheduler debug dump starts and completes. trace_pipe is read non-blocking: a
// blocking reader parked on an empty buffer is never woken by tracing_on=0.
#pragma once

#include <string>

#include "com2.hpp"
#include "event_loop.hpp"
#include "fd.hpp"

namespace ktstr::init {

class TraceForwarder {
 public:
  TraceForwarder(EventLoop& loop, Com2& com2, int com1_fd) : loop_(loop), com2_(com2), com1_(com1_fd) {}

  // Enables the sched_ext_dump tracepoint (a failure there is logged: other events still flow)
  // and starts forwarding. True if forwarding runs; false with `error` naming the call if not.
  [[nodiscard]] bool start(std::string& error);
  bool dump_started() const { return dump_state_ != DumpState::none; }
  bool dump_in_progress() const { return dump_state_ == DumpState::started; }
  // Waits (bounded) until a dump in progress has reached COM1.
  void wait_dump_complete(uint64_t deadline_ns);
  // Disables the tracepoint, tracing_on=0, forwards what is left until trace_pipe is idle.
  void stop(uint64_t deadline_ns);

 private:
  enum class DumpState { none, started, complete };
  void on_readable();
  void scan_lines(std::string_view data);
  void dump_line_seen();

  EventLoop& loop_;
  Com2& com2_;
  int com1_;
  UniqueFd pipe_;
  Timer dump_idle_;
  DumpState dump_state_ = DumpState::none;
  std::string partial_;
  uint64_t last_read_ns_ = 0;
};

}  // namespace ktstr::init
