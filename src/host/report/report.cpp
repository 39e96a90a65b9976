#include "report.hpp"

#include <sstream>

#include "ktstr/exit_codes.hpp"
#include "utf8.hpp"

namespace ktstr::host {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

std::string xml_escape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // XML is UTF-8 here: a byte that is not part of a well-formed sequence, and the two
      // non-characters XML 1.0 forbids (U+FFFE, U+FFFF), become U+FFFD.
      size_t n = utf8_sequence_length(s, i);
      std::string_view seq = s.substr(i, n ? n : 1);
      out += n == 0 || seq == "\xEF\xBF\xBE" || seq == "\xEF\xBF\xBF" ? kReplacement : seq;
      i += seq.size();
      continue;
    }
    ++i;
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c >= 0x20 || c == '\n' || c == '\t' || c == '\r') out += char(c);
    }
  }
  return out;
}

std::string json_report_text(const nlohmann::json& report) {
  // Guest text may hold invalid UTF-8: replace rather than throw.
  return report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string junit_report_text(const std::string& name, const nlohmann::json& r) {
  int code = r.value("exit_code", exit_code::kInfrastructure);
  std::string reason = r.value("reason", "");
  double secs = r.value("wall_s", 0.0);
  bool failed = code != 0;
  std::ostringstream f;
  f << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<testsuites><testsuite name=\"ktstr-vm\" tests=\"1\" failures=\"" << (failed ? 1 : 0)
    << "\" errors=\"0\" time=\"" << secs << "\">\n";
  // The scheduler telemetry's totals, for CI dashboards that chart properties.
  if (auto s = r.find("scheduler"); s != r.end() && s->is_object()) {
    if (auto t = s->find("totals"); t != s->end() && t->is_object() && !t->empty()) {
      f << "  <properties>\n";
      for (const auto& [k, v] : t->items())
        f << "    <property name=\"scheduler." << xml_escape(k) << "\" value=\"" << xml_escape(v.dump()) << "\"/>\n";
      f << "  </properties>\n";
    }
  }
  f << "  <testcase classname=\"ktstr-vm." << xml_escape(r.value("kernel", "")) << "\" name=\""
    << xml_escape(name) << "\" time=\"" << secs << "\">\n";
  // sched_ext exits (also those of schedulers the payload loaded, which do not fail the run).
  if (auto it = r.find("sched_ext_exits"); it != r.end() && it->is_array() && !it->empty()) {
    f << "    <properties>\n";
    for (const auto& e : *it)
      f << "      <property name=\"sched_ext_exit\" value=\""
        << xml_escape(e.value("ops", "") + ": " + e.value("reason", "") +
                      (e.value("message", "").empty() ? "" : ": " + e.value("message", "")) +
                      (e.value("scheduler_under_test", false) ? " (scheduler under test)" : ""))
        << "\"/>\n";
    f << "    </properties>\n";
  }
  if (failed)
    f << "    <failure message=\"" << xml_escape(reason.empty() ? "exit " + std::to_string(code) : reason)
      << "\" type=\"exit " << code << "\">" << xml_escape(r.value("summary", "")) << "</failure>\n";
  f << "    <system-out>" << xml_escape(r.value("stdout_tail", "")) << "</system-out>\n"
    << "    <system-err>" << xml_escape(r.value("stderr_tail", "")) << "</system-err>\n"
    << "  </testcase>\n</testsuite></testsuites>\n";
  return f.str();
}

}  // namespace ktstr::host
