#include "run_session.hpp"

#include <unistd.h>

#include <cstdio>

#include "boot_timeline.hpp"
#include "vm_process.hpp"

namespace ktstr::host {
namespace {

double ms_of(uint64_t t_ns) { return double(t_ns) / 1e6; }

}  // namespace

void RunSession::prefixed(const char* prefix, std::string_view bytes, std::string& partial) {
  partial.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1)
    write_all(sinks_.err_fd, std::string(prefix) + partial.substr(start, nl - start + 1));
  partial.erase(0, start);
}

void RunSession::on_console(std::string_view bytes) {
  if (!bytes.empty() && !host_ms_.contains("first_console_byte")) host_ms_["first_console_byte"] = host_ms();
  if (!sinks_.verbose) return;
  std::string clean;
  for (char c : bytes)
    if (c != '\r') clean += c;
  prefixed("con| ", clean, console_partial_);
}

void RunSession::on_frame(const wire::Frame& f) {
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
  } else if (f.type == wire::kIlog) {
    // init's warnings and errors are always shown: they explain failures.
    bool loud = bytes.starts_with("[warning]") || bytes.starts_with("[error]") || bytes.starts_with("[critical]");
    if (sinks_.verbose || loud) prefixed("init| ", bytes, ilog_partial_);
  } else {
    control(f, type);
  }
}

void RunSession::control(const wire::Frame& f, const std::string& type) {
  std::string_view text(reinterpret_cast<const char*>(f.value.data()), f.value.size());
  nlohmann::json v = nlohmann::json::parse(text, nullptr, false);
  if (v.is_discarded() || !v.is_object()) {
    ++malformed_control_;
    write_all(sinks_.err_fd, "ktstr-vm: malformed " + type + " frame (seq " + std::to_string(f.seq) + ")\n");
    return;
  }
  v["t_ms"] = ms_of(f.t_ns);
  std::string milestone = f.type == wire::kPhas && v.contains("phase") && v["phase"].is_string()
                              ? v["phase"].get<std::string>() : type;
  if ((f.type == wire::kHelo || f.type == wire::kPhas || f.type == wire::kDone) && !host_ms_.contains(milestone))
    host_ms_[milestone] = host_ms();
  if (sinks_.verbose && f.type != wire::kBeat && f.type != wire::kKmsg)
    write_all(sinks_.err_fd, "ktstr| " + type + " " + v.dump() + "\n");
  if (f.type == wire::kKmsg) {
    kernel_record(v);
  } else if (f.type == wire::kHelo) {
    helo_seen_ = true;
    helo_ = v;
  } else if (f.type == wire::kPhas) {
    if (v.contains("phase") && v["phase"].is_string()) last_phase_ = v["phase"].get<std::string>();
    phases_.push_back(v);
  } else if (f.type == wire::kSchd) {
    sched_events_.push_back(v);
    std::string ev = v.value("event", "");
    if (!sinks_.verbose && (ev == "died" || ev == "not_attached"))
      write_all(sinks_.err_fd, "ktstr-vm: scheduler " + ev + " " + v.dump() + "\n");
  } else if (f.type == wire::kDump) {
    dumps_.push_back(v);
  } else if (f.type == wire::kExit) {
    exit_ = v;
  } else if (f.type == wire::kDone) {
    done_ = v;
  } else if (f.type == wire::kCrsh) {
    crash_ = v;
  } else if (f.type == wire::kFatl) {
    fatal_ = v;
    if (!sinks_.verbose) write_all(sinks_.err_fd, "ktstr-vm: guest fatal error: " + v.dump() + "\n");
  }
}

// The console runs at loglevel=4: records of priority 4 (warning) and above it (less severe)
// never reach COM1, so they are shown from their KMSG frames, in dmesg's format.
void RunSession::kernel_record(const nlohmann::json& rec) {
  ++kmsg_records_;
  if (auto r = kmsg_record_from_json(rec)) {
    size_t before = splats_.splats().size();
    splats_.feed(*r);
    if (splats_.splats().size() > before)
      write_all(sinks_.err_fd, "ktstr-vm: kernel splat (" + splats_.splats().back().rule +
                                  "): " + splats_.splats().back().first_line + "\n");
  }
  uint64_t seq = rec.value("seq", uint64_t(0));
  if (kmsg_seen_ && seq > kmsg_next_seq_) kmsg_dropped_ += seq - kmsg_next_seq_;
  kmsg_seen_ = true;
  kmsg_next_seq_ = seq + 1;
  if (rec.value("prio", 0) < 4) return;
  char ts[32];
  std::snprintf(ts, sizeof ts, "[%5llu.%06llu] ", static_cast<unsigned long long>(rec.value("ts_us", uint64_t(0)) / 1000000),
                static_cast<unsigned long long>(rec.value("ts_us", uint64_t(0)) % 1000000));
  std::string line = ts + rec.value("msg", std::string()) + "\n";
  if (sinks_.console_log_fd >= 0) write_all(sinks_.console_log_fd, line);
  if (sinks_.verbose) write_all(sinks_.err_fd, "kmsg| " + line);
}

