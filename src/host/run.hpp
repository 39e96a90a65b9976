// `ktstr-vm run`: pack, boot QEMU, decode COM2 live, judge the run by its frames, exit with the
// payload's status (docs/exit-codes.md, docs/architecture.md).
#pragma once

#include "session_options.hpp"

namespace ktstr::host {

// Runs the whole thing; returns the process exit code (payload's, or 124/125/126/127).
int run_command(const RunOptions& opts);

}  // namespace ktstr::host
