// Small helpers every init concern uses: an owning fd and "call: strerror (errno N)" messages.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace ktstr::init {

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

// "what: strerror (errno N)" with the errno saved by the caller right after the failing call.
inline std::string errno_message(std::string_view what, int err) {
  return std::string(what) + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")";
}

// Writes all of buf, retrying on EINTR/EAGAIN (waiting for POLLOUT). Returns false on other errors.
bool write_all(int fd, const void* buf, size_t len);

// Reads a whole small file (sysfs, /proc, initramfs lists). Returns false and sets errno on failure.
bool read_file(const char* path, std::string& out);

// Monotonic CLOCK_BOOTTIME in nanoseconds: the wire protocol's time base.
uint64_t boottime_ns();

}  // namespace ktstr::init
