#include "pump.hpp"

#include <spdlog/spdlog.h>

namespace ktstr::init {

Pump::Pump(EventLoop& loop, Com2& com2, wire::Tag tag, UniqueFd read_end)
    : loop_(loop), com2_(com2), tag_(tag), fd_(std::move(read_end)) {
  if (fd_.valid())
    loop_.add(fd_.get(), EPOLLIN, [this](uint32_t) { read_once(); }, EventLoop::Priority::bulk);
}

Pump::~Pump() { close(); }

bool Pump::read_once() {
  if (!fd_.valid()) return false;
  // One frame's worth per wake-up, so the reaper (urgent) and the other fds get their turn between
  // wake-ups (COM2 only queues the frame; a full queue throttles this fd). Throughput is the same:
  // the pipe holds the rest.
  static char buf[wire::kStreamChunk];
  ssize_t n = ::read(fd_.get(), buf, sizeof buf);
  if (n > 0) {
    com2_.send_stream(tag_, std::string_view(buf, size_t(n)));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  if (n < 0) spdlog::warn("{}", errno_message(std::string("read ") + std::string(tag_.view()) + " pipe", errno));
  close();  // EOF (or a read error: nothing more can come)
  return false;
}

void Pump::read_available() {
  while (read_once()) {
  }
}

void Pump::close() {
  if (!fd_.valid()) return;
  loop_.remove(fd_.get());
  fd_.reset();
}

}  // namespace ktstr::init
