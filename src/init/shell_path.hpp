// The shell path (docs/architecture.md): an interactive PTY shell on hvc0, or /exec_cmd run once, on the
// guest core it shares with the test path.
#pragma once

#include "com2.hpp"
#include "ktstr/cmdline.hpp"
#include "run_result.hpp"

namespace ktstr::init {

// exec_mode: run /exec_cmd once instead of an interactive shell (main decides it, guest_mode).
RunResult run_shell_path(const Config& config, Com2& com2, bool exec_mode);

}  // namespace ktstr::init
