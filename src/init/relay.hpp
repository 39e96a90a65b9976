// One direction of the shell proxy (docs/architecture.md): copies bytes from one fd to another on the
// event loop and never blocks. While the destination cannot take more, the source is not read,
// so back-pressure reaches the writer instead of piling up in init.
#pragma once

#include <array>
#include <cstdint>

#include "event_loop.hpp"

namespace ktstr::init {

class Relay {
 public:
  // src and dst are non-blocking, not owned, and must be distinct fd numbers (epoll keys on the
  // number: dup() an fd that is the source of one relay and the destination of the other).
  Relay(EventLoop& loop, int src, int dst);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // True once src reported EOF or an error (a PTY master says EIO when no slave is open) and
  // everything read was written, or dst failed. Nothing is watched any more.
  bool closed() const { return closed_; }
  // CLOCK_BOOTTIME of the last byte moved (for idle-based draining).
  uint64_t last_activity_ns() const { return last_ns_; }

 private:
  void on_readable();
  void on_writable();
  bool flush();  // writes what is buffered; false while dst is full
  void watch_src();
  void watch_dst();
  void close();

  EventLoop& loop_;
  int src_, dst_;
  bool closed_ = false;
  enum class Watching { none, src, dst } watching_ = Watching::none;
  std::array<char, 16384> buf_{};
  size_t off_ = 0, len_ = 0;
  uint64_t last_ns_ = 0;
};

}  // namespace ktstr::init
