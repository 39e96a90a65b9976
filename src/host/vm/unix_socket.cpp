#include "unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ktstr::host {

// Non-blocking: a poll round that saw a listener ready may find its connection gone (a warm
// start that fell back to a cold boot replaced QEMU): accept then says EAGAIN, never waits.
UniqueFd listen_unix(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) throw std::runtime_error("socket path too long: " + path);
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  if (!s.valid() || ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s.get(), 1) != 0)
    throw std::runtime_error("listen on " + path + ": " + strerror(errno));
  return s;
}

}  // namespace ktstr::host
