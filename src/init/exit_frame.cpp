#include "exit_frame.hpp"

#include "log.hpp"

namespace ktstr::init {

void send_exit(Com2& com2, const ExitStatus& status, bool timed_out, int exit_code) {
  std::string v = "{" + status.json_fields() + ",\"timed_out\":" + (timed_out ? "true" : "false") +
                  ",\"exit_code\":" + std::to_string(exit_code) + "}";
  com2.send(wire::kExit, v);
  console_note("payload exited " + v);
}

}  // namespace ktstr::init
