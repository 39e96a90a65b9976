#include "splat.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "guest_json.hpp"
#include "utf8.hpp"

namespace ktstr::host {
namespace {

struct BuiltinRule {
  const char* name;
  const char* pattern;
  bool scheduler_exit = false;  // a sched_ext exit: fails the run only for the scheduler under test
  bool (*also)(const KmsgRecord&) = nullptr;  // a further condition beyond the pattern
};

// A "disabled" record whose reason is not a clean exit. The one list of clean reasons is
// is_clean_sched_ext_reason; a record the parser cannot read counts as an error exit.
bool error_exit(const KmsgRecord& r) {
  auto e = parse_sched_ext_exit(r);
  return !e || e->error;
}

// Deny list, most specific first: the first match names the splat. The formats are those of the
// kernel's printk calls (x86 and generic code); '^' where the text starts the message, so lines
// that merely mention a word ("Spectre V2 : WARNING: ..." style advisories) do not count.
constexpr BuiltinRule kDeny[] = {
    {"kernel BUG", "^kernel BUG at "},                      // lib/bug.c: BUG()/BUG_ON()
    {"KASAN", "(^|BUG: )KASAN: "},                          // mm/kasan/report.c
    {"UBSAN", "^UBSAN: "},                                  // lib/ubsan.c
    {"soft lockup", "BUG: soft lockup - CPU#"},             // kernel/watchdog.c ("watchdog: " prefix)
    {"hard LOCKUP", "Watchdog detected hard LOCKUP"},       // kernel/watchdog.c
    // kernel/rcu/tree_stall.h, tree_exp.h, tasks.h: "rcu: INFO: rcu_preempt detected stalls on
    // CPUs/tasks:", "... self-detected stall on CPU", "... detected expedited stalls ...",
    // "INFO: rcu_tasks detected stalls on tasks:"
    {"RCU stall", "INFO: rcu_\\w+ (self-detected stall|detected (expedited )?stalls)"},
    // kernel/hung_task.c: "INFO: task NAME:PID blocked[ in I/O wait] for more than N seconds."
    {"hung task", "INFO: task .* blocked.* for more than [0-9]+ seconds"},
    {"general protection fault", "general protection fault"},  // x86 traps.c, also inside "Oops: "
    // x86 dumpstack.c "Oops: int3: 0000 [#1] ..." (older kernels: "invalid opcode: 0000 [#1]"),
    // arm64 "Internal error: Oops: ...", other arches "Unable to handle kernel paging request".
    {"Oops", "^Oops\\b|^Internal error: Oops|^Unable to handle kernel |: [0-9a-f]{4} \\[#[0-9]+\\]"},
    {"Kernel panic", "^Kernel panic - not syncing"},        // not "---[ end Kernel panic": that ends it
    {"WARNING", "^WARNING: "},                              // kernel/panic.c __warn(), lockdep
    {"BUG", "^BUG: "},  // NULL deref, page fault, sleeping in atomic, KCSAN, KFENCE, bad page ...
    // kernel/sched/ext: an error exit is printed at err level as disabled (REASON) and followed
    // by "sched_ext: OPS: MESSAGE"; clean exits (is_clean_sched_ext_reason) at info level are not splats.
    {"sched_ext stall", "^sched_ext: BPF (sub-)?scheduler \".*\" disabled \\(runnable task stall\\)$", true},
    {"sched_ext error", "^sched_ext: BPF (sub-)?scheduler \".*\" disabled \\(", true, error_exit},
    {"sched_ext error", "^sched_ext: ops error detected without ops ", true},
};

// Allow list: known harmless kernel lines that a deny rule would otherwise catch. Allow rules win.
constexpr BuiltinRule kAllow[] = {
    // kernel/sched/ext/sub.c: printed when a scheduler sets a watchdog timeout at or below the
    // rescue overload threshold (our test fixture does, for fast stall tests). Advisory only.
    {"sched_ext rescue threshold advisory",
     "^sched_ext: .+: watchdog timeout [0-9]+ms <= rescue overload threshold [0-9]+ms$"},
    // Same function family, same nature: funding period vs. overload threshold at enable.
    {"sched_ext rescue period advisory",
     "^sched_ext: .+: rescue funding period -?[0-9]+ms > overload threshold [0-9]+ms / 2$"},
};

std::regex compile(const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    throw std::runtime_error("bad regex '" + pattern + "': " + e.what());
  }
}

// The guest writes byte B >= 0x80 as \u00BB, which nlohmann hands over as the UTF-8 of U+00BB.
// Undo that when the original bytes are valid UTF-8 themselves; otherwise keep the safe form.
std::string restore_bytes(const std::string& s) {
  std::string bytes;
  bytes.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      bytes += char(c);
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < s.size()) {
      bytes += char((c & 0x03) << 6 | (static_cast<unsigned char>(s[++i]) & 0x3F));
    } else {
      return s;  // a code point above U+00FF: not from the guest's escaping
    }
  }
  return valid_utf8(bytes) ? bytes : s;
}

bool applies(const SplatRule& rule, const KmsgRecord& r) {
  return std::regex_search(r.msg, rule.re) && (!rule.also || rule.also(r));
}

}  // namespace

SplatClassifier::SplatClassifier() {
  for (const BuiltinRule& r : kDeny) deny_.push_back({r.name, compile(r.pattern), r.scheduler_exit, r.also});
  for (const BuiltinRule& r : kAllow) allow_.push_back({r.name, compile(r.pattern), false, r.also});
}

