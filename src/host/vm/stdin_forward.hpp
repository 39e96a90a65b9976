// The host's side of stdin forwarding (docs/protocol.md, KTSTR_STDIN): `run` and `shell --exec`
// hand their stdin to the payload when it is a pipe or a regular file. The bytes go as STDI
// frames on COM2, at most the window the guest granted beyond what it has taken (SACK), so
// neither side buffers more than a window however fast the input or slow the payload; the end
// of stdin is an empty STDI. A terminal is never forwarded: it belongs to the person, and `run`
// gives the payload /dev/null as before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ktstr::host {

// True if fd is a pipe (or socket) or a regular file: what `run` forwards. False for a terminal,
// /dev/null and other devices, and a closed fd.
bool stdin_forwardable(int fd);

class StdinForwarder {
 public:
  // The most the host keeps in flight, whatever window the guest asks for: the guest is untrusted
  // and COM2's socket buffer must hold the whole window, so writes never wait.
  static constexpr uint64_t kMaxWindow = 64 * 1024;

  // A SACK value from the guest. False with `error` (the frame is then ignored) if it is not
  // {"taken":N,"window":W,"closed":b} with taken <= the bytes sent.
  bool on_ack(std::string_view json, std::string& error);
  // Bytes that may be read from stdin and sent now; 0 = wait (no grant yet, window full, done).
  size_t room() const;
  // After sending a STDI frame of n bytes (n = 0: the end of input).
  void sent(size_t n);
  bool granted() const { return granted_; }
  // The guest said its reader is gone: read no more.
  bool guest_closed() const { return closed_; }
  // Nothing more will be sent: the end was sent, or the guest closed.
  bool done() const { return eof_sent_ || closed_; }
  uint64_t bytes_sent() const { return sent_; }
  uint64_t rejected() const { return rejected_; }  // SACK values on_ack refused so far

 private:
  uint64_t sent_ = 0, taken_ = 0, window_ = 0, rejected_ = 0;
  bool granted_ = false, eof_sent_ = false, closed_ = false;
};

}  // namespace ktstr::host
