#include "guest_record.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "boot_timeline.hpp"
#include "guest_json.hpp"
#include "ktstr/posix_io.hpp"
#include "text.hpp"

namespace ktstr::host {
namespace {

constexpr size_t kSchedTailLines = 20;  // the scheduler's last lines shown when it failed
constexpr size_t kMaxOomKills = 16;     // OOM kill lines kept for the report
constexpr int kVmKilled = exit_code::for_signal(SIGKILL);  // Ctrl-A X: the VM was killed, as by kill -9

double ms_of(uint64_t t_ns) { return double(t_ns) / 1e6; }

// Guest JSON as text for messages; never throws (strings are valid UTF-8 after parsing anyway).
std::string text(const nlohmann::json& v) {
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The line of `text` that starts at `p`, without its end of line (the console's CR LF included).
std::string line_at(const std::string& text, size_t p) {
  size_t end = text.find('\n', p);
  std::string line = text.substr(p, end == std::string::npos ? std::string::npos : end - p);
  while (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The last `n` lines of `s` (a partial last line counts as one).
std::string last_lines(const std::string& s, size_t n) {
  size_t p = s.size();
  if (p && s[p - 1] == '\n') --p;
  while (p > 0 && n > 0) {
    size_t nl = s.rfind('\n', p - 1);
    if (nl == std::string::npos) return s;
    if (--n == 0) return s.substr(nl + 1);
    p = nl;
  }
  return s.substr(p);
}

// What the kernel says when the guest reboots, powers off or halts (kernel/reboot.c).
constexpr const char* kRebootLines[] = {"reboot: Restarting system", "reboot: Power down", "reboot: System halted"};

std::string describe_wait_status(int st) {
  if (WIFEXITED(st)) return "exit status " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return "killed by signal " + std::to_string(WTERMSIG(st)) + " (" + strsignal(WTERMSIG(st)) + ")";
  return "wait status " + std::to_string(st);
}

}  // namespace

const SplatClassifier& GuestRecord::builtin_rules() {
  static const SplatClassifier rules;
  return rules;
}

void GuestRecord::prefixed(const char* prefix, std::string_view bytes, std::string& partial) {
  partial.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1)
    write_all(sinks_.err_fd, std::string(prefix) + partial.substr(start, nl - start + 1));
  partial.erase(0, start);
}

void GuestRecord::on_console(std::string_view bytes) {
  if (!bytes.empty() && !host_ms_.contains("first_console_byte")) host_ms_["first_console_byte"] = host_ms();
  if (!sinks_.verbose) return;
  std::string clean;
  for (char c : bytes)
    if (c != '\r') clean += c;
  prefixed("con| ", clean, console_partial_);
}

void GuestRecord::note_qemu_exit(int wait_status) { qemu_exit_ = describe_wait_status(wait_status); }

void GuestRecord::on_frame(const wire::Frame& f) {
  std::string type(f.type.view());
  std::string_view bytes(reinterpret_cast<const char*>(f.value.data()), f.value.size());
  if (wire::is_stream(f.type)) stream_bytes_[type] += bytes.size();
  if (f.type == wire::kSout) {
    write_all(sinks_.out_fd, bytes);
    keep_tail(stdout_tail_, bytes);
  } else if (f.type == wire::kSerr) {
    write_all(sinks_.err_fd, bytes);
    keep_tail(stderr_tail_, bytes);
  } else if (f.type == wire::kSlog) {
    if (sinks_.sched_log_fd >= 0) write_all(sinks_.sched_log_fd, bytes);
    if (sinks_.verbose) prefixed("sched| ", bytes, slog_partial_);
    keep_tail(slog_tail_, bytes, 8192);
  } else if (f.type == wire::kHook) {
    hook_.output(bytes);
    if (sinks_.verbose) prefixed("hook| ", bytes, hook_partial_);
  } else if (f.type == wire::kIlog) {
    // init's warnings and errors are always shown: they explain failures.
    bool loud = bytes.starts_with("[warning]") || bytes.starts_with("[error]") || bytes.starts_with("[critical]");
    if (sinks_.verbose || loud) prefixed("init| ", bytes, ilog_partial_);
  } else {
    control(f, type);
  }
}

void GuestRecord::control(const wire::Frame& f, const std::string& type) {
  std::string_view value(reinterpret_cast<const char*>(f.value.data()), f.value.size());
  nlohmann::json v = nlohmann::json::parse(value, nullptr, false);
  if (v.is_discarded() || !v.is_object()) {
    ++malformed_control_;
    write_all(sinks_.err_fd, "ktstr-vm: malformed " + type + " frame (seq " + std::to_string(f.seq) + ")\n");
    return;
  }
  v["t_ms"] = ms_of(f.t_ns);
  auto phase = guest_json::string(v, "phase");
  std::string milestone = f.type == wire::kPhas && phase ? *phase : type;
  if ((f.type == wire::kHelo || f.type == wire::kPhas || f.type == wire::kDone) && !host_ms_.contains(milestone))
    host_ms_[milestone] = host_ms();
  if (sinks_.verbose && f.type != wire::kBeat && f.type != wire::kKmsg && f.type != wire::kStat)
    write_all(sinks_.err_fd, "ktstr| " + type + " " + text(v) + "\n");
  if (f.type == wire::kKmsg) {
    kernel_record(v);
  } else if (f.type == wire::kHelo) {
    helo_seen_ = true;
    helo_ = v;
  } else if (f.type == wire::kPhas) {
    if (phase) last_phase_ = *phase;
    phases_.push_back(v);
  } else if (f.type == wire::kSchd) {
    sched_event(v);
  } else if (f.type == wire::kTopo) {
    topology_ = v;
  } else if (f.type == wire::kDump) {
    dumps_.push_back(v);
  } else if (f.type == wire::kHend) {
    hook_.end(v);
    write_all(sinks_.err_fd, "ktstr-vm: " + hook_.end_line() + "\n");
  } else if (f.type == wire::kExit) {
    exit_ = v;
  } else if (f.type == wire::kDone) {
    bool first = done_.is_null();
    done_ = v;
    if (first) on_done();
  } else if (f.type == wire::kCrsh) {
    crash_ = v;
  } else if (f.type == wire::kProg) {
    telemetry_.on_programs(v, ms_of(f.t_ns));
  } else if (f.type == wire::kStat) {
    telemetry_.on_sample(v, ms_of(f.t_ns));
  } else if (f.type == wire::kFatl) {
    fatal_ = v;
    if (!sinks_.verbose) write_all(sinks_.err_fd, "ktstr-vm: guest fatal error: " + text(v) + "\n");
  }
}

void GuestRecord::sched_event(const nlohmann::json& v) {
  sched_events_.push_back(v);
  std::string ev = guest_json::string(v, "event").value_or("");
  if (ev == "attached") sched_ops_ = guest_json::string(v, "ops").value_or("");
  if (ev == "died" || ev == "not_attached") {
    sched_failure_ = ev;
    if (!sinks_.verbose) write_all(sinks_.err_fd, "ktstr-vm: scheduler " + ev + " " + text(v) + "\n");
  }
  // init's stop() sends SIGINT, and SIGKILL only when the grace ran out: a scheduler reaped by
  // SIGKILL ignored the request to stop.
  const nlohmann::json* status = guest_json::field(v, "status");
  if (ev == "stopped" && status && guest_json::uint(*status, "signal") == uint64_t(SIGKILL)) {
    sched_unstoppable_ = "the scheduler did not stop on SIGINT and was killed (SIGKILL)";
    if (auto state = guest_json::string(v, "kernel_state"); state && *state == "enabled")
      sched_unstoppable_ += "; sched_ext was still enabled when it was reaped";
  }
}

// The console runs at loglevel=4: records of priority 4 (warning) and above it (less severe)
// never reach COM1, so they are shown from their KMSG frames, in dmesg's format.
void GuestRecord::kernel_record(const nlohmann::json& rec) {
  ++kmsg_records_;
  auto r = kmsg_record_from_json(rec);
  if (!r) {
    ++malformed_control_;  // counted in the report; one bad record is not worth a line each
    return;
  }
  size_t before = splats_.splats().size();
  splats_.feed(*r);
  if (splats_.splats().size() > before) {
    const Splat& s = splats_.splats().back();
    write_all(sinks_.err_fd, fails_run(s) ? "ktstr-vm: kernel splat (" + s.rule + "): " + s.first_line + "\n"
                                          : "ktstr-vm: sched_ext exit of \"" + s.ops +
                                                "\", not the scheduler under test (reported, not a failure): " +
                                                s.first_line + "\n");
  }
  if (kmsg_seen_ && r->seq > kmsg_next_seq_) kmsg_dropped_ += r->seq - kmsg_next_seq_;
  kmsg_seen_ = true;
  kmsg_next_seq_ = r->seq + 1;
  if (r->facility == 0) {
    if ((r->msg.starts_with("Out of memory: Killed process ") ||
         r->msg.starts_with("Memory cgroup out of memory: Killed process ")) && oom_kills_.size() < kMaxOomKills)
      oom_kills_.push_back(r->msg);
    for (const char* l : kRebootLines)
      if (r->msg == l) guest_reboot_ = r->msg;
  }
  if (r->prio < 4) return;
  char ts[32];
  std::snprintf(ts, sizeof ts, "[%5llu.%06llu] ", static_cast<unsigned long long>(r->ts_us / 1000000),
                static_cast<unsigned long long>(r->ts_us % 1000000));
  std::string line = ts + r->msg + "\n";
  if (sinks_.console_log_fd >= 0) write_all(sinks_.console_log_fd, line);
  if (sinks_.verbose) write_all(sinks_.err_fd, "kmsg| " + line);
}

// DONE is the guest's last frame: everything the scheduler wrote has arrived.
void GuestRecord::on_done() {
  if (!sched_failure_.empty() && !sinks_.verbose && !slog_tail_.empty()) {
    std::string tail = last_lines(slog_tail_, kSchedTailLines);
    if (tail.back() != '\n') tail += '\n';
    write_all(sinks_.err_fd, "ktstr-vm: the scheduler's last output (all of it: --sched-log or -v):\n");
    std::string partial;
    prefixed("sched| ", tail, partial);
  }
  if (kmsg_dropped_)
    write_all(sinks_.err_fd, "ktstr-vm: warning: " + std::to_string(kmsg_dropped_) +
                                 " kernel log records dropped (the kernel's ring overran init's reader); a "
                                 "splat among them could not be judged\n");
}

bool GuestRecord::fails_run(const Splat& s) const {
  // A sched_ext exit decides the verdict only for the scheduler under test; exits of schedulers
  // the payload loads itself (the kernel's own sched_ext selftests make them fail on purpose)
  // are reported. A user's --deny rule names its splat and always counts.
  return !s.scheduler_exit || s.ops.empty() || s.ops == sched_ops_;
}

// The rules of docs/exit-codes.md, in its order; a later rule overrides what came before it.
Verdict GuestRecord::verdict(const HostFacts& host) const {
  // 1. The frames: DONE's status if the stream around it is whole, else why no DONE came.
  const bool done = !done_.is_null();
  Verdict v = done ? done_verdict(host) : Verdict{exit_code::kInfrastructure, no_done_reason(host)};
  // A crash or hang keeps its own reason: rules 2-4 judge a run that finished (its splats are
  // in the report either way).
  if (done) {
    // 2. A scheduler under test that would not stop fails the payload's own status.
    if (v.reason.empty() && !sched_unstoppable_.empty()) v = {exit_code::kInfrastructure, sched_unstoppable_};
    // 3. A kernel that hit a bug fails the run even when the payload passed (unless --splats=warn).
    std::vector<const Splat*> failing;
    for (const Splat& s : splats_.splats())
      if (fails_run(s)) failing.push_back(&s);
    if (!failing.empty() && !sinks_.splats_warn_only) {
      v.exit_code = exit_code::kInfrastructure;
      v.reason = "kernel splat: " + failing.front()->first_line;
      if (failing.size() > 1) v.reason += " (and " + std::to_string(failing.size() - 1) + " more)";
    }
    // 4. A payload SIGKILLed while the OOM killer ran: the status stays, the reason says why.
    if (v.reason.empty() && v.exit_code == exit_code::for_signal(SIGKILL) && !oom_kills_.empty())
      v.reason = "the payload was killed, and the kernel's OOM killer ran: " + oom_kills_.front();
  }
  // 5. A signal to ktstr-vm: 128 + its number; the guest's reason stays when DONE came.
  if (host.signal && done) v.exit_code = exit_code::for_signal(host.signal);
  else if (host.signal) v = {exit_code::for_signal(host.signal), "interrupted"};
  // 6. Ctrl-A X: the user killed the VM, whatever the guest had said.
  if (host.vm_killed) v = {kVmKilled, "VM killed (Ctrl-A X)"};
  // 7. The verifier baseline fails a run that would pass; a failing run keeps its own status.
  if (!host.verifier_failure.empty() && v.exit_code == exit_code::kOk)
    v = {exit_code::kInfrastructure, host.verifier_failure};
  // 8. A file the user asked for that could not be written fails the run: CI reads these files.
  if (!host.output_error.empty()) v = {exit_code::kInfrastructure, host.output_error};
  return v;
}

bool GuestRecord::payload_dumped_core() const { return guest_json::boolean(exit_, "core").value_or(false); }

Verdict GuestRecord::done_verdict(const HostFacts& host) const {
  const wire::DecodeStats& stats = host.stats;
  Verdict v;
  auto code = guest_json::uint(done_, "exit_code", 255);
  if (!code) {
    v.reason = "DONE frame carries no valid exit_code";
    return v;
  }
  v.exit_code = int(*code);
  v.reason = guest_json::string(done_, "reason").value_or("");
  // Nothing silently lost: the guest's counts must match what arrived.
  if (stats.corrupt || stats.lost)
    return {exit_code::kInfrastructure, "COM2 stream damaged: " + std::to_string(stats.corrupt) + " corrupt, " +
                                            std::to_string(stats.lost) + " lost frames"};
  const nlohmann::json* bytes = guest_json::field(done_, "bytes");
  // The data lane and the output tree, once COM2 itself is whole (its counts come next).
  if (!bytes) return host.data_error.empty() ? v : Verdict{exit_code::kInfrastructure, host.data_error};
  if (!bytes->is_object()) return {exit_code::kInfrastructure, "DONE frame: \"bytes\" is not an object"};
  for (const char* s : {"SOUT", "SERR", "SLOG", "HOOK"}) {
    uint64_t got = stream_bytes_.count(s) ? stream_bytes_.at(s) : 0;
    auto want = guest_json::field(*bytes, s) ? guest_json::uint(*bytes, s) : std::optional<uint64_t>(0);
    if (!want) return {exit_code::kInfrastructure, std::string("DONE frame: bytes.") + s + " is not a count"};
    if (*want != got)
      return {exit_code::kInfrastructure, std::string(s) + " bytes: guest sent " + std::to_string(*want) +
                                              ", host received " + std::to_string(got)};
  }
  if (!host.data_error.empty()) return {exit_code::kInfrastructure, host.data_error};
  return v;
}

// Why a run ended without DONE, as precisely as the frames, the console and QEMU's status say.
std::string GuestRecord::no_done_reason(const HostFacts& host) const {
  const std::string& console_tail = host.console_tail;
  std::string reboot = guest_reboot_;
  for (const char* l : kRebootLines)
    if (reboot.empty() && console_tail.find(l) != std::string::npos) reboot = l;
  bool qemu_failed = !qemu_exit_.empty() && qemu_exit_ != "exit status 0";
  std::string oom = oom_kills_.empty() ? "" : "; the kernel's OOM killer ran: " + oom_kills_.front();
  if (!crash_.is_null()) return "init crashed: " + text(crash_);
  if (size_t p = console_tail.find("Kernel panic"); p != std::string::npos)
    return "kernel panic: " + line_at(console_tail, p) + oom;
  if (host.watchdog_fired) return host.watchdog_reason + oom;
  if (qemu_failed)
    return "QEMU exited on its own (" + qemu_exit_ + ") in phase " + last_phase_ + ", before the guest finished";
  if (!helo_seen_) return "no HELO on COM2: the guest never reached init, or init could not use COM2 (see the console)";
  if (!reboot.empty())
    return "the guest rebooted in phase " + last_phase_ + " before init finished (kernel: \"" + reboot +
           "\"): something in the guest called reboot, e.g. `reboot -f`" + oom;
  return "stream truncated: no DONE frame (last phase: " + last_phase_ + "; " + host.stats.summary() + ")" + oom;
}

double GuestRecord::host_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
}

std::string GuestRecord::summary_notes() const {
  std::string s;
  if (kmsg_dropped_) s += " | kernel log: " + std::to_string(kmsg_dropped_) + " records dropped";
  size_t reported = 0;
  for (const Splat& sp : splats_.splats()) reported += !fails_run(sp);
  if (reported) s += " | " + std::to_string(reported) + " sched_ext exit(s) of the payload's own schedulers";
  return s;
}

nlohmann::json GuestRecord::report() const {
  nlohmann::json r;
  r["host_ms_since_qemu_start"] = host_ms_;
  r["boot_timeline_ms"] = boot_timeline(host_ms_, helo_, done_);
  r["helo"] = helo_;
  r["topology"] = topology_;
  r["phases"] = phases_;
  r["scheduler_events"] = sched_events_;
  r["dumps"] = dumps_;
  r["exit"] = exit_;
  r["done"] = done_;
  r["crash"] = crash_;
  r["fatal"] = fatal_;
  r["stream_bytes"] = stream_bytes_;
  r["malformed_control_frames"] = malformed_control_;
  r["last_phase"] = last_phase_;
  r["kernel_log"] = {{"records", kmsg_records_}, {"dropped", kmsg_dropped_}};
  r["scheduler_under_test"] = {{"ops", sched_ops_}, {"unstoppable", sched_unstoppable_}};
  r["oom_kills"] = oom_kills_;
  r["qemu_exit"] = qemu_exit_.empty() ? nlohmann::json(nullptr) : nlohmann::json(qemu_exit_);
  r["splats"] = nlohmann::json::array();
  for (const auto& s : splats_.splats()) {
    r["splats"].push_back(splat_json(s));
    r["splats"].back()["fails_run"] = fails_run(s);
  }
  r["sched_ext_exits"] = nlohmann::json::array();
  for (const auto& e : splats_.sched_exits()) {
    r["sched_ext_exits"].push_back(sched_exit_json(e));
    r["sched_ext_exits"].back()["scheduler_under_test"] = !sched_ops_.empty() && e.ops == sched_ops_;
  }
  if (telemetry_.seen()) r["scheduler"] = telemetry_.report();
  r["stdout_tail"] = stdout_tail_;
  r["stderr_tail"] = stderr_tail_;
  return r;
}

}  // namespace ktstr::host
