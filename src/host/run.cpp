#include "run.hpp"

#include "session_loop.hpp"
#include "stdin_forward.hpp"

namespace ktstr::host {

std::vector<std::string> run_keys(const RunOptions& o) {
  std::vector<std::string> keys;
  if (o.vm.timeout_s) keys.push_back("KTSTR_TIMEOUT=" + std::to_string(o.vm.timeout_s));
  if (!o.guest_log_level.empty()) keys.push_back("KTSTR_LOG=" + o.guest_log_level);
  if (o.attach_timeout_ms) keys.push_back("KTSTR_ATTACH_TIMEOUT_MS=" + std::to_string(o.attach_timeout_ms));
  if (o.no_telemetry) keys.push_back("KTSTR_TELEMETRY=0");
  if (o.stats_ms >= 0) keys.push_back("KTSTR_STATS_MS=" + std::to_string(o.stats_ms));
  if (o.forward_stdin) keys.push_back("KTSTR_STDIN=1");  // STDI frames will come (docs/protocol.md)
  keys.insert(keys.end(), o.guest_keys.begin(), o.guest_keys.end());
  return keys;
}

int run_command(const RunOptions& opts) {
  RunOptions o = opts;
  o.forward_stdin = stdin_forwardable(0);
  return run_one_session(o, VmMode::run);
}

}  // namespace ktstr::host
