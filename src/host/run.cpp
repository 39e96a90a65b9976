#include "run.hpp"

#include <utility>

#include "output_paths.hpp"
#include "session_loop.hpp"

namespace ktstr::host {

std::vector<std::string> run_keys(const RunOptions& o) {
  std::vector<std::string> keys;
  if (o.vm.timeout_s) keys.push_back("KTSTR_TIMEOUT=" + std::to_string(o.vm.timeout_s));
  if (!o.guest_log_level.empty()) keys.push_back("KTSTR_LOG=" + o.guest_log_level);
  if (o.attach_timeout_ms) keys.push_back("KTSTR_ATTACH_TIMEOUT_MS=" + std::to_string(o.attach_timeout_ms));
  if (o.no_telemetry) keys.push_back("KTSTR_TELEMETRY=0");
  if (o.stats_ms >= 0) keys.push_back("KTSTR_STATS_MS=" + std::to_string(o.stats_ms));
  keys.insert(keys.end(), o.guest_keys.begin(), o.guest_keys.end());
  return keys;
}

std::string run_options_error(const RunOptions& o, bool slack_given) {
  if (std::string e = same_file_error({{"--com2-log", o.com2_log},
                                       {"--console-log", o.console_log},
                                       {"--sched-log", o.sched_log},
                                       {"--json", o.json_report},
                                       {"--junit", o.junit_report},
                                       {"--write-verifier-baseline", o.write_verifier_baseline}});
      !e.empty())
    return e;
  for (const auto& [flag, path] : {std::pair{"--verifier-baseline", &o.verifier_baseline},
                                    std::pair{"--write-verifier-baseline", &o.write_verifier_baseline}})
    if (!path->empty() && o.scheduler.empty())
      return std::string(flag) + " needs --scheduler: without a scheduler under test no BPF programs are loaded "
             "to compare";
  if (!o.write_verifier_baseline.empty())
    if (std::string why = unwritable_reason(o.write_verifier_baseline); !why.empty())
      return "--write-verifier-baseline " + o.write_verifier_baseline + ": " + why;
  if (slack_given && o.verifier_baseline.empty())
    return "--verifier-slack needs --verifier-baseline: there is no baseline to allow slack against";
  return "";
}

int run_command(const RunOptions& opts) {
  return run_one_session(opts, VmMode::run);
}

}  // namespace ktstr::host
