// The test path (docs/architecture.md): scheduler, payload, live output, teardown, on the guest core
// it shares with the shell path. Returns what DONE reports.
#pragma once

#include "com2.hpp"
#include "ktstr/cmdline.hpp"
#include "run_result.hpp"

namespace ktstr::init {

RunResult run_payload_path(const Config& config, Com2& com2, int com1_fd);

}  // namespace ktstr::init
