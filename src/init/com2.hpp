// COM2 (/dev/ttyS1): the frame channel to the host. Owns the fd, the frame sequence and the
// per-type byte counts that DONE reports. Single-threaded: a frame is written whole before the
// next starts, so two frames never interleave.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fd.hpp"
#include "ktstr/wire.hpp"

namespace ktstr::init {

class Com2 {
 public:
  // Opens the device in raw mode (cfmakeraw). On failure the channel stays closed: send() is then
  // a no-op that only counts, and the caller reports the absence on COM1.
  bool open(const char* path, std::string& error);
  bool is_open() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }

  // Sends one frame. Values longer than kMaxValue are cut (and a warning is the caller's job);
  // stream bytes should go through send_stream(), which chunks them.
  void send(wire::Tag type, std::string_view value);
  // Sends raw stream bytes as as many frames as needed (<= kStreamChunk each).
  void send_stream(wire::Tag type, std::string_view bytes);

  // Where payload output goes while COM2 is closed (COM1): degraded, but not silently lost.
  void set_fallback_fd(int fd) { fallback_fd_ = fd; }

  uint32_t frames_sent() const;
  const std::map<std::string, uint64_t>& value_bytes() const { return bytes_; }
  // Waits until the UART has sent everything written so far.
  void drain();
  // Reads host->guest bytes (RSIZ/STOP), if any; the fd is non-blocking for reads via poll only.
  int read_fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::map<std::string, uint64_t> bytes_;
  int fallback_fd_ = -1;
};

}  // namespace ktstr::init
