// Reports of a run for CI systems: the JSON report (--json) and JUnit XML (--junit).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ktstr::host {

// Writes `report` (built by run_command) as indented JSON. Throws std::runtime_error on I/O error.
void write_json_report(const std::string& path, const nlohmann::json& report);

// Writes one JUnit testsuite with one testcase named `name`: a <failure> when the run failed
// (message = reason or "exit N"), the output tails as <system-out>/<system-err>.
void write_junit_report(const std::string& path, const std::string& name, const nlohmann::json& report);

// Escapes text for XML character data and attributes; drops bytes XML 1.0 cannot carry.
std::string xml_escape(std::string_view s);

}  // namespace ktstr::host
