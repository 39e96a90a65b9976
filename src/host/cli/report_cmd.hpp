// `ktstr-vm report FILE.json --html OUT`: read a run's or a suite's JSON report, write its page
// (report/html_report.hpp).
#pragma once

#include <string>

namespace ktstr::host {

struct ReportOptions {
  std::string input;  // the --json report of `run` or of `suite`
  std::string html;   // output page
};

// Reads the report, writes the page. Returns 0, or 2 (said why on stderr) when the input cannot be
// read, is not JSON (the parse error's line and column) or not an object, or the page cannot be
// written: the same status as `decode` gives a capture it cannot read.
int report_command(const ReportOptions& opts);

}  // namespace ktstr::host
