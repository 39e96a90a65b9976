#include "shell_cmd.hpp"

#include <cctype>
#include <cstring>

#include "session_loop.hpp"
#include "stdin_forward.hpp"

namespace ktstr::host {
namespace {

// Values that go on the kernel cmdline unquoted: the guest accepts the same set (cmdline.cpp).
bool cmdline_safe(const char* v) {
  if (!v || !*v || std::strlen(v) > 64) return false;
  for (const char* p = v; *p; ++p)
    if (!(std::isalnum(static_cast<unsigned char>(*p)) || std::strchr("-_.+", *p))) return false;
  return true;
}

}  // namespace

std::vector<std::string> shell_keys(const RunOptions& o, unsigned cols, unsigned rows, const char* term,
                                    const char* colorterm) {
  std::vector<std::string> keys = {"KTSTR_MODE=shell"};
  if (cols && rows) {
    keys.push_back("KTSTR_COLS=" + std::to_string(cols));
    keys.push_back("KTSTR_ROWS=" + std::to_string(rows));
  }
  if (cmdline_safe(term)) keys.push_back(std::string("KTSTR_TERM=") + term);
  if (cmdline_safe(colorterm)) keys.push_back(std::string("KTSTR_COLORTERM=") + colorterm);
  auto common = run_keys(o);
  keys.insert(keys.end(), common.begin(), common.end());
  return keys;
}

int shell_command(const RunOptions& opts) {
  if (opts.pack.exec_cmd.empty()) return run_one_session(opts, VmMode::interactive);  // stdin: the keys
  RunOptions o = opts;
  o.forward_stdin = stdin_forwardable(0);
  return run_one_session(o, VmMode::exec);
}

}  // namespace ktstr::host
