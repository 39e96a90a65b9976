#include "run.hpp"

#include <utility>

#include "output_dir.hpp"
#include "output_paths.hpp"
#include "session_loop.hpp"
#include "stdin_forward.hpp"

namespace ktstr::host {

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
  if (!o.output_dir.empty())
    if (std::string why = output_dir_error(o.output_dir); !why.empty()) return why;
  if (slack_given && o.verifier_baseline.empty())
    return "--verifier-slack needs --verifier-baseline: there is no baseline to allow slack against";
  return "";
}

int run_command(const RunOptions& opts) {
  RunOptions o = opts;
  o.forward_stdin = stdin_forwardable(0);
  return run_one_session(o, VmMode::run);
}

}  // namespace ktstr::host