Verdict RunSession::verdict(const wire::DecodeStats& stats, const std::string& console_tail, bool watchdog_fired,
                            const std::string& watchdog_reason) const {
  Verdict v = frames_verdict(stats, console_tail, watchdog_fired, watchdog_reason);
  // A kernel that hit a bug fails the run even when the payload passed (unless --splats=warn).
  // A crash or hang keeps its own reason: the splat is then in the report.
  const auto& splats = splats_.splats();
  if (!splats.empty() && !sinks_.splats_warn_only && !done_.is_null()) {
    v.exit_code = exit_code::kInfrastructure;
    v.reason = "kernel splat: " + splats.front().first_line;
    if (splats.size() > 1) v.reason += " (and " + std::to_string(splats.size() - 1) + " more)";
  }
  return v;
}

Verdict RunSession::frames_verdict(const wire::DecodeStats& stats, const std::string& console_tail,
                                   bool watchdog_fired, const std::string& watchdog_reason) const {
  Verdict v;
  if (!done_.is_null()) {
    const auto& code = done_["exit_code"];
    if (!code.is_number_integer() || code.get<int64_t>() < 0 || code.get<int64_t>() > 255) {
      v.reason = "DONE frame carries no valid exit_code";
      return v;
    }
    v.exit_code = code.get<int>();
    if (done_.contains("reason") && done_["reason"].is_string()) v.reason = done_["reason"].get<std::string>();
    // Nothing silently lost: the guest's counts must match what arrived.
    if (stats.corrupt || stats.lost) {
      v.exit_code = exit_code::kInfrastructure;
      v.reason = "COM2 stream damaged: " + std::to_string(stats.corrupt) + " corrupt, " +
                 std::to_string(stats.lost) + " lost frames";
      return v;
    }
    if (done_.contains("bytes") && done_["bytes"].is_object()) {
      for (const char* s : {"SOUT", "SERR", "SLOG"}) {
        uint64_t want = done_["bytes"].value(s, uint64_t(0));
        uint64_t got = stream_bytes_.count(s) ? stream_bytes_.at(s) : 0;
        if (want != got) {
          v.exit_code = exit_code::kInfrastructure;
          v.reason = std::string(s) + " bytes: guest sent " + std::to_string(want) + ", host received " +
                     std::to_string(got);
          return v;
        }
      }
    }
    return v;
  }
  if (!crash_.is_null()) {
    v.reason = "init crashed: " + crash_.dump();
  } else if (size_t p = console_tail.find("Kernel panic"); p != std::string::npos) {
    v.reason = "kernel panic: " + console_tail.substr(p, console_tail.find('\n', p) - p);
  } else if (watchdog_fired) {
    v.reason = watchdog_reason;
  } else if (!helo_seen_) {
    v.reason = "no HELO on COM2: the guest never reached init, or init could not use COM2 (see the console)";
  } else {
    v.reason = "stream truncated: no DONE frame (last phase: " + last_phase_ + "; " + stats.summary() + ")";
  }
  return v;
}

double RunSession::host_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
}

nlohmann::json RunSession::report() const {
  nlohmann::json r;
  r["host_ms_since_qemu_start"] = host_ms_;
  r["boot_timeline_ms"] = boot_timeline(host_ms_, helo_, done_);
  r["helo"] = helo_;
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
  r["splats"] = nlohmann::json::array();
  for (const auto& s : splats_.splats()) r["splats"].push_back(splat_json(s));
  r["sched_ext_exits"] = nlohmann::json::array();
  for (const auto& e : splats_.sched_exits()) r["sched_ext_exits"].push_back(sched_exit_json(e));
  r["stdout_tail"] = stdout_tail_;
  r["stderr_tail"] = stderr_tail_;
  return r;
}

}  // namespace ktstr::host
