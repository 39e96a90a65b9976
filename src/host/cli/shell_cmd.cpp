#include "shell_cmd.hpp"

#include "session_loop.hpp"
#include "stdin_forward.hpp"

namespace ktstr::host {

int shell_command(const RunOptions& opts) {
  if (opts.pack.exec_cmd.empty()) return run_one_session(opts, VmMode::interactive);  // stdin: the keys
  RunOptions o = opts;
  o.forward_stdin = stdin_forwardable(0);
  return run_one_session(o, VmMode::exec);
}

}  // namespace ktstr::host
