#include "shell_path.hpp"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "boot.hpp"
#include "console.hpp"
#include "event_loop.hpp"
#include "exit_frame.hpp"
#include "host_control.hpp"
#include "ktstr/exit_codes.hpp"
#include "ktstr/initramfs.hpp"
#include "leftovers.hpp"
#include "motd.hpp"
#include "pty_shell.hpp"
#include "reaper.hpp"
#include "sched_toggle.hpp"
#include "scheduler.hpp"
#include "spawn.hpp"

namespace ktstr::init {
namespace {

// Bounds (as in the test path, docs/architecture.md: every step bounded, no fixed sleeps).
constexpr uint32_t kCmdTermGraceMs = 2000;   // TERM -> KILL for a timed-out or stopped command
constexpr uint64_t kCmdReapMs = 1000;        // ... and its reap after KILL
constexpr uint32_t kSchedGraceMs = 2000;     // SIGINT -> SIGKILL for the scheduler
constexpr uint32_t kShellDrainIdleMs = 300;  // shell output after its exit (a job may hold the PTY)
constexpr uint64_t kShellDrainMs = 3000;
constexpr uint64_t kReapLeftoversMs = 1000;

uint64_t after_ms(uint64_t ms) { return boottime_ns() + ms * 1000000ull; }

// What both modes share: the loop, the reaper, the console, the scheduler.
struct ShellContext {
  const Config& config;
  Com2& com2;
  EventLoop& loop;
  Reaper& reaper;
  Console& console;
  Scheduler& sched;
  bool sched_died = false;  // after attaching
  bool stop_requested = false;  // STOP from the host
};

// An unrecoverable set-up error of this path: FATL, and the reason DONE reports.
void fail(RunResult& result, Com2& com2, const std::string& error) {
  spdlog::error("{}", error);
  send_fatal(com2, error);
  result.reason = error;
}

// Starts /scheduler as the test path does. Returns the line for the greeting; `ok` is false if it
// exists but did not attach.
std::string start_scheduler(ShellContext& c, RunResult& result, bool& ok) {
  ok = true;
  if (::access(initramfs::kScheduler, F_OK) != 0) return "";
  enter_phase(c.com2, "scheduler_spawned");
  ok = c.sched.spawn() && c.sched.wait_attached(c.config.attach_timeout_ms);
  if (!ok) {
    result.reason = c.sched.state() == Scheduler::State::died ? "scheduler died before attaching"
                                                              : "scheduler did not attach";
    return result.reason + " (its output is in SLOG; try dmesg)";
  }
  enter_phase(c.com2, "scheduler_attached");
  result.attached_ms = ns_to_ms(boottime_ns());
  ::setenv("SCHED_PID", std::to_string(c.sched.pid()).c_str(), 1);
  std::string ops;
  read_file(kScxRootOps, ops);
  while (!ops.empty() && ops.back() == '\n') ops.pop_back();
  return ops + " attached, pid " + std::to_string(c.sched.pid()) + " ($SCHED_PID)";
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

// Ends the command's session: TERM, a grace, KILL, a bounded reap.
void stop_command(ShellContext& c, pid_t pid, const bool& exited) {
  ::kill(-pid, SIGTERM);
  if (c.loop.run_until([&] { return exited; }, after_ms(kCmdTermGraceMs))) return;
  ::kill(-pid, SIGKILL);
  c.loop.run_until([&] { return exited; }, after_ms(kCmdReapMs));
}

// Exec mode: `sh -c CMD` with stdout/stderr on the console (byte-exact: OPOST is off), stdin
// /dev/null, in its own session; EXIT with its status. KTSTR_TIMEOUT applies as in the test path.
void run_exec(ShellContext& c, RunResult& result) {
  std::string cmd, error;
  if (!read_exec_cmd(cmd, error)) return fail(result, c.com2, error);
  UniqueFd out = c.console.open_for_child(error);
  if (!out.valid()) return fail(result, c.com2, error);
  HostControl control;
  if (!c.console.is_com2() && !control.start(c.loop, kCom2Device, {nullptr, [&] { c.stop_requested = true; }}, error))
    spdlog::warn("{}", error);
  SpawnSpec spec{{"/bin/sh", "-c", cmd}, false, out.get(), out.get(), &c.reaper.child_mask()};
  spec.new_session = true;
  SpawnResult r = spawn(spec);
  if (r.pid < 0) return fail(result, c.com2, "exec command: " + r.error);
  bool exited = false, timed_out = false;
  ExitStatus status;
  c.reaper.watch(r.pid, "exec", [&](pid_t, const ExitStatus& s) {
    exited = true;
    status = s;
  });
  enter_phase(c.com2, "payload_started");
  result.payload_start_ms = ns_to_ms(boottime_ns());
  Timer timeout;
  if (c.config.timeout_s) {
    timeout.create(c.loop, [&] { timed_out = true; });
    timeout.arm_in_ms(uint64_t(c.config.timeout_s) * 1000);
  }
  c.loop.run_until([&] { return exited || timed_out || c.sched_died || c.stop_requested; });
  if (!exited) stop_command(c, r.pid, exited);
  enter_phase(c.com2, "payload_exited");
  result.payload_exit_ms = ns_to_ms(boottime_ns());
  if (!exited) return fail(result, c.com2, "the command did not end after SIGKILL");
  timed_out = timed_out && !c.sched_died;
  send_exit(c.com2, status, timed_out, status.exit_code());
  result.exit_code = c.sched_died ? exit_code::kInfrastructure : timed_out ? exit_code::kTimedOut : status.exit_code();
  if (c.sched_died) result.reason = "scheduler died during the command";
  else if (timed_out) result.reason = "command timed out after " + std::to_string(c.config.timeout_s) + " s";
  else if (c.stop_requested) result.reason = "stopped by the host";
}

// Interactive: greeting, a login shell on a PTY, relays until the shell exits, its last output.
void run_interactive(ShellContext& c, RunResult& result, const std::string& sched_line) {
  c.console.write_text(motd(c.config, sched_line));
  PtyShell shell(c.loop, c.reaper);
  std::string error;
  if (!shell.start(c.console.fd(), c.config.cols, c.config.rows, error)) return fail(result, c.com2, error);
  HostControl control;
  HostControl::Handlers h{[&](uint16_t cols, uint16_t rows) { shell.resize(cols, rows); }, [&] { shell.hang_up(); }};
  if (c.console.is_com2()) spdlog::warn("no {}: the shell runs on COM2, host control frames are off", kHvcDevice);
  else if (!control.start(c.loop, kCom2Device, std::move(h), error)) spdlog::warn("{}", error);
  enter_phase(c.com2, "payload_started");
  result.payload_start_ms = ns_to_ms(boottime_ns());
  c.loop.run_until([&] { return shell.exited(); });
  enter_phase(c.com2, "payload_exited");
  result.payload_exit_ms = ns_to_ms(boottime_ns());
  shell.drain(kShellDrainIdleMs, after_ms(kShellDrainMs));
  send_exit(c.com2, shell.status(), false, shell.status().exit_code());
  result.exit_code = shell.status().exit_code();
  if (c.sched_died) result.reason = "the scheduler died during the session";
  c.console.write_text("\n[ktstr] shell exited (" + std::to_string(result.exit_code) + "): the VM shuts down\n");
}

}  // namespace

RunResult run_shell_path(const Config& config, Com2& com2, int) {
  RunResult result;
  EventLoop loop;
  Reaper reaper;
  Console console;
  std::string error;
  if (!loop.open() || !reaper.start(loop)) {
    fail(result, com2, errno_message("event loop set-up", errno));
    return result;
  }
  if (!console.open(error) || !console.make_raw(error)) {
    fail(result, com2, error);
    return result;
  }
  Timer heartbeat;
  if (config.heartbeat_ms) {
    heartbeat.create(loop, [&] { com2.send(wire::kBeat, "{}"); });
    heartbeat.arm_in_ms(config.heartbeat_ms, config.heartbeat_ms);
  }
  const bool exec_mode = ::access(initramfs::kExecCmd, F_OK) == 0;
  for (const auto& e : run_sysfs_script(initramfs::kSchedEnable)) spdlog::warn("{}", e);
  Scheduler sched(loop, reaper, com2);
  ShellContext c{config, com2, loop, reaper, console, sched};
  bool sched_ok = true;
  std::string sched_line = start_scheduler(c, result, sched_ok);
  sched.on_death([&] {
    c.sched_died = true;
    if (!exec_mode)
      console.write_text("\n[ktstr] the scheduler died (" +
                         (sched.status().signaled ? "signal " + std::to_string(sched.status().signal)
                                                  : "exit code " + std::to_string(sched.status().code)) +
                         "); the kernel's reason is in dmesg, its output in ktstr-vm's --sched-log\n");
  });
  // A scheduler that failed to attach ends exec mode like a test run; the interactive shell still
  // starts, so the developer can look at what went wrong.
  if (exec_mode && sched_ok) run_exec(c, result);
  else if (!exec_mode) run_interactive(c, result, sched_line);

  // Teardown: reverse order of set-up, each step bounded.
  enter_phase(com2, "teardown");
  result.teardown_ms = ns_to_ms(boottime_ns());
  sched.stop(kSchedGraceMs);
  sched.drain_log(after_ms(1000));
  for (const auto& e : run_sysfs_script(initramfs::kSchedDisable)) spdlog::warn("{}", e);
  kill_leftovers(loop, reaper, kReapLeftoversMs);
  heartbeat.disarm();
  console.drain();
  return result;
}

}  // namespace ktstr::init
