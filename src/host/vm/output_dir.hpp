// The directory of `--output DIR` (docs/output.md): absent (made, with its parents) or an empty
// directory, and never anything else, so that ktstr-vm never mixes the guest's tree with files
// it did not write.
#pragma once

#include <cstdint>
#include <string>

#include "ktstr/posix_io.hpp"

namespace ktstr::host {

// --output-limit's default: 1 GiB of file data.
inline constexpr uint64_t kDefaultOutputLimit = uint64_t(1) << 30;

// Why `dir` cannot take an output tree (it is a file, a directory that is not empty, or it
// cannot be made), or "" if it can. Checked before boot: the command line's error (2).
std::string output_dir_error(const std::string& dir);

// Makes `dir` (and its parents) if it is absent and opens it. Throws std::runtime_error if it
// cannot, or if it is not an empty directory (again: it may have changed since the check).
UniqueFd open_output_dir(const std::string& dir);

}  // namespace ktstr::host
