// The unix stream sockets a VM session listens on; QEMU connects to each as a client.
#pragma once

#include <string>

#include "ktstr/posix_io.hpp"

namespace ktstr::host {

// A listening unix stream socket at `path`. Throws std::runtime_error naming the path and errno.
UniqueFd listen_unix(const std::string& path);

}  // namespace ktstr::host
