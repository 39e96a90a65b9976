#include "shell_path.hpp"

#include <spdlog/spdlog.h>

namespace ktstr::init {

RunResult run_shell_path(const Config&, Com2&, int) {
  RunResult r;
  r.reason = "shell mode is not implemented in this build";
  spdlog::error("{}", r.reason);
  return r;
}

}  // namespace ktstr::init
