#include "relay.hpp"

#include <spdlog/spdlog.h>

namespace ktstr::init {

Relay::Relay(EventLoop& loop, int src, int dst) : loop_(loop), src_(src), dst_(dst) {
  last_ns_ = boottime_ns();
  watch_src();
}

Relay::~Relay() { close(); }

void Relay::watch_src() {
  if (watching_ == Watching::dst) loop_.remove(dst_);
  loop_.add(src_, EPOLLIN, [this](uint32_t) { on_readable(); });
  watching_ = Watching::src;
}

void Relay::watch_dst() {
  if (watching_ == Watching::src) loop_.remove(src_);
  loop_.add(dst_, EPOLLOUT, [this](uint32_t) { on_writable(); });
  watching_ = Watching::dst;
}

void Relay::close() {
  if (watching_ == Watching::src) loop_.remove(src_);
  if (watching_ == Watching::dst) loop_.remove(dst_);
  watching_ = Watching::none;
  closed_ = true;
}

// One read per readiness event; EPOLLHUP/EPOLLERR also land here and read() tells which.
void Relay::on_readable() {
  ssize_t n = ::read(src_, buf_.data(), buf_.size());
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    // EOF, or EIO from a PTY master whose slave side is closed: nothing more will come.
    if (n < 0 && errno != EIO) spdlog::warn("{}", errno_message("relay read fd " + std::to_string(src_), errno));
    close();
    return;
  }
  off_ = 0;
  len_ = size_t(n);
  last_ns_ = boottime_ns();
  if (!flush() && !closed_) watch_dst();
}

void Relay::on_writable() {
  if (flush() && !closed_) watch_src();
}

bool Relay::flush() {
  while (off_ < len_) {
    ssize_t n = ::write(dst_, buf_.data() + off_, len_ - off_);
    if (n > 0) {
      off_ += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    spdlog::warn("{}", errno_message("relay write fd " + std::to_string(dst_), errno));
    close();
    return false;
  }
  return true;
}

}  // namespace ktstr::init
