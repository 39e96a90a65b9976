#include "scheduler.hpp"

#include <signal.h>
#include <unistd.h>

#include <sstream>

#include <spdlog/spdlog.h>

#include "ktstr/json_str.hpp"
#include "log.hpp"
#include "ktstr/initramfs.hpp"
#include "spawn.hpp"
#include "stop_process.hpp"

namespace ktstr::init {
namespace {

constexpr uint64_t kAttachPollMs = 2;  // the only poll: <= 5 ms apart (docs/architecture.md)

std::vector<std::string> read_lines(const char* path) {
  std::vector<std::string> lines;
  std::string text;
  if (!read_file(path, text)) return lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(initramfs::unescape_arg(l));
  return lines;
}

}  // namespace

bool Scheduler::packed() { return ::access(initramfs::kScheduler, F_OK) == 0; }

void Scheduler::send_event(const std::string& event, const std::string& extra) {
  std::string v = "{\"event\":" + json_str(event) + ",\"pid\":" + std::to_string(pid_);
  if (!extra.empty()) v += "," + extra;
  v += "}";
  com2_.send(wire::kSchd, v);
  console_note_event(event, v);
}

void Scheduler::console_note_event(const std::string& event, const std::string& v) {
  console_note("scheduler " + event + " " + v);
}

bool Scheduler::spawn() {
  std::vector<std::string> argv{initramfs::kScheduler};
  for (auto& a : read_lines(initramfs::kSchedArgs)) argv.push_back(a);
  UniqueFd rd, wr;
  if (!make_pipe(rd, wr)) {
    spdlog::error("{}", errno_message("pipe for scheduler output", errno));
    return false;
  }
  SpawnSpec spec{argv, false, wr.get(), wr.get(), &reaper_.child_mask()};
  spawn_ns_ = boottime_ns();
  SpawnResult r = init::spawn(spec);
  wr.reset();  // only the child holds the write end: EOF when it (and its children) exit
  log_ = std::make_unique<Pump>(loop_, com2_, wire::kSlog, std::move(rd));
  if (r.pid < 0) {
    spdlog::error("scheduler: {}", r.error);
    state_ = State::died;
    send_event("died", "\"reason\":" + json_str(r.error));
    return false;
  }
  pid_ = r.pid;
  state_ = State::spawned;
  reaper_.watch(pid_, "scheduler", [this](pid_t, const ExitStatus& s) { handle_exit(s); });
  if (r.exec_errno) {
    spdlog::error("scheduler: {}", r.error);
    send_event("spawned", "\"argv\":" + json_str(argv[0]));
    return true;  // the reaper reports the death (exit 126/127) with its real status
  }
  send_event("spawned", "\"args\":" + std::to_string(argv.size() - 1));
  return true;
}

void Scheduler::handle_exit(const ExitStatus& s) {
  status_ = s;
  const uint64_t reaped_ns = boottime_ns();  // when init learnt of it (waitpid returned)
  uint64_t ms = ns_to_ms(reaped_ns - spawn_ns_);
  std::string st;
  read_file(kScxState, st);
  std::string fields = "\"status\":{" + s.json_fields() + "},\"exit_code\":" +
                       std::to_string(s.exit_code()) + ",\"ms\":" + std::to_string(ms) +
                       ",\"kernel_state\":" + json_str(trim_trailing_space(st)) + ",\"t_reaped_ns\":" + std::to_string(reaped_ns);
  if (std::string k = kernel_exit_ ? kernel_exit_() : ""; !k.empty()) fields += ",\"kernel_exit\":" + k;
  if (state_ == State::stopped) {
    send_event("stopped", fields);
    return;
  }
  bool was_attached = state_ == State::attached;
  state_ = State::died;
  send_event("died", fields);
  if (was_attached && on_death_) on_death_();
}

bool Scheduler::wait_attached(uint32_t timeout_ms) {
  if (state_ != State::spawned) return false;
  uint64_t ops_ns = 0;
  bool sysfs_seen = false;
  std::string last_state;
  auto check = [&] {
    std::string ops, st;
    bool ops_ok = read_file(kScxRootOps, ops);
    bool st_ok = read_file(kScxState, st);
    sysfs_seen = sysfs_seen || ops_ok || st_ok;
    ops = trim_trailing_space(ops);
    if (!ops.empty() && !ops_ns) ops_ns = boottime_ns();
    last_state = trim_trailing_space(st);
    // root/ops appears while state is still "enabling": only "enabled" means the payload may run.
    if (!ops.empty() && last_state == "enabled" && state_ == State::spawned) {
      ops_ = ops;
      state_ = State::attached;
    }
  };
  Timer poll;
  if (std::string err; !poll.create(loop_, check, err)) {
    // Without the poll only the deadline would end the wait: say why instead of timing out.
    spdlog::error("scheduler attach poll: {}", err);
    state_ = State::not_attached;
    send_event("not_attached", "\"reason\":" + json_str("attach poll: " + err));
    return false;
  }
  poll.arm_in_ms(kAttachPollMs, kAttachPollMs);
  check();
  uint64_t deadline = spawn_ns_ + uint64_t(timeout_ms) * 1000000ull;
  loop_.run_until([&] { return state_ != State::spawned; }, deadline);
  poll.disarm();
  uint64_t now = boottime_ns();
  if (state_ == State::attached) {
    send_event("attached", "\"ops\":" + json_str(ops_) + ",\"ms\":" + std::to_string(ns_to_ms(now - spawn_ns_)) +
                               ",\"ops_ms\":" + std::to_string(ns_to_ms(ops_ns - spawn_ns_)) +
                               ",\"t_ops_ns\":" + std::to_string(ops_ns) + ",\"t_enabled_ns\":" + std::to_string(now));
    return true;
  }
  if (state_ == State::died) return false;  // handle_exit already reported it
  state_ = State::not_attached;
  send_event("not_attached", std::string("\"reason\":") + (sysfs_seen ? "\"timeout\"" : "\"sysfs_absent\"") +
                                 ",\"ms\":" + std::to_string(ns_to_ms(now - spawn_ns_)) +
                                 ",\"kernel_state\":" + json_str(last_state));
  return false;
}

void Scheduler::stop(uint32_t grace_ms) {
  if (!running()) return;
  State before = state_;
  state_ = State::stopped;
  stop_process(loop_, pid_, SIGINT, grace_ms, [&] { return !running(); }, "scheduler pid " + std::to_string(pid_));
  if (before == State::not_attached) state_ = State::not_attached;
}

void Scheduler::drain_log(uint64_t deadline_ns) {
  if (!log_) return;
  loop_.run_until([&] { return log_->drained(); }, deadline_ns);
  log_->read_available();
  if (!log_->drained()) spdlog::warn("scheduler output still open at teardown (a child holds it)");
  log_->close();
}

}  // namespace ktstr::init
