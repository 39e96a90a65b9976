#include "report_cmd.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "html_report.hpp"
#include "ktstr/exit_codes.hpp"

namespace ktstr::host {
namespace {

using json = nlohmann::json;

void say(const std::string& line) { std::fprintf(stderr, "report: %s\n", line.c_str()); }

// The input as a JSON object; nullopt, said why, if it cannot be read or is not one.
std::optional<json> read_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    say("cannot read " + path + ": " + std::strerror(errno));
    return std::nullopt;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    say("cannot read " + path + ": " + std::strerror(errno));
    return std::nullopt;
  }
  json r;
  try {
    r = json::parse(buf.str());
  } catch (const json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 9: ...": the part after "] "
    // (a number too large for a double is an out_of_range error, also here).
    std::string what = e.what();
    size_t at = what.find("] ");
    say(path + ": not JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
    return std::nullopt;
  }
  if (!r.is_object()) {
    say(path + ": not a report: the top level is " + std::string(r.type_name()) +
        ", not an object (give the file of `run --json` or `suite --json`)");
    return std::nullopt;
  }
  return r;
}

}  // namespace

int report_command(const ReportOptions& o) {
  std::optional<json> r = read_report(o.input);
  if (!r) return exit_code::kUsage;
  std::string page = is_suite_report(*r) ? suite_html_report(*r) : html_report(*r);
  std::ofstream out(o.html, std::ios::binary);
  out << page;
  out.close();  // a full disk shows at the last flush
  if (!out) {
    say("cannot write " + o.html + ": " + std::strerror(errno));
    return exit_code::kUsage;
  }
  return exit_code::kOk;
}

}  // namespace ktstr::host
