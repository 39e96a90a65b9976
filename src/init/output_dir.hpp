// $KTSTR_OUTPUT (docs/protocol.md, "The output tree"): the directory the payload, the scheduler
// and the exec command write files into for the host to take back, and the kernel's core
// pattern that puts every core dump in its cores/.
#pragma once

namespace ktstr::init {

// Creates /run/ktstr/output and its cores/ (both 01777: a payload may drop privileges) and
// points /proc/sys/kernel/core_pattern into cores/. Best effort: each failure is logged and the
// run goes on (a payload then finds no directory, or the kernel writes no core).
void prepare_output_dir();

}  // namespace ktstr::init
