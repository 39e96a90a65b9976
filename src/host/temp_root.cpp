#include "temp_root.hpp"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace ktstr::host {

std::string temp_root() {
  const char* env = std::getenv("TMPDIR");
  std::string root = env && *env ? env : "/tmp";
  std::string setting = env && *env ? "TMPDIR=" + root : "the temp dir /tmp (TMPDIR is not set)";
  struct stat st;
  if (::stat(root.c_str(), &st) != 0)
    throw std::runtime_error(setting + ": " + std::strerror(errno) + " (set TMPDIR to an existing directory)");
  if (!S_ISDIR(st.st_mode)) throw std::runtime_error(setting + ": not a directory");
  if (::access(root.c_str(), W_OK | X_OK) != 0)
    throw std::runtime_error(setting + ": not writable (" + std::strerror(errno) + ")");
  // The longest path made inside: ROOT/ktstr-vm.XXXXXX/com2.sock, a unix socket address.
  size_t longest = root.size() + std::strlen("/ktstr-vm.XXXXXX/com2.sock");
  if (longest >= sizeof(sockaddr_un::sun_path))
    throw std::runtime_error(setting + ": too long for QEMU's unix sockets inside it (" + std::to_string(longest) +
                             " > " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes); use a shorter TMPDIR");
  return root;
}

}  // namespace ktstr::host
