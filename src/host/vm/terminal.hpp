// The host terminal for `ktstr-vm shell` (docs/architecture.md): raw mode that is always undone, and the
// window size the guest's PTY should have.
#pragma once

#include <termios.h>

#include <cstdint>
#include <optional>

namespace ktstr::host {

struct WindowSize {
  uint16_t cols = 0, rows = 0;
};

// TIOCGWINSZ on fd; nullopt if fd is not a terminal or reports no size.
std::optional<WindowSize> window_size(int fd);

// Puts a terminal in raw mode (cfmakeraw: keys pass as bytes, Ctrl-C included, no echo, no
// output processing) and restores the saved settings when destroyed, so every exit path (return,
// exception, a signal read through signalfd) leaves the terminal as it was. Does nothing if fd
// is not a terminal. Not copyable.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal() { restore(); }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

  bool active() const { return active_; }
  // Restores now (idempotent), e.g. before printing a report.
  void restore();

 private:
  int fd_;
  bool active_ = false;
  termios saved_{};
};

}  // namespace ktstr::host
