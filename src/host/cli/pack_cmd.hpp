// `ktstr-vm pack`: the initramfs alone, written to a file (docs/initramfs.md).
#pragma once

#include <string>

#include "session_options.hpp"

namespace ktstr::host {

struct PackOptions {
  RunOptions run;                    // the content options run and shell share (init, scheduler, ...)
  std::string output;                // -o
  std::string compression = "zstd";  // none, gzip, zstd or zstd:LEVEL
};

// Resolves init, the scheduler and (when --kernel or KTSTR_KERNEL names one) the kernel's config,
// then packs. Returns 0; throws as pack_initramfs does (pack.hpp).
int pack_command(const PackOptions& o);

}  // namespace ktstr::host
