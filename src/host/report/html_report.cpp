#include "html_report.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "ktstr/exit_codes.hpp"
#include "report.hpp"

namespace ktstr::host {
namespace {

using nlohmann::json;

constexpr double kWidth = 960;
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

// Checked reads of the report: anything of the wrong kind reads as absent.
const json& member(const json& o, const char* key) {
  static const json null;
  if (!o.is_object()) return null;
  auto it = o.find(key);
  return it == o.end() ? null : *it;
}
std::optional<double> number(const json& o, const char* key) {
  const json& v = member(o, key);
  if (!v.is_number()) return std::nullopt;
  double d = v.get<double>();
  return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
}
std::string text(const json& o, const char* key) {
  const json& v = member(o, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}
const json& array(const json& o, const char* key) {
  static const json empty = json::array();
  const json& v = member(o, key);
  return v.is_array() ? v : empty;
}

std::string esc(std::string_view s) { return xml_escape(s); }

std::string num(double v, int decimals = 1) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

std::string human_ns(double ns) {
  if (ns >= 1e9) return num(ns / 1e9, 2) + " s";
  if (ns >= 1e6) return num(ns / 1e6, 2) + " ms";
  if (ns >= 1e3) return num(ns / 1e3, 1) + " µs";
  return num(ns, 0) + " ns";
}

std::string human_count(double v) {
  if (v >= 1e9) return num(v / 1e9, 2) + "G";
  if (v >= 1e6) return num(v / 1e6, 2) + "M";
  if (v >= 1e4) return num(v / 1e3, 1) + "k";
  return num(v, 0);
}

const char* colour(size_t i) { return kPalette[i % (sizeof kPalette / sizeof *kPalette)]; }

// Evenly spaced, round tick values covering [lo, hi].
std::vector<double> ticks(double lo, double hi, int want = 8) {
  std::vector<double> t;
  double span = hi - lo;
  if (!(span > 0)) return {lo};
  double raw = span / want, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9 && t.size() < 50; v += step) t.push_back(v);
  return t;
}

struct Moment {
  double t_ms;
  std::string label;
};

// Phases (PHAS), scheduler events (SCHD) and the end (DONE), on one time axis in guest ms.
std::string timeline_svg(const json& r) {
  std::vector<Moment> phases, marks;
  for (const auto& p : array(r, "phases"))
    if (auto t = number(p, "t_ms")) phases.push_back({*t, text(p, "phase")});
  for (const auto& e : array(r, "scheduler_events"))
    if (auto t = number(e, "t_ms")) marks.push_back({*t, "scheduler " + text(e, "event")});
  std::optional<double> start = number(member(r, "helo"), "t_ms"), end = number(member(r, "done"), "t_ms");
  std::vector<double> all;
  for (const auto& m : phases) all.push_back(m.t_ms);
  for (const auto& m : marks) all.push_back(m.t_ms);
  if (start) all.push_back(*start);
  if (end) all.push_back(*end);
  const double h = 190, left = 20, right = kWidth - 20, bar_y = 30, bar_h = 34;
  std::string s = "<svg id=\"timeline\" class=\"chart\" width=\"" + num(kWidth, 0) + "\" height=\"" + num(h, 0) +
                  "\" viewBox=\"0 0 " + num(kWidth, 0) + " " + num(h, 0) +
                  "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"run phases on a timeline\">";
  if (all.empty()) return s + "<text x=\"20\" y=\"40\">no phases in this report</text></svg>";
  double lo = *std::min_element(all.begin(), all.end()), hi = *std::max_element(all.begin(), all.end());
  if (hi <= lo) hi = lo + 1;
  auto x = [&](double t) { return left + (t - lo) / (hi - lo) * (right - left); };
  if (start) phases.insert(phases.begin(), {*start, "boot"});
  std::sort(phases.begin(), phases.end(), [](const Moment& a, const Moment& b) { return a.t_ms < b.t_ms; });
  for (size_t i = 0; i < phases.size(); ++i) {
    double a = x(phases[i].t_ms), b = x(i + 1 < phases.size() ? phases[i + 1].t_ms : hi);
    s += "<rect x=\"" + num(a) + "\" y=\"" + num(bar_y) + "\" width=\"" + num(std::max(b - a, 1.0)) + "\" height=\"" +
         num(bar_h) + "\" fill=\"" + colour(i) + "\"><title>" + esc(phases[i].label) + " at " +
         num(phases[i].t_ms) + " ms</title></rect>";
    if (b - a > 8 * double(phases[i].label.size()))
      s += "<text x=\"" + num(a + 4) + "\" y=\"" + num(bar_y + 21) + "\" fill=\"#fff\" font-size=\"12\">" +
           esc(phases[i].label) + "</text>";
  }
  for (size_t i = 0; i < marks.size(); ++i) {
    double mx = x(marks[i].t_ms);
    s += "<line x1=\"" + num(mx) + "\" x2=\"" + num(mx) + "\" y1=\"" + num(bar_y - 8) + "\" y2=\"" +
         num(bar_y + bar_h + 8) + "\" stroke=\"#222\" stroke-width=\"2\"><title>" + esc(marks[i].label) + " at " +
         num(marks[i].t_ms) + " ms</title></line>";
    bool near_end = mx > right - 7 * double(marks[i].label.size());  // label to the left of the mark
    s += "<text x=\"" + num(near_end ? mx - 3 : mx + 3) + "\" y=\"" + num(bar_y - 12) + "\" font-size=\"11\"" +
         (near_end ? " text-anchor=\"end\"" : "") + ">" + esc(marks[i].label) + "</text>";
  }
  for (double t : ticks(lo, hi)) {
    s += "<line x1=\"" + num(x(t)) + "\" x2=\"" + num(x(t)) + "\" y1=\"" + num(bar_y + bar_h + 12) + "\" y2=\"" +
         num(bar_y + bar_h + 18) + "\" stroke=\"#666\"/>";
    s += "<text x=\"" + num(x(t)) + "\" y=\"" + num(bar_y + bar_h + 32) +
         "\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">" + num(t / 1000, 2) + " s</text>";
  }
  // Legend: every phase with its start time (narrow segments have no room for a label), in rows.
  double lx = left, ly = bar_y + bar_h + 50;
  for (size_t i = 0; i < phases.size() && ly < h; ++i) {
    std::string label = phases[i].label + " " + num(phases[i].t_ms / 1000, 3) + " s";
    double w = 16 + 6.5 * double(label.size());
    if (lx + w > right && lx > left) lx = left, ly += 18;
    s += "<rect x=\"" + num(lx) + "\" y=\"" + num(ly) + "\" width=\"10\" height=\"10\" fill=\"" + colour(i) + "\"/>";
    s += "<text x=\"" + num(lx + 13) + "\" y=\"" + num(ly + 9) + "\" font-size=\"11\">" + esc(label) + "</text>";
    lx += w + 10;
  }
  return s + "</svg>";
}

// The counters that never moved, named under their charts.
std::string zero_list(const std::vector<std::string>& zero) {
  if (zero.empty()) return "";
  std::string s = "<p class=\"note\">At 0 throughout: ";
  for (size_t i = 0; i < zero.size(); ++i) s += (i ? ", " : "") + esc(zero[i]);
  return s + "</p>";
}

// One small chart per event counter that moved: its cumulative value at each sample.
std::string events_svg(const json& sched) {
  const json& events = member(sched, "events");
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  std::map<std::string, double> running;
  std::vector<std::string> order;
  for (const auto& smp : array(events, "samples")) {
    auto t = number(smp, "t_ms");
    const json& d = member(smp, "delta");
    if (!t || !d.is_object()) continue;
    for (const auto& [k, v] : d.items()) {
      if (!v.is_number()) continue;
      if (!running.count(k)) order.push_back(k);
      running[k] += v.get<double>();
      series[k].push_back({*t, running[k]});
    }
  }
  std::vector<std::string> moved, zero;
  for (const auto& k : order) (running[k] > 0 ? moved : zero).push_back(k);
  const double cw = 300, ch = 90, gap = 24;
  size_t cols = 3, rows = (moved.size() + cols - 1) / cols;
  double h = std::max(1.0, double(rows)) * (ch + gap) + 10;
  std::string s = "<svg id=\"events\" class=\"chart\" width=\"" + num(kWidth, 0) + "\" height=\"" + num(h, 0) +
                  "\" viewBox=\"0 0 " + num(kWidth, 0) + " " + num(h, 0) +
                  "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"sched_ext event counters over time\">";
  if (moved.empty()) {
    std::string why = order.empty() ? (text(events, "note").empty() ? "no event samples in this report"
                                                                    : "not available: " + text(events, "note"))
                                    : "every counter stayed at 0";
    return s + "<text x=\"20\" y=\"40\">" + esc(why) + "</text></svg>" + zero_list(zero);
  }
  double tlo = 1e300, thi = -1e300;
  for (const auto& k : moved)
    for (auto [t, v] : series[k]) tlo = std::min(tlo, t), thi = std::max(thi, t);
  if (thi <= tlo) thi = tlo + 1;
  for (size_t i = 0; i < moved.size(); ++i) {
    const auto& pts = series[moved[i]];
    double ox = 10 + double(i % cols) * (cw + gap), oy = 5 + double(i / cols) * (ch + gap);
    double vmax = 0;
    for (auto [t, v] : pts) vmax = std::max(vmax, v);
    s += "<g><rect x=\"" + num(ox) + "\" y=\"" + num(oy) + "\" width=\"" + num(cw) + "\" height=\"" + num(ch) +
         "\" fill=\"#f7f7f7\" stroke=\"#ddd\"/>";
    s += "<text x=\"" + num(ox + 6) + "\" y=\"" + num(oy + 14) + "\" font-size=\"11\">" + esc(moved[i]) + "</text>";
    s += "<text x=\"" + num(ox + cw - 6) + "\" y=\"" + num(oy + 14) +
         "\" font-size=\"11\" text-anchor=\"end\" font-weight=\"bold\">" + human_count(vmax) + "</text>";
    std::string line;
    for (auto [t, v] : pts) {
      double px = ox + 6 + (t - tlo) / (thi - tlo) * (cw - 12), py = oy + ch - 8 - (vmax > 0 ? v / vmax : 0) * (ch - 30);
      line += num(px) + "," + num(py) + " ";
    }
    s += "<polyline points=\"" + line + "\" fill=\"none\" stroke=\"" + colour(i) + "\" stroke-width=\"2\"/>";
    s += "<text x=\"" + num(ox + 6) + "\" y=\"" + num(oy + ch + 12) + "\" font-size=\"10\" fill=\"#666\">" +
         num(tlo / 1000, 2) + " s</text><text x=\"" + num(ox + cw - 6) + "\" y=\"" + num(oy + ch + 12) +
         "\" font-size=\"10\" fill=\"#666\" text-anchor=\"end\">" + num(thi / 1000, 2) + " s</text></g>";
  }
  return s + "</svg>" + zero_list(zero);
}

std::string programs_svg(const json& sched) {
  struct P {
    std::string name;
    double ns, cnt, insns;
  };
  std::vector<P> progs;
  for (const auto& p : array(sched, "programs"))
    progs.push_back({text(p, "key").empty() ? text(p, "name") : text(p, "key"), number(p, "run_time_ns").value_or(0),
                     number(p, "run_cnt").value_or(0), number(p, "verified_insns").value_or(0)});
  std::stable_sort(progs.begin(), progs.end(), [](const P& a, const P& b) { return a.ns > b.ns; });
  const double row = 24, label_w = 200, bar_w = 420;
  double h = std::max<double>(1, double(progs.size())) * row + 10;
  std::string s = "<svg id=\"programs\" class=\"chart\" width=\"" + num(kWidth, 0) + "\" height=\"" + num(h, 0) +
                  "\" viewBox=\"0 0 " + num(kWidth, 0) + " " + num(h, 0) +
                  "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"BPF programs by run time\">";
  if (progs.empty()) return s + "<text x=\"20\" y=\"20\">no BPF programs in this report</text></svg>";
  double max_ns = std::max(progs.front().ns, 1.0);
  for (size_t i = 0; i < progs.size(); ++i) {
    const auto& p = progs[i];
    double y = 5 + double(i) * row, w = std::max(p.ns / max_ns * bar_w, p.ns > 0 ? 2.0 : 0.0);
    s += "<text x=\"" + num(label_w - 8) + "\" y=\"" + num(y + 15) + "\" font-size=\"12\" text-anchor=\"end\">" +
         esc(p.name) + "</text>";
    s += "<rect x=\"" + num(label_w) + "\" y=\"" + num(y + 3) + "\" width=\"" + num(w) + "\" height=\"" +
         num(row - 8) + "\" fill=\"" + colour(0) + "\"/>";
    std::string detail = human_ns(p.ns) + " · " + human_count(p.cnt) + " runs" +
                         (p.cnt > 0 ? " · avg " + human_ns(p.ns / p.cnt) : "") + " · " + num(p.insns, 0) +
                         " verified insns";
    s += "<text x=\"" + num(label_w + w + 6) + "\" y=\"" + num(y + 15) + "\" font-size=\"11\" fill=\"#333\">" +
         esc(detail) + "</text>";
  }
  return s + "</svg>";
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:24px;color:#222;background:#fff}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
    ".status{display:inline-block;padding:4px 10px;border-radius:4px;color:#fff;font-weight:bold}"
    ".passed{background:#2e7d32}.failed{background:#c62828}"
    "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "td:first-child,th:first-child{text-align:left}.note{color:#666;font-size:12px}"
    "td.text{text-align:left;white-space:pre-wrap}.flaky{background:#ef6c00}.not_run{background:#757575}";
// Says, once the page is laid out, which charts rendered and at what size (the browser test
// reads it from the DOM).
constexpr const char* kScript =
    "window.addEventListener('load',function(){var r=[];"
    "document.querySelectorAll('svg.chart').forEach(function(s){var b=s.getBoundingClientRect();"
    "r.push(s.id+':'+Math.round(b.width)+'x'+Math.round(b.height));});"
    "document.body.setAttribute('data-rendered',r.join(' '));});";
}  // namespace

std::string html_report(const json& r) {
  const json& sched = member(r, "scheduler");
  auto code = number(r, "exit_code");
  bool passed = code && *code == 0;
  std::string ops;
  for (const auto& e : array(r, "scheduler_events"))
    if (text(e, "event") == "attached") ops = text(e, "ops");
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ktstr-vm run report</title>"
                  "<style>" + std::string(kStyle) + "</style><script>" + kScript + "</script></head><body>\n";
  h += "<h1>ktstr-vm run: " + esc(text(r, "summary").empty() ? "report" : text(r, "summary")) + "</h1>\n";
  h += "<p><span id=\"status\" class=\"status " + std::string(passed ? "passed" : "failed") + "\">" +
       (code ? "exit " + num(*code, 0) : std::string("no exit code")) + "</span> ";
  if (!text(r, "reason").empty()) h += esc(text(r, "reason")) + " ";
  h += "<span class=\"note\">kernel " + esc(text(r, "kernel")) + (ops.empty() ? "" : " · scheduler " + esc(ops)) +
       "</span></p>\n";
  h += "<h2>Phases (guest time since boot)</h2>\n" + timeline_svg(r) + "\n";
  h += "<h2>sched_ext event counters over time</h2>\n" + events_svg(sched) + "\n";
  h += "<h2>BPF programs by run time</h2>\n";
  if (!text(sched, "run_stats").empty() && text(sched, "run_stats") != "on")
    h += "<p class=\"note\">run stats: " + esc(text(sched, "run_stats")) + "</p>\n";
  h += programs_svg(sched) + "\n";
  auto total = number(member(sched, "totals"), "verified_insns");
  if (total) h += "<p>Total verified instructions: <b>" + num(*total, 0) + "</b></p>\n";
  h += "<table><tr><th>program</th><th>type</th><th>verified insns</th><th>jited bytes</th><th>runs</th>"
       "<th>run time</th><th>avg</th></tr>\n";
  for (const auto& p : array(sched, "programs"))
    h += "<tr><td>" + esc(text(p, "key").empty() ? text(p, "name") : text(p, "key")) + "</td><td>" +
         esc(text(p, "type")) + "</td><td>" + num(number(p, "verified_insns").value_or(0), 0) + "</td><td>" +
         num(number(p, "jited_len").value_or(0), 0) + "</td><td>" + num(number(p, "run_cnt").value_or(0), 0) +
         "</td><td>" + human_ns(number(p, "run_time_ns").value_or(0)) + "</td><td>" +
         human_ns(number(p, "avg_ns").value_or(0)) + "</td></tr>\n";
  h += "</table>\n</body></html>\n";
  return h;
}

bool is_suite_report(const json& r) { return member(r, "tests").is_array() && member(r, "totals").is_object(); }

namespace {

// "stress[2,4,2,1/llc]" of "stress": "2,4,2,1/llc"; "" for a test without variants.
std::string variant_of(const json& t) {
  std::string name = text(t, "name"), base = text(t, "base_name");
  if (base.empty() || name.size() < base.size() + 2 || name.compare(0, base.size(), base) != 0 ||
      name[base.size()] != '[' || name.back() != ']')
    return "";
  return name.substr(base.size() + 1, name.size() - base.size() - 2);
}

std::string exit_text(const json& o) {
  auto code = number(o, "exit_code");
  return code ? num(*code, 0) : std::string("-");
}

// The count, and every attempt when there were several: "2 (1: exit 125, reason; 2: exit 0)".
std::string attempts_text(const json& t) {
  const json& attempts = array(t, "attempts");
  std::string s = std::to_string(attempts.size());
  if (attempts.size() < 2) return s;
  for (size_t i = 0; i < attempts.size(); ++i) {
    const json& a = attempts[i];
    s += (i ? "; " : " (") + std::to_string(i + 1) + ": exit " + exit_text(a);
    if (!text(a, "reason").empty()) s += ", " + text(a, "reason");
  }
  return s + ")";
}

std::string suite_row(const json& t) {
  std::string status = text(t, "status"), name = text(t, "base_name");
  if (name.empty()) name = text(t, "name");
  auto expect = number(t, "expect_exit");
  std::string cls = status == "passed" || status == "failed" || status == "flaky" || status == "not_run" ? status : "";
  return "<tr><td>" + esc(name) + "</td><td>" + esc(variant_of(t)) + "</td><td><span class=\"status " + cls +
         "\">" + esc(status.empty() ? "?" : status) + "</span></td><td>" + exit_text(t) +
         (expect && *expect != 0 ? " (expected " + num(*expect, 0) + ")" : "") + "</td><td class=\"text\">" +
         esc(text(t, "reason")) + "</td><td class=\"text\">" + esc(attempts_text(t)) + "</td><td>" +
         num(number(t, "wall_s").value_or(0), 1) + " s</td><td class=\"text\">" + esc(text(t, "artifacts")) +
         "</td></tr>\n";
}

}  // namespace

std::string suite_html_report(const json& r) {
  const json& totals = member(r, "totals");
  auto count = [&](const char* k) { return num(number(totals, k).value_or(0), 0); };
  double flaky = number(totals, "flaky").value_or(0);  // flaky tests passed, as the suite's summary counts
  bool interrupted = member(r, "interrupted").is_boolean() && member(r, "interrupted").get<bool>();
  bool passed = number(totals, "failed").value_or(0) == 0 && number(totals, "not_run").value_or(0) == 0 &&
                !interrupted;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ktstr-vm suite "
                  "report</title><style>" + std::string(kStyle) + "</style></head><body>\n";
  h += "<h1>ktstr-vm suite: " + esc(text(r, "name").empty() ? "report" : text(r, "name")) + "</h1>\n";
  h += "<p><span id=\"status\" class=\"status " + std::string(passed ? "passed" : "failed") + "\">" +
       (interrupted ? "interrupted" : passed ? "passed" : "failed") + "</span> " + count("tests") + " tests: " +
       num(number(totals, "passed").value_or(0) + flaky, 0) + " passed" +
       (flaky > 0 ? " (" + num(flaky, 0) + " flaky)" : "") + ", " + count("failed") + " failed, " +
       count("not_run") + " not run in " + num(number(totals, "wall_s").value_or(0), 1) + " s";
  if (!text(r, "manifest").empty()) h += " <span class=\"note\">manifest " + esc(text(r, "manifest")) + "</span>";
  h += "</p>\n<table id=\"tests\"><tr><th>test</th><th>variant</th><th>status</th><th>exit</th><th>reason</th>"
       "<th>attempts</th><th>time</th><th>artifacts</th></tr>\n";
  for (const auto& t : array(r, "tests")) h += suite_row(t);
  h += "</table>\n<p class=\"note\">Each attempt's run report is in the suite JSON; "
       "<code>ktstr-vm report</code> draws one run's page from a run's <code>--json</code>.</p>\n</body></html>\n";
  return h;
}

}  // namespace ktstr::host
