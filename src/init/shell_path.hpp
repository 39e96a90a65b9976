// The shell path (docs/architecture.md): an interactive PTY shell on hvc0, or /exec_cmd run once.
#pragma once

#include "com2.hpp"
#include "ktstr/cmdline.hpp"
#include "test_path.hpp"

namespace ktstr::init {

RunResult run_shell_path(const Config& config, Com2& com2, int com1_fd);

}  // namespace ktstr::init
