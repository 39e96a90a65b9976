// Runs the built ktstr-vm (KTSTR_VM_BIN) through the shell, for unit tests of what it does before
// any VM boots (parsing, settings checks).
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <utility>

namespace ktstr::unittest {

// `env_and_args` is shell text: "VAR=x " prefixes and arguments. Returns the exit status (-1 if
// it did not exit) and stdout+stderr.
inline std::pair<int, std::string> run_ktstr_vm(const std::string& args, const std::string& env = "") {
  std::string cmd = env + " " + std::string(KTSTR_VM_BIN) + " " + args + " 2>&1 </dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  for (size_t n; p && (n = fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
  int st = p ? pclose(p) : -1;
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

}  // namespace ktstr::unittest
