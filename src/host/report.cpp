#include "report.hpp"

#include <sstream>

#include "ktstr/exit_codes.hpp"

namespace ktstr::host {

std::string xml_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
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
    << "\" errors=\"0\" time=\"" << secs << "\">\n"
    << "  <testcase classname=\"ktstr-vm." << xml_escape(r.value("kernel", "")) << "\" name=\""
    << xml_escape(name) << "\" time=\"" << secs << "\">\n";
  if (failed)
    f << "    <failure message=\"" << xml_escape(reason.empty() ? "exit " + std::to_string(code) : reason)
      << "\" type=\"exit " << code << "\">" << xml_escape(r.value("summary", "")) << "</failure>\n";
  f << "    <system-out>" << xml_escape(r.value("stdout_tail", "")) << "</system-out>\n"
    << "    <system-err>" << xml_escape(r.value("stderr_tail", "")) << "</system-err>\n"
    << "  </testcase>\n</testsuite></testsuites>\n";
  return f.str();
}

}  // namespace ktstr::host
