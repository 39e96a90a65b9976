#include "run.hpp"

#include "session_loop.hpp"

namespace ktstr::host {

int run_command(const RunOptions& opts) {
  return run_one_session(opts, VmMode::run);
}

}  // namespace ktstr::host
