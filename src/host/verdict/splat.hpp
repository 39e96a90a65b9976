// Kernel health from KMSG records: which kernel log records are "splats" (WARNING, BUG, Oops,
// lockups, RCU stalls, hung tasks, sanitizer reports, panics, sched_ext error exits), the text
// that belongs to each, and how sched_ext said a BPF scheduler left.
//
// Only records of the kernel facility (0) count: lines a program writes to /dev/kmsg get facility
// 1 (user) or whatever it asked for, never 0, so a payload printing "BUG:" is not a kernel splat.
// Rules are ECMAScript regexes searched in the record's message; '^' anchors at its start.
// Everything here is fed untrusted guest data and never throws on it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "ktstr/kmsg_record.hpp"
#include "ktstr/sched_ext_exit.hpp"

namespace ktstr::host {

struct SplatRule {
  std::string name;  // shown in reports: "WARNING", "RCU stall", or a user rule's pattern
  std::regex re;
  bool scheduler_exit = false;  // built-in sched_ext exit rule: judged per scheduler (GuestRecord)
  bool (*also)(const KmsgRecord&) = nullptr;  // built-in rules: a condition beyond the regex
};

struct Splat {
  std::string rule;        // name of the deny rule that matched
  std::string first_line;  // the matching record's message
  uint64_t seq = 0;        // the matching record's seq and timestamp
  uint64_t ts_us = 0;
  std::vector<std::string> lines;  // first_line, then the messages of the records that followed
  bool scheduler_exit = false;     // named by a built-in sched_ext exit rule
  std::string ops;                 // then: the exiting scheduler's ops name, if the record says
};

class SplatClassifier {
 public:
  // Starts with the built-in deny and allow lists (splat.cpp documents each entry).
  SplatClassifier();

  // Adds a user rule; `name` defaults to the pattern. Allow rules win over every deny rule.
  // Throws std::runtime_error naming the pattern if it is not a valid ECMAScript regex.
  void add_deny(const std::string& pattern, std::string name = {});
  void add_allow(const std::string& pattern, std::string name = {});
  // Reads rules from a file: one "deny REGEX" or "allow REGEX" per line; blank lines and lines
  // starting with '#' are skipped. Throws std::runtime_error "PATH: ..." if the file cannot be
  // read and "PATH:LINE: ..." for a bad line or regex (rules before it stay added).
  void load_file(const std::string& path);

  // The deny rule a kernel-facility record matches and no allow rule exempts; nullptr otherwise.
  const SplatRule* match(const KmsgRecord& r) const;
  // A one-line Splat (lines = {msg}) for a matching record; nullopt otherwise.
  std::optional<Splat> classify(const KmsgRecord& r) const;

  const std::vector<SplatRule>& deny_rules() const { return deny_; }
  const std::vector<SplatRule>& allow_rules() const { return allow_; }

 private:
  std::vector<SplatRule> deny_, allow_;
};

// SchedExitInfo, parse_sched_ext_exit and add_sched_ext_message: ktstr/sched_ext_exit.hpp


// Feeds records in order and groups each splat with the records that follow it: a splat ends at
// an "---[ end " line (end trace, end Kernel panic), at kMaxLines lines, when a record comes more
// than kMaxSpanUs after the first, or when another deny rule matches (which opens a new splat).
// Tracks sched_ext exits alongside. Non-kernel records are ignored entirely.
class SplatCollector {
 public:
  static constexpr size_t kMaxLines = 60;
  static constexpr uint64_t kMaxSpanUs = 2'000'000;
  // Records between a "disabled" record and its message that may belong to other CPUs.
  static constexpr int kExitMessageWindow = 8;

  // `classifier` must outlive the collector.
  explicit SplatCollector(const SplatClassifier& classifier) : classifier_(classifier) {}

  void feed(const KmsgRecord& r);
  // Every splat so far; the last one may still be growing (collecting()).
  const std::vector<Splat>& splats() const { return splats_; }
  const std::vector<SchedExitInfo>& sched_exits() const { return exits_; }
  bool collecting() const { return open_; }

 private:
  void track_exit(const KmsgRecord& r);

  const SplatClassifier& classifier_;
  std::vector<Splat> splats_;
  std::vector<SchedExitInfo> exits_;
  bool open_ = false;
  int exit_message_budget_ = 0;  // records left in which the last exit's message may come
};

// A KMSG frame value (kmsg_record_json) back into a record; nullopt if a field is missing or of
// the wrong type. The guest escapes each non-ASCII byte as \u00XX: the bytes are restored when
// they form valid UTF-8, otherwise each stays the code point U+00XX, so strings are always valid
// UTF-8 (safe to put in a JSON report).
std::optional<KmsgRecord> kmsg_record_from_json(const nlohmann::json& v);

// Report forms: {"rule","first_line","seq","ts_us","lines"} and
// {"ops","kind","reason","message","error","sub_scheduler","seq","ts_us"}.
nlohmann::json splat_json(const Splat& s);
nlohmann::json sched_exit_json(const SchedExitInfo& e);

}  // namespace ktstr::host
