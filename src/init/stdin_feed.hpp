// The host's stdin for the payload (KTSTR_STDIN=1, docs/protocol.md): STDI frames from the host
// are written into a pipe whose read end is the payload's (or exec command's) stdin; an empty
// STDI is the end of input and closes the pipe, so the payload reads EOF.
//
// Flow control is by credit, never by leaving COM2 unread (STOP and RSIZ share that line): init
// grants the host a window of kWindow bytes beyond what it has taken, with SACK
// {"taken":N,"window":W,"closed":b}. Bytes are taken once they are in the pipe, so init holds at
// most one window in memory whatever the payload does; a payload that stops reading stops the
// acknowledgements, and the host stops reading its stdin. Writes never block the event loop: a
// full pipe is watched for EPOLLOUT. When the payload's end is gone (EPIPE), the rest is dropped
// and SACK says "closed", so the host stops sending.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "event_loop.hpp"
#include "fd.hpp"

namespace ktstr::init {

class StdinFeed {
 public:
  static constexpr size_t kWindow = 64 * 1024;  // bytes the host may send beyond those taken

  // `send_ack` sends one SACK value (JSON) to the host.
  StdinFeed(EventLoop& loop, std::function<void(const std::string&)> send_ack)
      : loop_(loop), send_ack_(std::move(send_ack)) {}
  ~StdinFeed();
  StdinFeed(const StdinFeed&) = delete;
  StdinFeed& operator=(const StdinFeed&) = delete;

  // Creates the pipe. False with `error` if it cannot (the payload then gets /dev/null).
  [[nodiscard]] bool open(std::string& error);
  // Host control is listening: the first SACK grants the window. Until then read_end() is -1.
  void grant();
  // The payload's stdin: the pipe's read end once granted, else -1 (/dev/null).
  int read_end() const { return granted_ ? read_.get() : -1; }
  // The child holds the read end now: init drops its copy, so the payload's exit shows as EPIPE.
  void child_started() { read_.reset(); }
  // One STDI frame's value; empty = the end of the host's stdin.
  void on_data(std::string_view bytes);

  uint64_t taken() const { return taken_; }
  bool closed() const { return closed_; }     // the payload's end is gone: input is dropped
  bool finished() const { return !write_.valid(); }  // EOF delivered, or closed
  size_t buffered() const { return buf_.size() - head_; }

 private:
  void flush();
  void on_writable();
  void close_write();
  void ack();

  EventLoop& loop_;
  std::function<void(const std::string&)> send_ack_;
  UniqueFd read_, write_;
  std::string buf_;  // bytes not yet in the pipe, from head_
  size_t head_ = 0;
  uint64_t taken_ = 0, dropped_ = 0;
  bool granted_ = false, eof_ = false, closed_ = false, watching_ = false;
};

}  // namespace ktstr::init
