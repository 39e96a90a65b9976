#include "console.hpp"

#include <fcntl.h>
#include <termios.h>

namespace ktstr::init {

bool Console::open(const Com2& com2, std::string& error) {
  constexpr int kFlags = O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
  fd_.reset(::open(kHvcDevice, kFlags));
  path_ = kHvcDevice;
  if (fd_.valid()) return true;
  std::string hvc_error = errno_message(std::string("open ") + kHvcDevice, errno);
  fd_ = com2.reopen(kFlags, error);
  path_ = kCom2Device;
  if (!fd_.valid()) error = hvc_error + "; " + error;
  return fd_.valid();
}

bool Console::make_raw(std::string& error) {
  termios t{};
  if (tcgetattr(fd_.get(), &t) != 0) {
    error = errno_message("tcgetattr " + path_, errno);
    return false;
  }
  cfmakeraw(&t);
  if (tcsetattr(fd_.get(), TCSANOW, &t) != 0) {
    error = errno_message("tcsetattr " + path_, errno);
    return false;
  }
  return true;
}

void Console::write_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  write_all(fd_.get(), out.data(), out.size());
}

UniqueFd Console::open_for_child(std::string& error) const {
  // Through /proc/self/fd: COM2's node is gone by now (Com2::hide_device).
  std::string self = "/proc/self/fd/" + std::to_string(fd_.get());
  UniqueFd fd(::open(self.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) error = errno_message("open " + self + " (" + path_ + ")", errno);
  return fd;
}

void Console::drain() {
  if (fd_.valid()) tcdrain(fd_.get());
}

}  // namespace ktstr::init
