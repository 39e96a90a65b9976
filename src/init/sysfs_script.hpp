// /sched_enable and /sched_disable (docs/initramfs.md): lines of the form `echo VALUE > /path`, run
// before the scheduler starts and after it stops. Not a shell: only that form is accepted.
#pragma once

#include <string>
#include <vector>

namespace ktstr::init {

// Runs every line of the file if it exists (a missing file is not an error). Each bad line or
// failed write gives one message in the result; the other lines still run.
std::vector<std::string> run_sysfs_script(const char* path);

}  // namespace ktstr::init
