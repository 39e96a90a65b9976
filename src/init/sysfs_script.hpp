// /sched_enable and /sched_disable (docs/initramfs.md): lines of the form `echo VALUE > /path`, run
// before the scheduler starts and after it stops. Not a shell: only that form is accepted.
#pragma once

#include <string>
#include <vector>

namespace ktstr::init {

struct ScriptError {
  int line = 0;         // 1-based; 0: the file itself could not be read
  std::string message;  // "`echo 1 > /x`: write /x: No such file ..." or "expected `echo ...`, got `...`"
};

// Runs every line of the file if it exists (a missing file is not an error). Each bad line or
// failed write gives one error; the other lines still run.
std::vector<ScriptError> run_sysfs_script(const char* path);

// "WHAT line N: MESSAGE" (or "WHAT: MESSAGE" for line 0), WHAT naming the option the user gave,
// e.g. "--sched-enable line 2: `echo 1 > /x`: write /x: No such file or directory (errno 2)".
std::string describe(const ScriptError& e, const std::string& what);

}  // namespace ktstr::init
