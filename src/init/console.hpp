// The shell console (docs/architecture.md): /dev/hvc0, the virtio console wired to the host's terminal,
// or COM2 when the VM has no hvc0 (then shell bytes and frames share the line). Owns its fd.
#pragma once

#include <string>
#include <string_view>

#include "com2.hpp"
#include "fd.hpp"

namespace ktstr::init {

inline constexpr const char* kHvcDevice = "/dev/hvc0";
inline constexpr const char* kCom2Device = "/dev/ttyS1";

class Console {
 public:
  // Opens /dev/hvc0 (else COM2, through com2.reopen()) read-write, non-blocking, never as init's
  // controlling terminal. Returns false with `error` naming the failed call if neither opens.
  [[nodiscard]] bool open(const Com2& com2, std::string& error);
  int fd() const { return fd_.get(); }
  bool is_com2() const { return path_ == kCom2Device; }

  // Raw mode (cfmakeraw): bytes pass unchanged both ways, no echo, no signals from keys, and
  // OPOST off, so no '\r' is added to output. Returns false with `error` on failure.
  [[nodiscard]] bool make_raw(std::string& error);
  // Writes text for a human, turning each "\n" into "\r\n" (the console is raw). Best effort.
  void write_text(std::string_view text);
  // A second, blocking fd on the same device for a child's stdio: init's own fd is
  // non-blocking, and that flag is shared by every dup of it. Invalid (and `error` set) on failure.
  UniqueFd open_for_child(std::string& error) const;
  // Waits until everything written has left the guest (before DONE and reboot).
  void drain();

 private:
  UniqueFd fd_;
  std::string path_;
};

}  // namespace ktstr::init
