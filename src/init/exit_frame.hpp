// The EXIT frame (docs/protocol.md): how the payload (test path) or /exec_cmd (shell path) ended,
// in one format for both paths.
#pragma once

#include "com2.hpp"
#include "reaper.hpp"

namespace ktstr::init {

// Sends EXIT {"code"} or {"signal","core"}, plus "timed_out" and "exit_code" (the status the run
// reports: code, 128+signal, or a 126/127 exec failure), and notes it on COM1.
void send_exit(Com2& com2, const ExitStatus& status, bool timed_out, int exit_code);

}  // namespace ktstr::init
