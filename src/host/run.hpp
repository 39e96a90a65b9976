// `ktstr-vm run`: pack, boot QEMU, decode COM2 live, judge the run by its frames, exit with the
// payload's status (docs/exit-codes.md, docs/architecture.md).
#pragma once

#include <string>
#include <vector>

#include "pack.hpp"
#include "qemu.hpp"

namespace ktstr::host {

struct RunOptions {
  PackSpec pack;                     // payload, includes, sched args; paths resolved by run
  std::string init;                  // --init
  std::string scheduler;             // --scheduler PATH|NAME, empty = none
  VmOptions vm;
  std::string com2_log, console_log, sched_log, json_report, junit_report;
  bool verbose = false;
  unsigned silence_s = 30;           // no frame at all for this long after HELO = hung
  unsigned boot_silence_s = 120;     // ... before HELO (boot under TCG on a loaded host)
  unsigned watchdog_s = 0;           // hard deadline for the whole run; 0 = --timeout + 120 s, or 3600 s
                                     // (the interactive shell: none)
  std::string guest_log_level;       // KTSTR_LOG
  unsigned attach_timeout_ms = 0;    // KTSTR_ATTACH_TIMEOUT_MS, 0 = init's default
  std::vector<std::string> guest_keys;  // further KTSTR_* keys (e.g. KTSTR_DEBUG_FAULT=segv)
  bool keep_tmp = false;
  bool no_com2 = false;  // test hook: boot without COM2
  std::vector<std::string> deny, allow;  // extra kernel-health rules (regex), --deny / --allow
  std::string splat_rules;               // file of `deny REGEX` / `allow REGEX` lines
  bool splats_warn = false;              // --splats=warn
  bool no_telemetry = false;             // --no-telemetry: KTSTR_TELEMETRY=0
  int stats_ms = -1;                     // --stats-ms: KTSTR_STATS_MS, -1 = the guest's default
  std::string verifier_baseline, write_verifier_baseline;  // --verifier-baseline / --write-...
  double verifier_slack_pct = 10;        // --verifier-slack
};

// The KTSTR_* cmdline keys every mode passes: timeout, init's log level, attach timeout, extras.
std::vector<std::string> run_keys(const RunOptions& opts);

// Why these options cannot make a sensible run, before anything boots ("" if they can): two
// output options naming one file, a --write-verifier-baseline that cannot be written, a verifier
// baseline without a scheduler (nothing would load BPF programs to compare), --verifier-slack
// (`slack_given`) without --verifier-baseline. `ktstr-vm run` and `shell` exit 2 with it.
std::string run_options_error(const RunOptions& opts, bool slack_given);

// Runs the whole thing; returns the process exit code (payload's, or 124/125/126/127).
int run_command(const RunOptions& opts);

}  // namespace ktstr::host
