// Filesystems init needs (docs/architecture.md): one table, one loop.
#pragma once

#include <string>
#include <vector>

namespace ktstr::init {

struct MountReport {
  std::string fatal;                  // set if a required mount failed: the run cannot go on
  std::vector<std::string> warnings;  // best-effort mounts that failed
  std::string timings;                // "proc 0.1 ms, sysfs 0.2 ms, ..." for the debug log
  std::vector<std::string> notes;     // what init changed on the way (for the log)
};

// Mounts proc, sysfs, devtmpfs (required) and debugfs, tracefs, bpf, cgroup2, tmpfs on /tmp,
// /dev/shm, /run, devpts (best effort; /tmp and /run are left as the initramfs made them when it
// put files there, so that nothing packed is hidden); creates /dev/fd and /dev/std{in,out,err} links. Right
// after /proc it turns off module auto-loading when there are no modules (module_loading.hpp):
// the bpf mount is the first to ask for one.
MountReport mount_all();

}  // namespace ktstr::init
