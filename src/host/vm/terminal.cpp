#include "terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

namespace ktstr::host {

std::optional<WindowSize> window_size(int fd) {
  winsize ws{};
  if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) return std::nullopt;
  return WindowSize{ws.ws_col, ws.ws_row};
}

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  if (!isatty(fd) || tcgetattr(fd, &saved_) != 0) return;
  termios raw = saved_;
  cfmakeraw(&raw);
  // TCSAFLUSH: typed-ahead input that the cooked terminal still holds is dropped, as ssh does.
  if (tcsetattr(fd, TCSAFLUSH, &raw) == 0) active_ = true;
}

void RawTerminal::restore() {
  if (!active_) return;
  tcsetattr(fd_, TCSADRAIN, &saved_);
  active_ = false;
}

}  // namespace ktstr::host
