// A command's PackSpec, filled the same way for `pack` and every VM session: init and the
// scheduler resolved from their settings, the kernel's config packed as /boot/config-RELEASE.
#pragma once

#include <string>

#include "kernel_image.hpp"
#include "pack.hpp"

namespace ktstr::host {

// `spec` (the options' pack part) with init (--init, else beside ktstr-vm), the scheduler
// (a path or a cached name; "" = none) and the config of `kernel` (null = none) filled in.
// Throws std::runtime_error as resolve_init and resolve_scheduler do (paths.hpp).
PackSpec resolve_pack_spec(PackSpec spec, const std::string& init, const std::string& scheduler,
                           const KernelImage* kernel);

}  // namespace ktstr::host
