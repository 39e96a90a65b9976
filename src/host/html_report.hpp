// `ktstr-vm report FILE.json --html OUT`: one self-contained HTML page of a run's JSON report
// (no network, no external files): the run's phases on a timeline from the guest's frame stamps,
// sched_ext's event counters over time, and the scheduler's BPF programs by run time, as inline
// SVG. The report file is read as untrusted input: missing or odd fields leave a chart empty.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ktstr::host {

// The page for one report.
std::string html_report(const nlohmann::json& report);

struct ReportOptions {
  std::string input;  // a --json report
  std::string html;   // output page
};

// Reads the report, writes the page. Returns 0, or throws std::runtime_error naming the problem.
int report_command(const ReportOptions& opts);

}  // namespace ktstr::host