void SplatClassifier::add_deny(const std::string& pattern, std::string name) {
  deny_.push_back({name.empty() ? pattern : std::move(name), compile(pattern), false, nullptr});
}

void SplatClassifier::add_allow(const std::string& pattern, std::string name) {
  allow_.push_back({name.empty() ? pattern : std::move(name), compile(pattern), false, nullptr});
}

void SplatClassifier::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    auto first = line.find_first_not_of(" \t");
    auto last = line.find_last_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::string text = line.substr(first, last - first + 1);
    size_t sp = text.find_first_of(" \t");
    std::string keyword = text.substr(0, sp);
    std::string pattern = sp == std::string::npos ? "" : text.substr(text.find_first_not_of(" \t", sp));
    std::string where = path + ":" + std::to_string(lineno) + ": ";
    if ((keyword != "deny" && keyword != "allow") || pattern.empty())
      throw std::runtime_error(where + "expected 'deny REGEX' or 'allow REGEX', got '" + text + "'");
    try {
      keyword == "deny" ? add_deny(pattern) : add_allow(pattern);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(where + e.what());
    }
  }
  if (in.bad()) throw std::runtime_error(path + ": read error: " + std::strerror(errno));
}

const SplatRule* SplatClassifier::match(const KmsgRecord& r) const {
  if (r.facility != 0) return nullptr;
  // Deny first: almost no record matches one, so the allow list is rarely consulted. A rule that
  // is not a built-in sched_ext exit rule wins over one (a user's --deny of a sched_ext exit
  // makes it a failure whoever loaded the scheduler).
  const SplatRule* found = nullptr;
  for (const SplatRule& d : deny_) {
    if (!applies(d, r)) continue;
    if (!found)
      for (const SplatRule& a : allow_)
        if (applies(a, r)) return nullptr;
    if (!d.scheduler_exit) return &d;
    if (!found) found = &d;
  }
  return found;
}

std::optional<Splat> SplatClassifier::classify(const KmsgRecord& r) const {
  const SplatRule* rule = match(r);
  if (!rule) return std::nullopt;
  return Splat{rule->name, r.msg, r.seq, r.ts_us, {r.msg}, rule->scheduler_exit, {}};
}

void SplatCollector::track_exit(const KmsgRecord& r) {
  if (auto e = parse_sched_ext_exit(r)) {
    exits_.push_back(std::move(*e));
    // The kernel prints a message only after an error exit.
    exit_message_budget_ = exits_.back().error ? kExitMessageWindow : 0;
  } else if (exit_message_budget_ > 0) {
    --exit_message_budget_;
    if (add_sched_ext_message(exits_.back(), r)) exit_message_budget_ = 0;
  }
}

void SplatCollector::feed(const KmsgRecord& r) {
  if (r.facility != 0) return;
  track_exit(r);
  const SplatRule* rule = classifier_.match(r);
  if (open_) {
    Splat& s = splats_.back();
    bool expired = s.lines.size() >= kMaxLines || (r.ts_us > s.ts_us && r.ts_us - s.ts_us > kMaxSpanUs);
    // "cut here" always opens the next report (WARN, BUG, UBSAN): it never belongs to the last.
    if (expired || rule || r.msg == "------------[ cut here ]------------") {
      open_ = false;
    } else {
      s.lines.push_back(r.msg);
      if (r.msg.starts_with("---[ end ")) open_ = false;
      return;
    }
  }
  if (!rule) return;
  std::string ops = !exits_.empty() && exits_.back().seq == r.seq ? exits_.back().ops : "";
  splats_.push_back(Splat{rule->name, r.msg, r.seq, r.ts_us, {r.msg}, rule->scheduler_exit, ops});
  open_ = true;
}

std::optional<KmsgRecord> kmsg_record_from_json(const nlohmann::json& v) {
  if (!v.is_object()) return std::nullopt;
  auto prio = guest_json::uint(v, "prio", 7);
  auto facility = guest_json::uint(v, "facility", uint64_t(INT32_MAX) >> 3);
  auto seq = guest_json::uint(v, "seq");
  auto ts = guest_json::uint(v, "ts_us");
  auto msg = guest_json::string(v, "msg");
  if (!prio || !facility || !seq || !ts || !msg) return std::nullopt;
  KmsgRecord r;
  r.prio = int(*prio);
  r.facility = int(*facility);
  r.seq = *seq;
  r.ts_us = *ts;
  r.msg = restore_bytes(*msg);
  if (const nlohmann::json* cont = guest_json::field(v, "cont")) {
    if (!cont->is_array()) return std::nullopt;
    for (const auto& c : *cont) {
      if (!c.is_string()) return std::nullopt;
      r.cont.push_back(restore_bytes(c.get<std::string>()));
    }
  }
  return r;
}

nlohmann::json splat_json(const Splat& s) {
  return {{"rule", s.rule}, {"first_line", s.first_line}, {"seq", s.seq},      {"ts_us", s.ts_us},
          {"lines", s.lines}, {"scheduler_exit", s.scheduler_exit}, {"ops", s.ops}};
}

nlohmann::json sched_exit_json(const SchedExitInfo& e) {
  return {{"ops", e.ops},         {"kind", e.kind},   {"reason", e.reason},
          {"message", e.message}, {"error", e.error}, {"sub_scheduler", e.sub_scheduler},
          {"seq", e.seq},         {"ts_us", e.ts_us}};
}

}  // namespace ktstr::host
