#include "console.hpp"

#include <fcntl.h>
#include <termios.h>

namespace ktstr::init {

bool Console::open(std::string& error) {
  for (const char* path : {kHvcDevice, kCom2Device}) {
    fd_.reset(::open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    if (fd_.valid()) {
      path_ = path;
      return true;
    }
    error = errno_message(std::string("open ") + path, errno);
  }
  return false;
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
  UniqueFd fd(::open(path_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) error = errno_message("open " + path_, errno);
  return fd;
}

void Console::drain() {
  if (fd_.valid()) tcdrain(fd_.get());
}

}  // namespace ktstr::init
