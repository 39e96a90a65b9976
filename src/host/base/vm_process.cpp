#include "vm_process.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <utility>

namespace ktstr::host {

UniqueFd listen_unix(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) throw std::runtime_error("socket path too long: " + path);
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  if (!s.valid() || ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s.get(), 1) != 0)
    throw std::runtime_error("listen on " + path + ": " + strerror(errno));
  return s;
}

OutputFile::OutputFile(std::string flag, std::string path) : flag_(std::move(flag)), path_(std::move(path)) {
  if (path_.empty()) return;
  fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd_.valid()) throw std::runtime_error(flag_ + " " + path_ + ": " + strerror(errno));
}

void OutputFile::write(std::string_view data) {
  if (fd_.valid() && error_.empty() && !write_all(fd_.get(), data)) fail(errno);
}

void OutputFile::fail(int err) {
  if (error_.empty()) error_ = flag_ + " " + path_ + ": write failed: " + strerror(err);
}

std::string shell_quote(const std::string& s) {
  if (s.find_first_of(" '\"\\$`") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void keep_tail(std::string& tail, std::string_view data, size_t max) {
  tail.append(data);
  if (tail.size() > max) tail.erase(0, tail.size() - max);
}

}  // namespace ktstr::host
