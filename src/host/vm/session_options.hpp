// The options of one VM session, whichever command boots it (run, shell, shell --exec, each
// test of a suite): below the commands, so the driver (vm_session) needs none of their headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pack.hpp"
#include "qemu.hpp"

namespace ktstr::host {

enum class VmMode {
  run,          // the payload under the scheduler; its frames carry its output
  exec,         // shell --exec: one command, its output byte-exact from hvc0
  interactive,  // shell: a terminal on hvc0, keys from stdin
};

struct RunOptions {
  PackSpec pack;                     // payload, includes, sched args; paths resolved by run
  std::string init;                  // --init
  std::string scheduler;             // --scheduler PATH|NAME, empty = none
  VmOptions vm;
  std::string com2_log, console_log, sched_log, json_report, junit_report;
  bool verbose = false;
  unsigned silence_s = 30;           // no frame at all for this long after HELO = hung
  unsigned boot_timeout_s = 0;       // --boot-timeout: QEMU start -> first frame (HELO); 0 = by the
                                     // vCPU count (default_boot_timeout_s; the interactive shell: none)
  unsigned watchdog_s = 0;           // hard deadline for the whole run; 0 = the boot deadline plus
                                     // --timeout + 120 s, or plus 3600 s (the interactive shell: none)
  std::string guest_log_level;       // KTSTR_LOG
  unsigned attach_timeout_ms = 0;    // KTSTR_ATTACH_TIMEOUT_MS, 0 = init's default
  unsigned attempt = 0;              // KTSTR_ATTEMPT: the suite's attempt number (1-based), 0 = not a suite's
  std::vector<std::string> guest_keys;  // test hook (--guest-key): raw cmdline words after ours
  bool keep_tmp = false;
  bool cold = false;     // --cold: boot the whole initramfs, no snapshot (docs/warm.md)
  bool no_com2 = false;  // test hook: boot without COM2
  unsigned on_failure_timeout_s = 30;  // --on-failure-timeout: the hook's own (pack.on_failure is the hook)
  int expect_exit = 0;                // the payload status that passes (a suite's expect_exit): another
                                      // one runs the on-failure hook
  bool forward_stdin = false;  // run, shell --exec: stdin (a pipe or a file) is the payload's (KTSTR_STDIN=1)
  std::string output_dir;      // --output DIR: take the guest's output tree (run, shell --exec); empty = none
  uint64_t output_limit = uint64_t(1) << 30;  // --output-limit: bytes of file data (KTSTR_OUTPUT_LIMIT)
  bool no_lane = false;        // test hook: no data lane, so the tree comes over COM2
  std::vector<std::string> deny, allow;  // extra kernel-health rules (regex), --deny / --allow
  std::string splat_rules;               // file of `deny REGEX` / `allow REGEX` lines
  bool splats_warn = false;              // --splats=warn
  bool no_telemetry = false;             // --no-telemetry: KTSTR_TELEMETRY=0
  int stats_ms = -1;                     // --stats-ms: KTSTR_STATS_MS, -1 = the guest's default
  std::string verifier_baseline, write_verifier_baseline;  // --verifier-baseline / --write-...
  double verifier_slack_pct = 10;        // --verifier-slack
};

}  // namespace ktstr::host
