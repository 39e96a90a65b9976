#include "shell_path.hpp"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "console.hpp"
#include "exit_frame.hpp"
#include "guest_core.hpp"
#include "ktstr/initramfs.hpp"
#include "motd.hpp"
#include "output_send.hpp"
#include "pty_shell.hpp"
#include "spawn.hpp"
#include "stop_process.hpp"

namespace ktstr::init {
namespace {

// Bounds of this path (the shared ones are in guest_core.hpp).
constexpr uint32_t kShellDrainIdleMs = 300;  // shell output after its exit (a job may hold the PTY)
constexpr uint64_t kShellDrainMs = 3000;

// The greeting's scheduler line: what attached, or why not (the shell still starts, so the
// developer can look at what went wrong).
std::string scheduler_line(Scheduler& sched, const RunResult& result, bool attached) {
  if (sched.state() == Scheduler::State::none) return "";
  if (!attached) return result.reason + " (its output is in SLOG; try dmesg)";
  std::string ops;
  if (!read_file(kScxRootOps, ops)) ops = "?";
  while (!ops.empty() && ops.back() == '\n') ops.pop_back();
  return ops + " attached, pid " + std::to_string(sched.pid()) + " ($SCHED_PID)";
}

// /exec_cmd without the packer's trailing newline.
bool read_exec_cmd(std::string& cmd, std::string& error) {
  if (!read_file(initramfs::kExecCmd, cmd)) {
    error = errno_message(std::string("read ") + initramfs::kExecCmd, errno);
    return false;
  }
  if (!cmd.empty() && cmd.back() == '\n') cmd.pop_back();
  return true;
}

// Exec mode: `sh -c CMD` with stdout/stderr on the console (byte-exact: OPOST is off), stdin
// the host's (KTSTR_STDIN=1) or /dev/null, in its own session; EXIT with its status. Ends as the test path's payload does:
// scheduler death, KTSTR_TIMEOUT and a host STOP give the same statuses.
void run_exec(GuestCore& core, Console& console, Com2& com2, RunResult& result) {
  std::string cmd, error;
  if (!read_exec_cmd(cmd, error)) return fail_run(result, com2, error);
  UniqueFd out = console.open_for_child(error);
  if (!out.valid()) return fail_run(result, com2, error);
  if (!console.is_com2()) core.listen_to_host({});
  if (!core.arm_timeout(error)) return fail_run(result, com2, error);
  SpawnSpec spec{{"/bin/sh", "-c", cmd}, false, out.get(), out.get(), &core.reaper().child_mask()};
  spec.new_session = true;
  spec.stdin_fd = core.stdin_feed().read_end();
  SpawnResult r = spawn(spec);
  core.stdin_feed().child_started();
  if (r.pid < 0) return fail_run(result, com2, "exec command: " + r.error);
  bool exited = false;
  ExitStatus status;
  core.reaper().watch(r.pid, "exec", [&](pid_t, const ExitStatus& s) {
    exited = true;
    status = s;
  });
  enter_phase(com2, "payload_started");
  result.payload_start_ms = ns_to_ms(boottime_ns());
  Ending ending = core.wait_for([&] { return exited; });
  if (!exited) stop_process(core.loop(), -r.pid, SIGTERM, kTermGraceMs, [&] { return exited; }, "exec command");
  enter_phase(com2, "payload_exited");
  result.payload_exit_ms = ns_to_ms(boottime_ns());
  if (!exited) return fail_run(result, com2, "the command did not end after SIGKILL");
  send_exit(com2, status, ending.exit_timed_out(), status.exit_code());
  core.settle(result, ending, status.exit_code(), "command");
}

// Interactive: greeting, a login shell on a PTY, relays until the shell exits, its last output.
void run_interactive(GuestCore& core, Console& console, Com2& com2, RunResult& result, const std::string& sched_line) {
  console.write_text(motd(core.config(), sched_line));
  PtyShell shell(core.loop(), core.reaper());
  std::string error;
  if (!shell.start(console.fd(), core.config().cols, core.config().rows, error)) return fail_run(result, com2, error);
  if (console.is_com2())
    spdlog::warn("no {}: the shell runs on COM2, host control frames are off", kHvcDevice);
  else
    core.listen_to_host({[&](uint16_t cols, uint16_t rows) { shell.resize(cols, rows); }, [&] { shell.hang_up(); }, {}});
  enter_phase(com2, "payload_started");
  result.payload_start_ms = ns_to_ms(boottime_ns());
  core.loop().run_until([&] { return shell.exited(); });
  enter_phase(com2, "payload_exited");
  result.payload_exit_ms = ns_to_ms(boottime_ns());
  shell.drain(kShellDrainIdleMs, after_ms(kShellDrainMs));
  send_exit(com2, shell.status(), false, shell.status().exit_code());
  result.exit_code = shell.status().exit_code();
  if (core.scheduler_died()) result.reason = "the scheduler died during the session";
  console.write_text("\n[ktstr] shell exited (" + std::to_string(result.exit_code) + "): the VM shuts down\n");
}

// The console note when the scheduler dies under an interactive shell.
std::string death_note(const ExitStatus& s) {
  return "\n[ktstr] the scheduler died (" +
         (s.signaled ? "signal " + std::to_string(s.signal) : "exit code " + std::to_string(s.code)) +
         "); the kernel's reason is in dmesg, its output in ktstr-vm's --sched-log\n";
}

}  // namespace

RunResult run_shell_path(const Config& config, Com2& com2, bool exec_mode) {
  RunResult result;
  GuestCore core(config, com2);
  Console console;
  if (std::string error; !console.open(com2, error) || !console.make_raw(error)) {
    fail_run(result, com2, error);
    return result;
  }
  if (!core.set_up(result)) return result;
  bool attached = core.start_scheduler(result);
  if (!exec_mode) core.on_scheduler_death([&] { console.write_text(death_note(core.scheduler().status())); });
  // A scheduler that failed to attach ends exec mode like a test run; the interactive shell still
  // starts, so the developer can look at what went wrong.
  if (exec_mode && attached) run_exec(core, console, com2, result);
  else if (!exec_mode) run_interactive(core, console, com2, result, scheduler_line(core.scheduler(), result, attached));

  core.stop_scheduler(result);
  core.end_leftovers();
  console.drain();
  if (exec_mode) send_output_tree(config, com2, result);  // after every writer ended, before DONE
  return result;
}

}  // namespace ktstr::init
