// Files a command is asked to write, checked before any VM boots: two options naming one file
// (the last writer would leave only its own bytes: `--com2-log X --json X` lost the capture) and a
// path that cannot be written. A new output option joins by adding its {flag, path} to the list.
#pragma once

#include <string>
#include <vector>

namespace ktstr::host {

struct OutputPath {
  std::string flag;  // "--json"
  std::string path;  // as given; empty = not asked for
};

// "FLAG1 and FLAG2 name one file: PATH", or "" when no two given paths are one file. Paths are
// one file when they have the same device and inode (the file exists: a hard link, `./x`, a
// symlink to it) or, for a file not there yet, the same absolute path with the folder's symlinks
// resolved (a dangling symlink counts as its target). An existing file that is not a regular
// file (/dev/null, a FIFO, a terminal) may be given more than once: nothing there is overwritten.
std::string same_file_error(const std::vector<OutputPath>& outputs);

// Why `path` cannot be opened for writing as a file ("" if it can), learnt as open(2) says it
// without changing the file: an existing file is opened without truncation; a missing one is
// created exclusively and removed again at once.
std::string unwritable_reason(const std::string& path);

}  // namespace ktstr::host
