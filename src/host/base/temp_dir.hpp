// The private temp dir of one VM session (initramfs, sockets), and the clean-up of dirs whose
// session was killed (kill -9 runs no destructor): each live dir holds a lock on its `.lock`
// file, and a dir whose lock nobody holds any more belongs to a dead session.
#pragma once

#include <string>

#include "ktstr/posix_io.hpp"

namespace ktstr::host {

// Where temp dirs are made: $TMPDIR, else /tmp. Throws std::runtime_error naming TMPDIR and its
// value if it does not exist, is not a directory, is not writable, or is too long for the unix
// sockets QEMU connects to inside a temp dir. Checked before anything boots.
std::string temp_root();

class TempDir {
 public:
  // Removes stale dirs (remove_stale_temp_dirs), then creates temp_root()/ktstr-vm.XXXXXX with its
  // lock held. Throws std::runtime_error if it cannot be created.
  TempDir();
  // Removes the dir, or with `keep` marks it kept (`.keep`) so no later clean-up removes it.
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  bool keep = false;

 private:
  std::string path_;
  UniqueFd lock_;
};

// Removes every `base`/ktstr-vm.* dir that has a `.lock` no process holds and no `.keep`.
// Dirs without a `.lock` (older versions, or one being created) are left alone. Returns how many
// it removed.
size_t remove_stale_temp_dirs(const std::string& base);

}  // namespace ktstr::host
