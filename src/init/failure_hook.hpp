// The on-failure hook (docs/initramfs.md's /on_failure): after a payload that failed and before
// the scheduler is stopped, `/bin/sh -c CMD` with the payload's environment, its stdout and
// stderr in one pipe, forwarded live as HOOK frames (and copied into $KTSTR_OUTPUT/on-failure.log
// when that directory exists), HEND when it ended. Bounded by KTSTR_ON_FAILURE_TIMEOUT (TERM,
// grace, KILL to its group); it never changes the run's status.
#pragma once

#include <signal.h>

#include <cstdint>
#include <functional>
#include <string>

#include "com2.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "reaper.hpp"

namespace ktstr::init {

// The hook's output file in the guest output directory.
inline constexpr const char* kHookLogName = "on-failure.log";

// Whether a payload that ended so is a failure the hook runs for: it timed out, or its status is
// not `expect_exit` (KTSTR_EXPECT_EXIT). Not after a host STOP: the user asked to stop, not to
// debug. A payload the scheduler's death stopped has the signal's status: it counts.
bool payload_failed(bool timed_out, bool stopped, int payload_status, uint32_t expect_exit);

// DIR/on-failure.log, created (or emptied) for writing if `output_dir` names a directory;
// invalid otherwise (no directory: no file, and nothing else is written).
UniqueFd open_hook_log(const std::string& output_dir);

struct HookSetup {
  std::string cmd;                 // for /bin/sh -c
  uint32_t timeout_s = 30;         // TERM after this long
  uint32_t grace_ms = 2000;        // then KILL to its group
  int log_fd = -1;                 // a copy of the output (not owned), -1 = none
  const sigset_t* mask = nullptr;  // the signal mask children get
  std::function<bool()> stop;      // the host asked to stop: end the hook too (optional)
};

// Runs the hook to its end (or its timeout), forwarding its output as HOOK frames and ending
// with HEND {"code"|"signal","timed_out","ms"} ({"error"} if it could not start).
void run_hook(EventLoop& loop, Reaper& reaper, Com2& com2, const HookSetup& setup);

// The test path's one call: reads /on_failure (absent: nothing to do) and runs it when the
// payload failed, with its output copied into $KTSTR_OUTPUT/on-failure.log if that directory
// exists.
void run_failure_hook(EventLoop& loop, Reaper& reaper, Com2& com2, uint32_t timeout_s, const std::function<bool()>& stop);

}  // namespace ktstr::init
