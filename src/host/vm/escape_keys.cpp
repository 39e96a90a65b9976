#include "escape_keys.hpp"

#include <unistd.h>

namespace ktstr::host {

EscapeFilter EscapeFilter::for_input(int fd) { return EscapeFilter(::isatty(fd) == 1); }

std::string EscapeFilter::feed(std::string_view in, Action& action) {
  action = Action::none;
  if (!enabled_) return std::string(in);
  std::string out;
  for (char c : in) {
    if (!pending_) {
      if (c == kEscapeKey) pending_ = true;
      else out += c;
      continue;
    }
    pending_ = false;
    if (c == 'x' || c == 'X') {
      action = Action::quit;
      return out;
    }
    if (c == 'h' || c == 'H' || c == '?') {
      action = Action::help;
    } else if (c == kEscapeKey) {
      out += kEscapeKey;
    } else {
      out += kEscapeKey;
      out += c;
    }
  }
  return out;
}

const char* escape_help() {
  return "\r\nktstr-vm shell keys:\r\n"
         "  Ctrl-A X       kill the VM and leave\r\n"
         "  Ctrl-A Ctrl-A  send Ctrl-A\r\n"
         "  Ctrl-A H       this help\r\n"
         "  `exit` or Ctrl-D in the shell ends the VM cleanly\r\n";
}

}  // namespace ktstr::host
