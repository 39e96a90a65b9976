// The exit statuses of a run, defined once for init (the status it reports in DONE) and for
// ktstr-vm (its own process status). Anything below 124 is the payload's own code passed through,
// and 128+N means signal N killed the payload; the values here are the ones ktstr adds.
#pragma once

#include <cerrno>

namespace ktstr::exit_code {

inline constexpr int kOk = 0;
inline constexpr int kUsage = 2;            // ktstr-vm's command line is wrong (nothing ran)
inline constexpr int kTimedOut = 124;       // the payload ran past --timeout
inline constexpr int kInfrastructure = 125; // the run failed around the payload (reason on stderr)
inline constexpr int kNotExecutable = 126;  // the payload exists but could not be executed
inline constexpr int kNotFound = 127;       // the payload was not found
inline constexpr int kSignalBase = 128;     // 128+N: killed by signal N
inline constexpr int kHangup = 129;         // ktstr-vm got SIGHUP (128 + 1)
inline constexpr int kInterrupted = 130;    // Ctrl-C (SIGINT, 128 + 2), or a host STOP
inline constexpr int kTerminated = 143;     // ktstr-vm got SIGTERM (128 + 15)

// The status for signal `sig`, as a shell reports it.
constexpr int for_signal(int sig) { return kSignalBase + sig; }

// The status a shell gives when exec fails with `err`: not found for ENOENT/ENOTDIR, else not
// executable.
constexpr int for_exec_errno(int err) { return (err == ENOENT || err == ENOTDIR) ? kNotFound : kNotExecutable; }

}  // namespace ktstr::exit_code
