// Ctrl-A escapes on the shell's keyboard input (as QEMU's -nographic console has them):
// Ctrl-A X quits, Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A H shows help. Ctrl-A followed by any
// other byte sends both bytes unchanged. Input may arrive in any chunking.
// Escapes belong to a person at a terminal: input from a pipe or a file is data, typed in order,
// whatever its bytes (a 0x01 then `x` in piped input must not kill the VM).
#pragma once

#include <string>
#include <string_view>

namespace ktstr::host {

inline constexpr char kEscapeKey = 0x01;  // Ctrl-A

class EscapeFilter {
 public:
  enum class Action { none, quit, help };

  // enabled = false: every byte passes unchanged, no action is ever reported.
  explicit EscapeFilter(bool enabled = true) : enabled_(enabled) {}
  // The filter for keys read from fd: escapes only if it is a terminal.
  static EscapeFilter for_input(int fd);
  bool enabled() const { return enabled_; }

  // Returns the bytes to send to the guest. `action` reports an escape command seen in this
  // input; after quit the rest of the input is dropped.
  std::string feed(std::string_view in, Action& action);

 private:
  bool enabled_;
  bool pending_ = false;  // the last byte was an unconsumed Ctrl-A
};

// The help text for Ctrl-A H (lines end in "\r\n": the terminal is raw).
const char* escape_help();

}  // namespace ktstr::host
