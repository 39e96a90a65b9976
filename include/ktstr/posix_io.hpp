// The small POSIX helpers guest and host share: an owning fd, a write that finishes, and the
// wire protocol's clock.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace ktstr {

// Owns one file descriptor; -1 means closed. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Writes all of buf, retrying on EINTR and waiting for POLLOUT on EAGAIN (non-blocking fds).
// Returns false, with errno set, on any other error or a zero-length write.
bool write_all(int fd, const void* buf, size_t len);
inline bool write_all(int fd, std::string_view s) { return write_all(fd, s.data(), s.size()); }

// Monotonic CLOCK_BOOTTIME in nanoseconds: the wire protocol's time base.
uint64_t boottime_ns();

}  // namespace ktstr
