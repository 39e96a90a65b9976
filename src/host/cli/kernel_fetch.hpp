// `ktstr-vm kernel fetch`: Debian's sched_ext kernel into the set-up cache. The work is the same
// script scripts/setup.sh runs (scripts/fetch-kernel.sh, installed as
// libexec/ktstr-init/fetch-kernel.sh), so the build tree and an installed tool fetch alike.
#pragma once

namespace ktstr::host {

// Runs the script in place of this process; returns only if it cannot be started (125, with a
// message naming the path).
int kernel_fetch_command(bool refresh);

}  // namespace ktstr::host
