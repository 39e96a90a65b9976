// The shell path (docs/architecture.md): an interactive PTY shell on hvc0, or /exec_cmd run once, on the
// guest core it shares with the test path.
#pragma once

#include "com2.hpp"
#include "ktstr/cmdline.hpp"
#include "run_result.hpp"

namespace ktstr::init {

RunResult run_shell_path(const Config& config, Com2& com2);

}  // namespace ktstr::init
