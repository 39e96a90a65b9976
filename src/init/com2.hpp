// COM2 (/dev/ttyS1): the frame channel to the host. Owns the fd, the frame sequence and the
// per-type byte counts that DONE reports. Single-threaded: frames are written whole and in order,
// so two frames never interleave.
//
// Two modes. Without an event loop (boot, DONE, reboot) send() writes through, blocking. While
// attached to the loop (both paths, from GuestCore::set_up) it never blocks: frames queue, the loop writes them when
// the UART has room, and bulk producers are throttled while the queue is above a high-water mark,
// so the reaper and the timers stay responsive however much output is flowing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "event_loop.hpp"
#include "fd.hpp"
#include "ktstr/wire.hpp"

namespace ktstr::init {

class Com2 {
 public:
  // Opens the device in raw mode (cfmakeraw). On failure the channel stays closed: send() is then
  // a no-op that only counts, and the caller reports the absence on COM1.
  [[nodiscard]] bool open(const char* path, std::string& error);
  bool is_open() const { return fd_.valid(); }
  // Unlinks the device node once the port is open: the frame channel is init's alone, so a
  // payload that writes to /dev/ttyS1 creates a plain file instead of corrupting the stream.
  // Later opens of the port go through reopen().
  [[nodiscard]] bool hide_device(std::string& error);
  // A new open file description of the open port (through /proc/self/fd), with its own flags:
  // host control reads, the shell console without hvc0. Invalid, with `error`, on failure.
  [[nodiscard]] UniqueFd reopen(int flags, std::string& error) const;

  // Sends one frame. Values longer than kMaxValue are cut (and a warning is the caller's job);
  // stream bytes should go through send_stream(), which chunks them.
  void send(wire::Tag type, std::string_view value);
  // Sends raw stream bytes as as many frames as needed (<= kStreamChunk each).
  void send_stream(wire::Tag type, std::string_view bytes);

  // Where payload output goes while COM2 is closed (COM1): degraded, but not silently lost.
  void set_fallback_fd(int fd) { fallback_fd_ = fd; }

  // Enters queued mode on `loop` (non-blocking writes); detach() flushes and leaves it.
  void attach(EventLoop& loop);
  void detach();

  // A new stream: the next frame has seq 0 and DONE counts from here (a warm start's SPEC; the
  // host's decoder for the run starts with it). Only outside the loop, with nothing queued.
  void restart_stream();
  uint32_t frames_sent() const;
  const std::map<std::string, uint64_t>& value_bytes() const { return bytes_; }
  // Writes everything queued (blocking), then waits until the UART has sent it.
  void drain();
  // Writes everything queued (blocking), without waiting for the UART: a bulk sender that runs
  // outside the loop (the output tree) keeps the queue from growing.
  void flush();

 private:
  void write_frame(const uint8_t* p, size_t n);
  void on_writable();

  UniqueFd fd_;
  std::string path_;
  std::map<std::string, uint64_t> bytes_;
  int fallback_fd_ = -1;
  EventLoop* loop_ = nullptr;  // set while attached
  std::string queue_;          // encoded bytes not yet written, from queue_head_
  size_t queue_head_ = 0;
};

}  // namespace ktstr::init
