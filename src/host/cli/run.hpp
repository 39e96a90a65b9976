// `ktstr-vm run`: pack, boot QEMU, decode COM2 live, judge the run by its frames, exit with the
// payload's status (docs/exit-codes.md, docs/architecture.md).
#pragma once

#include "session_options.hpp"

namespace ktstr::host {

// Why these options cannot make a sensible run, before anything boots ("" if they can): two
// output options naming one file, a --write-verifier-baseline that cannot be written, a verifier
// baseline without a scheduler (nothing would load BPF programs to compare), --verifier-slack
// (`slack_given`) without --verifier-baseline, an --output DIR that is a file, a directory that is
// not empty or cannot be made. `ktstr-vm run` and `shell` exit 2 with it.
std::string run_options_error(const RunOptions& opts, bool slack_given);

// Runs the whole thing; returns the process exit code (payload's, or 124/125/126/127). The
// process's stdin is the payload's when it is a pipe or a regular file (stdin_forwardable).
int run_command(const RunOptions& opts);

}  // namespace ktstr::host
