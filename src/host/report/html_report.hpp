// The page of `ktstr-vm report FILE.json --html OUT` (cli/report_cmd.hpp): one self-contained HTML page of a run's JSON report
// (no network, no external files), or of a suite's (a table of its tests): the run's phases on a timeline from the guest's frame stamps,
// sched_ext's event counters over time, and the scheduler's BPF programs by run time, as inline
// SVG. The report file is read as untrusted input: missing or odd fields leave a chart empty.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ktstr::host {

// The page for one run's report.
std::string html_report(const nlohmann::json& report);

// True for the JSON of `ktstr-vm suite --json` (a "tests" array and "totals").
bool is_suite_report(const nlohmann::json& report);
// The page for a suite: its totals and a table of its tests (variant, status, exit, reason,
// attempts, time, artifacts).
std::string suite_html_report(const nlohmann::json& suite);

}  // namespace ktstr::host
