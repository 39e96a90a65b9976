// Where things are: the set-up cache, the guest kernel and its config, scheduler names, init.
#pragma once

#include <optional>
#include <string>

namespace ktstr::host {

// ${KTSTR_CACHE:-$HOME/.cache/ktstr-init}
std::string cache_dir();

struct KernelImage {
  std::string path;     // bzImage
  std::string release;  // from the bzImage header, e.g. 7.3.4+deb13-cloud-amd64
  std::string config;   // kernel config file, empty if none found
};

// --kernel, else $KTSTR_KERNEL, else the set-up script's cached Debian kernel.
// Throws std::runtime_error with a clear message if none exists.
KernelImage resolve_kernel(const std::string& flag);

// Reads the version string from a bzImage's setup header. Empty if it is not a bzImage.
std::string bzimage_release(const std::string& path);

// A scheduler given as PATH (an existing file) or NAME (scx_simple, scx_ktstr_test: the set-up
// script's cached builds). Throws std::runtime_error listing what is available if neither.
std::string resolve_scheduler(const std::string& spec);

// --init, else `init` beside this ktstr-vm binary. Throws if it does not exist.
std::string resolve_init(const std::string& flag);

// Path of this executable's directory.
std::string self_dir();

}  // namespace ktstr::host
