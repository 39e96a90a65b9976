// Parsing of sched_ext's "disabled" records, with plain string operations: the guest uses it too
// and stays free of <regex>.
#include "ktstr/sched_ext_exit.hpp"

#include "ktstr/json_str.hpp"

namespace ktstr {

bool is_clean_sched_ext_reason(const std::string& reason) {
  for (const char* c : {"unregistered from user space", "unregistered from BPF", "unregistered from the main kernel",
                        "disabled by sysrq-S", "parent exiting", "killed by parent scheduler"})
    if (reason == c) return true;
  return false;
}

// kernel/sched/ext/ext.c: sched_ext: BPF scheduler "OPS" disabled (REASON)   (or "BPF sub-scheduler")
// The ops name runs to the last '" disabled (': a quote inside it cannot cut it short.
std::optional<SchedExitInfo> parse_sched_ext_exit(const KmsgRecord& r) {
  if (r.facility != 0) return std::nullopt;
  std::string_view m = r.msg;
  constexpr std::string_view kMain = "sched_ext: BPF scheduler \"", kSub = "sched_ext: BPF sub-scheduler \"",
                             kMid = "\" disabled (";
  SchedExitInfo e;
  if (m.starts_with(kMain)) {
    m.remove_prefix(kMain.size());
  } else if (m.starts_with(kSub)) {
    m.remove_prefix(kSub.size());
    e.sub_scheduler = true;
  } else {
    return std::nullopt;
  }
  size_t mid = m.rfind(kMid);
  if (mid == std::string_view::npos || !m.ends_with(')')) return std::nullopt;
  e.ops = m.substr(0, mid);
  e.reason = m.substr(mid + kMid.size(), m.size() - mid - kMid.size() - 1);
  e.error = !is_clean_sched_ext_reason(e.reason);
  e.kind = e.reason == "runtime error" || e.reason == "scx_bpf_error" ? "runtime error"
           : e.reason == "runnable task stall"                        ? "watchdog stall"
                                                                      : e.reason;
  e.seq = r.seq;
  e.ts_us = r.ts_us;
  return e;
}

bool add_sched_ext_message(SchedExitInfo& info, const KmsgRecord& next) {
  std::string prefix = "sched_ext: " + info.ops + ": ";
  if (next.facility != 0 || !next.msg.starts_with(prefix)) return false;
  info.message = next.msg.substr(prefix.size());
  return true;
}

std::string sched_exit_json_text(const SchedExitInfo& e) {
  return "{\"ops\":" + json_str(e.ops) + ",\"kind\":" + json_str(e.kind) + ",\"reason\":" + json_str(e.reason) +
         ",\"message\":" + json_str(e.message) + ",\"error\":" + (e.error ? "true" : "false") + "}";
}

}  // namespace ktstr
