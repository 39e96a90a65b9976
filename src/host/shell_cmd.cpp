#include "shell_cmd.hpp"

#include "session_loop.hpp"

namespace ktstr::host {

int shell_command(const RunOptions& o) {
  return run_one_session(o, o.pack.exec_cmd.empty() ? VmMode::interactive : VmMode::exec);
}

}  // namespace ktstr::host
