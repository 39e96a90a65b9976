// Forwards one pipe's bytes to COM2 as stream frames (SOUT/SERR/SLOG), live.
// "Drained" means the read end is closed: EOF seen, nothing can be lost after that.
#pragma once

#include "com2.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "ktstr/wire.hpp"

namespace ktstr::init {

class Pump {
 public:
  Pump(EventLoop& loop, Com2& com2, wire::Tag tag, UniqueFd read_end);
  ~Pump();
  Pump(const Pump&) = delete;
  Pump& operator=(const Pump&) = delete;

  bool drained() const { return !fd_.valid(); }
  // Reads whatever is buffered now (until EAGAIN or EOF), without waiting.
  void read_available();
  // Stops forwarding (e.g. a holder of the write end would never exit); what was read is sent.
  void close();

 private:
  bool read_once();  // false when EAGAIN or EOF

  EventLoop& loop_;
  Com2& com2_;
  wire::Tag tag_;
  UniqueFd fd_;
};

}  // namespace ktstr::init
