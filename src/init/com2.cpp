#include "com2.hpp"

#include <fcntl.h>
#include <termios.h>

#include "crash.hpp"

namespace ktstr::init {

bool Com2::open(const char* path, std::string& error) {
  UniqueFd fd(::open(path, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) {
    error = errno_message(std::string("open ") + path, errno);
    return false;
  }
  termios t{};
  if (tcgetattr(fd.get(), &t) == 0) {
    // Raw: no newline translation, no echo, 8 bits, so frames pass byte-exact.
    cfmakeraw(&t);
    cfsetispeed(&t, B115200);
    cfsetospeed(&t, B115200);
    tcsetattr(fd.get(), TCSANOW, &t);
  } else {
    error = errno_message(std::string("tcgetattr ") + path, errno);
    return false;
  }
  fd_ = std::move(fd);
  crash::set_com2_fd(fd_.get());
  return true;
}

uint32_t Com2::frames_sent() const { return crash::peek_seq(); }

void Com2::send(wire::Tag type, std::string_view value) {
  if (value.size() > wire::kMaxValue) value = value.substr(0, wire::kMaxValue);
  // One static buffer: init is single-threaded and the crash handler has its own.
  static uint8_t buf[wire::kMaxEncoded];
  uint32_t seq = crash::next_seq();
  size_t n = wire::encode_frame(buf, sizeof buf, type, seq, boottime_ns(), value.data(), value.size());
  bytes_[std::string(type.view())] += value.size();
  if (fd_.valid() && n) write_all(fd_.get(), buf, n);
}

void Com2::send_stream(wire::Tag type, std::string_view bytes) {
  if (!fd_.valid() && fallback_fd_ >= 0 && (type == wire::kSout || type == wire::kSerr))
    write_all(fallback_fd_, bytes.data(), bytes.size());
  while (!bytes.empty()) {
    size_t n = std::min(bytes.size(), wire::kStreamChunk);
    send(type, bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
}

void Com2::drain() {
  if (fd_.valid()) tcdrain(fd_.get());
}

}  // namespace ktstr::init
