// Reports of a run for CI systems: the JSON report (--json) and JUnit XML (--junit).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ktstr::host {

// `report` (built by the VM session) as indented JSON, for --json.
std::string json_report_text(const nlohmann::json& report);

// One JUnit testsuite with one testcase named `name`, for --junit: a <failure> when the run
// failed (message = reason or "exit N"), the output tails as <system-out>/<system-err>.
std::string junit_report_text(const std::string& name, const nlohmann::json& report);

// Escapes text for XML character data and attributes; drops bytes XML 1.0 cannot carry.
std::string xml_escape(std::string_view s);

}  // namespace ktstr::host
