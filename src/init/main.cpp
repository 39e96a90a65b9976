// ktstr-init: PID 1 of a sched_ext test VM. main() is the phase list of docs/architecture.md; each phase
// is one call into its own file. PID 1 must never exit: every path ends in finish_and_reboot().
//
// Exceptions: init throws none of its own and catches none. Every fallible step reports through
// its return value (below); an exception that escapes anyway (std::bad_alloc, a bug) reaches
// std::terminate, which crash::install() turns into a CRSH frame and a reboot. A throw is a
// crash of init, reported as one, never an exit of PID 1.
//
// Errors: a call whose failure changes what the run does is [[nodiscard]], returns false and
// fills `std::string& error` with "call object: strerror (errno N)" (errno_message). Its caller
// decides, visibly: fail the run (fail_run: FATL, DONE 125), or warn and go on where the step is
// best effort (kernel log, trace_pipe, host control frames). Nothing fails silently. Syscall-like
// helpers (read_file, write_all, make_pipe) leave errno set, as the calls they wrap do.
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "boot.hpp"
#include "com2.hpp"
#include "crash.hpp"
#include "environment.hpp"
#include "fd.hpp"
#include "ktstr/initramfs.hpp"
#include "log.hpp"
#include "mounts.hpp"
#include "output_dir.hpp"
#include "reboot.hpp"
#include "shell_path.hpp"
#include "run_path.hpp"
#include "topology_check.hpp"
#include "warm_start.hpp"

using namespace ktstr;
using namespace ktstr::init;

int main() {
  const uint64_t start_ms = boottime_ns() / 1000000;

  // 1. Crash handlers first: from here on a fault in init reports CRSH and reboots.
  std::string crash_error;
  const bool crash_ok = crash::install(crash_error);
  crash::set_phase("mounts");

  // 2. Filesystems. /dev must exist before the serial ports can be opened.
  MountReport mounts = mount_all();

  // 3. Serial ports, cmdline, log; HELO is the first frame. A warm boot (KTSTR_WARM=1) first
  // says WAIT and waits for its test: then HELO starts the run's stream, as on a cold boot.
  Com2 com2;
  Consoles con = open_consoles(com2);
  CmdlineResult cmdline = read_cmdline();
  log_init(com2, cmdline.config.log_level);
  WarmStart warm;
  if (cmdline.config.warm) warm = warm_start(com2, cmdline);
  const Config& config = cmdline.config;
  const GuestMode mode = guest_mode(config);
  send_helo(com2, mode, helo_start_members(warm));
  enter_phase(com2, "mounts");
  write_clock_reference();
  for (const auto& w : mounts.warnings) spdlog::warn("mount: {}", w);
  for (const auto& n : mounts.notes) spdlog::info("{}", n);
  spdlog::debug("mounts: {}", mounts.timings);
  for (const auto& w : cmdline.warnings) spdlog::warn("cmdline: {}", w);
  if (!con.com2_error.empty()) spdlog::warn("COM2: {}", con.com2_error);
  for (const auto& w : warm.warnings) spdlog::warn("{}", w);
  for (const auto& n : warm.notes) spdlog::info("{}", n);
  if (!crash_ok) spdlog::error("crash handler: {}; a fault in init may not be reported as CRSH", crash_error);

  // 4. Checks: the mounts, the initramfs, the machine's shape.
  RunResult result;
  if (!mounts.fatal.empty()) {
    fail_run(result, com2, mounts.fatal);
  } else if (!warm.error.empty()) {
    fail_run(result, com2, "warm start: " + warm.error);
  } else if (::access(initramfs::kOkSentinel, F_OK) != 0) {
    // The packer writes the sentinel last: without it the unpack was cut short.
    fail_run(result, com2, std::string(initramfs::kOkSentinel) + " missing: the initramfs is truncated");
  } else if (std::string why = check_topology(config, com2); !why.empty()) {
    // The machine is not the shape asked for: a test on it would prove nothing.
    fail_run(result, com2, why);
  } else {
    // 5. Environment for every child, set before any child (or thread) exists.
    set_environment(config);
    prepare_output_dir();
    inject_debug_fault(config);
    // 6. The run itself: the test path or the shell path.
    result = mode == GuestMode::test ? run_payload_path(config, com2, con.com1)
                                     : run_shell_path(config, com2, mode == GuestMode::exec);
  }

  // 7. DONE is always the last frame; then flush and reboot.
  enter_phase(com2, "reboot");
  send_done(com2, result, start_ms);
  finish_and_reboot(com2, con.com1, result.exit_code);
}
