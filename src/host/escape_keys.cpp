#include "escape_keys.hpp"

namespace ktstr::host {

std::string EscapeFilter::feed(std::string_view in, Action& action) {
  action = Action::none;
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
