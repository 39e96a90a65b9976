#include "com2.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <termios.h>

#include "crash.hpp"

namespace ktstr::init {

bool Com2::open(const char* path, std::string& error) {
  path_ = path;
  UniqueFd fd(::open(path, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) {
    error = errno_message(std::string("open ") + path, errno);
    return false;
  }
  // Raw: no newline translation, no echo, 8 bits, so frames pass byte-exact. A line that cannot
  // be made raw would mangle every frame: then it counts as unusable.
  termios t{};
  if (tcgetattr(fd.get(), &t) != 0) {
    error = errno_message(std::string("tcgetattr ") + path, errno);
    return false;
  }
  cfmakeraw(&t);
  cfsetispeed(&t, B115200);
  cfsetospeed(&t, B115200);
  if (tcsetattr(fd.get(), TCSANOW, &t) != 0) {
    error = errno_message(std::string("tcsetattr ") + path, errno);
    return false;
  }
  fd_ = std::move(fd);
  crash::set_com2_fd(fd_.get());
  return true;
}

bool Com2::hide_device(std::string& error) {
  if (!fd_.valid() || ::unlink(path_.c_str()) == 0) return true;
  error = errno_message("unlink " + path_, errno);
  return false;
}

UniqueFd Com2::reopen(int flags, std::string& error) const {
  if (!fd_.valid()) {
    error = path_ + " is not open";
    return UniqueFd();
  }
  std::string self = "/proc/self/fd/" + std::to_string(fd_.get());
  UniqueFd fd(::open(self.c_str(), flags));
  if (!fd.valid()) error = errno_message("open " + self + " (" + path_ + ")", errno);
  return fd;
}

void Com2::restart_stream() {
  flush();
  crash::reset_seq();
  bytes_.clear();
}

uint32_t Com2::frames_sent() const { return crash::peek_seq(); }

void Com2::send(wire::Tag type, std::string_view value) {
  if (value.size() > wire::kMaxValue) value = value.substr(0, wire::kMaxValue);
  // One static buffer: init is single-threaded and the crash handler has its own.
  static uint8_t buf[wire::kMaxEncoded];
  uint32_t seq = crash::next_seq();
  size_t n = wire::encode_frame(buf, sizeof buf, type, seq, boottime_ns(), value.data(), value.size());
  bytes_[std::string(type.view())] += value.size();
  if (fd_.valid() && n) write_frame(buf, n);
}

namespace {
constexpr size_t kHighWater = 128 * 1024;  // throttle bulk producers above this many queued bytes
constexpr size_t kLowWater = 32 * 1024;    // ... and resume below this
}  // namespace

void Com2::write_frame(const uint8_t* p, size_t n) {
  if (!loop_) {
    write_all(fd_.get(), p, n);
    return;
  }
  size_t done = 0;
  if (queue_head_ == queue_.size()) {  // nothing queued: try to write straight through
    ssize_t w = ::write(fd_.get(), p, n);
    if (w > 0) done = size_t(w);
  }
  if (done == n) return;
  queue_.append(reinterpret_cast<const char*>(p) + done, n - done);
  loop_->modify(fd_.get(), EPOLLOUT);
  if (queue_.size() - queue_head_ > kHighWater) loop_->set_throttled(true);
}

void Com2::on_writable() {
  while (queue_head_ < queue_.size()) {
    ssize_t w = ::write(fd_.get(), queue_.data() + queue_head_, queue_.size() - queue_head_);
    if (w > 0) {
      queue_head_ += size_t(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EAGAIN: the loop calls again when there is room; other errors: same, and logged once
    }
  }
  size_t left = queue_.size() - queue_head_;
  if (left == 0) {
    queue_.clear();
    queue_head_ = 0;
    loop_->modify(fd_.get(), 0);
  } else if (queue_head_ > kLowWater) {
    queue_.erase(0, queue_head_);  // keep the buffer from growing without bound
    queue_head_ = 0;
  }
  if (left < kLowWater) loop_->set_throttled(false);
}

void Com2::flush() {
  if (queue_head_ < queue_.size()) write_all(fd_.get(), queue_.data() + queue_head_, queue_.size() - queue_head_);
  queue_.clear();
  queue_head_ = 0;
}

void Com2::attach(EventLoop& loop) {
  if (!fd_.valid() || loop_) return;
  fcntl(fd_.get(), F_SETFL, fcntl(fd_.get(), F_GETFL) | O_NONBLOCK);
  loop_ = &loop;
  loop.add(fd_.get(), 0, [this](uint32_t) { on_writable(); });
}

void Com2::detach() {
  if (!loop_) return;
  flush();
  loop_->set_throttled(false);
  loop_->remove(fd_.get());
  loop_ = nullptr;
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
  if (!fd_.valid()) return;
  flush();
  tcdrain(fd_.get());
}

}  // namespace ktstr::init
