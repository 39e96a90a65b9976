#include "sched_telemetry.hpp"

#include <algorithm>
#include <cstdio>

#include "guest_json.hpp"

namespace ktstr::host {
namespace {

using nlohmann::json;
namespace checked = guest_json;  // checked: a field of the wrong kind or range reads as absent

// Bounds on what a guest can make the host keep.
constexpr size_t kMaxPrograms = 1000;
constexpr size_t kMaxSamples = 20000;
constexpr size_t kMaxCounters = 256;
constexpr size_t kMaxNameLen = 64;

// name -> unsigned counter members of an object; anything else is counted as bad.
std::map<std::string, uint64_t> counters_of(const json& o, uint64_t& bad) {
  std::map<std::string, uint64_t> out;
  if (!o.is_object()) return out;
  for (const auto& [k, v] : o.items()) {
    auto n = checked::uint_value(v);
    if (!n || k.empty() || k.size() > kMaxNameLen || out.size() >= kMaxCounters) {
      ++bad;
      continue;
    }
    out[k] = *n;
  }
  return out;
}

uint64_t delta(uint64_t now, uint64_t before) { return now >= before ? now - before : now; }  // reset: from 0

std::string fmt_ns(uint64_t ns) {
  char b[32];
  if (ns >= 1000000000ull) std::snprintf(b, sizeof b, "%.2f s", double(ns) / 1e9);
  else if (ns >= 1000000ull) std::snprintf(b, sizeof b, "%.2f ms", double(ns) / 1e6);
  else if (ns >= 1000ull) std::snprintf(b, sizeof b, "%.1f us", double(ns) / 1e3);
  else std::snprintf(b, sizeof b, "%llu ns", static_cast<unsigned long long>(ns));
  return b;
}

}  // namespace

void SchedTelemetry::on_programs(const json& v, double /*t_ms*/) {
  if (programs_seen_) {  // one inventory per run; a second one is not trusted over the first
    ++malformed_;
    return;
  }
  programs_seen_ = true;
  if (auto s = checked::string(v, "run_stats", 512)) run_stats_ = *s;
  const json* programs = checked::array(v, "programs");
  if (!programs) {
    ++malformed_;
    return;
  }
  std::map<std::string, int> seen_names;
  for (const auto& p : *programs) {
    if (!p.is_object() || programs_.size() >= kMaxPrograms) {
      ++malformed_;
      continue;
    }
    auto id = checked::uint(p, "id");
    auto name = checked::string(p, "name", kMaxNameLen);
    if (!id || !name) {
      ++malformed_;
      continue;
    }
    BpfProgram b;
    b.id = *id;
    b.name = *name;
    b.type = checked::string(p, "type", kMaxNameLen).value_or("?");
    b.verified_insns = checked::uint(p, "verified_insns").value_or(0);
    b.jited_len = checked::uint(p, "jited_len").value_or(0);
    b.xlated_len = checked::uint(p, "xlated_len").value_or(0);
    b.held_by_scheduler = checked::boolean(p, "held_by_scheduler").value_or(false);
    int n = ++seen_names[b.name];
    b.key = n == 1 ? b.name : b.name + "#" + std::to_string(n);
    programs_.push_back(std::move(b));
  }
}

void SchedTelemetry::on_sample(const json& v, double t_ms) {
  if (samples_.size() >= kMaxSamples) {
    ++samples_dropped_;
    return;
  }
  TelemetrySample s;
  s.t_ms = t_ms;
  s.why = checked::string(v, "why", kMaxNameLen).value_or("?");
  if (const json* e = checked::object(v, "events")) {
    s.has_events = true;
    s.events = counters_of(*e, malformed_);
  } else if (auto note = checked::string(v, "events_note", 512)) {
    events_note_ = *note;
  }
  if (const json* x = checked::field(v, "sched_ext")) s.sched_ext = counters_of(*x, malformed_);
  if (const json* p = checked::array(v, "progs")) {
    for (const auto& row : *p) {
      if (!row.is_array() || row.size() != 3 || s.progs.size() >= kMaxPrograms) {
        ++malformed_;
        continue;
      }
      auto id = checked::uint_value(row[0]), cnt = checked::uint_value(row[1]), ns = checked::uint_value(row[2]);
      if (!id || !cnt || !ns) {
        ++malformed_;
        continue;
      }
      s.progs[*id] = {*cnt, *ns};
    }
  }
  for (auto& b : programs_)
    if (auto f = s.progs.find(b.id); f != s.progs.end()) std::tie(b.run_cnt, b.run_time_ns) = f->second;
  samples_.push_back(std::move(s));
}

uint64_t SchedTelemetry::total_verified_insns() const {
  uint64_t t = 0;
  for (const auto& p : programs_) t += p.verified_insns;
  return t;
}

json SchedTelemetry::report() const {
  json r;
  r["run_stats"] = run_stats_;
  r["programs"] = json::array();
  for (const auto& p : programs_)
    r["programs"].push_back({{"id", p.id}, {"name", p.name}, {"key", p.key}, {"type", p.type},
                             {"verified_insns", p.verified_insns}, {"jited_len", p.jited_len},
                             {"xlated_len", p.xlated_len}, {"held_by_scheduler", p.held_by_scheduler},
                             {"run_cnt", p.run_cnt}, {"run_time_ns", p.run_time_ns},
                             {"avg_ns", p.run_cnt ? double(p.run_time_ns) / double(p.run_cnt) : 0.0}});
  // Events: the last values, and each sample's change since the one before.
  json events;
  const TelemetrySample* prev = nullptr;
  json per_sample = json::array();
  json program_samples = json::array();
  for (const auto& s : samples_) {
    json d = json::object();
    for (const auto& [k, v] : s.events) d[k] = delta(v, prev && prev->events.count(k) ? prev->events.at(k) : 0);
    if (s.has_events) per_sample.push_back({{"t_ms", s.t_ms}, {"why", s.why}, {"delta", d}});
    json run = json::object();
    for (const auto& p : programs_)
      if (auto f = s.progs.find(p.id); f != s.progs.end()) run[p.key] = f->second.second;
    program_samples.push_back({{"t_ms", s.t_ms}, {"why", s.why}, {"run_time_ns", run}});
    if (s.has_events) prev = &s;
  }
  events["available"] = prev != nullptr;
  if (!prev) events["note"] = events_note_.empty() ? "no sample reported" : events_note_;
  events["final"] = prev ? json(prev->events) : json::object();
  events["samples"] = per_sample;
  r["events"] = events;
  r["sched_ext"] = samples_.empty() ? json::object() : json(samples_.back().sched_ext);
  r["program_samples"] = program_samples;
  json totals = json::object();
  for (const auto& [k, v] : this->totals()) totals[k] = v;
  r["totals"] = totals;
  r["samples"] = samples_.size();
  r["samples_dropped"] = samples_dropped_;
  r["malformed_fields"] = malformed_;
  return r;
}

std::vector<std::pair<std::string, uint64_t>> SchedTelemetry::totals() const {
  std::vector<std::pair<std::string, uint64_t>> t;
  uint64_t cnt = 0, ns = 0;
  for (const auto& p : programs_) {
    cnt += p.run_cnt;
    ns += p.run_time_ns;
  }
  t.emplace_back("programs", programs_.size());
  t.emplace_back("verified_insns", total_verified_insns());
  t.emplace_back("run_cnt", cnt);
  t.emplace_back("run_time_ns", ns);
  for (auto it = samples_.rbegin(); it != samples_.rend(); ++it) {
    if (!it->has_events) continue;
    for (const auto& [k, v] : it->events)
      if (v) t.emplace_back(k, v);
    break;
  }
  if (!samples_.empty())
    if (auto f = samples_.back().sched_ext.find("nr_rejected"); f != samples_.back().sched_ext.end())
      t.emplace_back("nr_rejected", f->second);
  return t;
}

std::string SchedTelemetry::summary_table(size_t top) const {
  if (!seen()) return "";
  std::string out = "scheduler telemetry (run stats: " + run_stats_ + ")\n";
  std::vector<const BpfProgram*> by_time;
  for (const auto& p : programs_) by_time.push_back(&p);
  std::stable_sort(by_time.begin(), by_time.end(),
                   [](const BpfProgram* a, const BpfProgram* b) { return a->run_time_ns > b->run_time_ns; });
  char line[256];
  std::snprintf(line, sizeof line, "  %-24s %10s %12s %12s %10s\n", "program", "verified", "runs", "run time",
                "avg");
  out += line;
  for (size_t i = 0; i < by_time.size() && i < top; ++i) {
    const auto& p = *by_time[i];
    std::snprintf(line, sizeof line, "  %-24s %10llu %12llu %12s %10s\n", p.key.c_str(),
                  static_cast<unsigned long long>(p.verified_insns), static_cast<unsigned long long>(p.run_cnt),
                  fmt_ns(p.run_time_ns).c_str(), p.run_cnt ? fmt_ns(p.run_time_ns / p.run_cnt).c_str() : "-");
    out += line;
  }
  if (by_time.size() > top) out += "  ... " + std::to_string(by_time.size() - top) + " more in the JSON report\n";
  out += "  total verified insns: " + std::to_string(total_verified_insns()) + " in " +
         std::to_string(programs_.size()) + " programs\n";
  bool events = false;
  for (auto it = samples_.rbegin(); it != samples_.rend() && !events; ++it) {
    if (!it->has_events) continue;
    events = true;
    std::string nz;
    for (const auto& [k, v] : it->events)
      if (v) nz += "  " + k + " " + std::to_string(v) + "\n";
    out += nz.empty() ? "  sched_ext events: all zero\n" : "  sched_ext events (non-zero):\n" + nz;
  }
  if (!events) out += "  sched_ext events: " + (events_note_.empty() ? std::string("none reported") : events_note_) + "\n";
  return out;
}

}  // namespace ktstr::host
