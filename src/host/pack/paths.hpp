// Where things are: the set-up cache, scheduler names, init (the kernel: kernel_image.hpp).
#pragma once

#include <optional>
#include <string>

#include "kernel_image.hpp"

namespace ktstr::host {

// ${KTSTR_CACHE:-$HOME/.cache/ktstr-init}
std::string cache_dir();

// A scheduler given as PATH (an existing file) or NAME (scx_simple, scx_ktstr_test: the set-up
// script's cached builds). Throws std::runtime_error listing what is available if neither.
std::string resolve_scheduler(const std::string& spec);

// --init, else `init` where runtime_file() finds it. Throws, naming the setting and the path, if it
// cannot be the guest's PID 1: missing, not executable, not a static x86-64 ELF executable.
std::string resolve_init(const std::string& flag);

// Path of this executable's directory.
std::string self_dir();

// A file ktstr-vm needs at run time (init, fetch-kernel.sh), found relative to this executable
// so that a copied or moved install keeps working: beside it (the build tree's build/bin), else
// in the installed layout's PREFIX/libexec/ktstr-init (docs/install.md). The first place when
// neither has it, for the error message.
std::string runtime_file(const std::string& name);

}  // namespace ktstr::host
