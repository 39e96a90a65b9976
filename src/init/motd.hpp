// The shell's greeting (docs/architecture.md): what this VM is and how to leave it.
#pragma once

#include <string>

#include "ktstr/cmdline.hpp"

namespace ktstr::init {

// Kernel release, memory, vCPU topology (what sysfs shows, and KTSTR_TOPO), the scheduler line
// given by the caller (empty: none), the files under /include-files (executables marked '*'),
// mounts, and how to leave. Lines end in "\n"; every probe is best effort ("?" if unreadable).
std::string motd(const Config& config, const std::string& scheduler_line);

}  // namespace ktstr::init
