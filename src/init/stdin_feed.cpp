#include "stdin_feed.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace ktstr::init {

StdinFeed::~StdinFeed() {
  if (watching_) loop_.remove(write_.get());
}

bool StdinFeed::open(std::string& error) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    error = errno_message("pipe2 for the payload's stdin", errno);
    return false;
  }
  read_.reset(fds[0]);   // blocking: the payload reads it as any stdin
  write_.reset(fds[1]);  // non-blocking: init's loop must never wait on the payload
  fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
  return true;
}

void StdinFeed::grant() {
  if (granted_ || !write_.valid()) return;
  granted_ = true;
  ack();
}

void StdinFeed::on_data(std::string_view bytes) {
  if (closed_) {  // nobody reads any more: taken, so the host's window does not stall on it
    taken_ += bytes.size();
    if (!bytes.empty()) ack();
    return;
  }
  if (eof_) {
    spdlog::warn("host stdin: {} bytes after its end, dropped", bytes.size());
    return;
  }
  if (bytes.empty()) {
    eof_ = true;
    if (buffered() == 0) close_write();
    return;
  }
  // The host keeps to the window; should it not, init still holds no more than one window.
  size_t room = kWindow > buffered() ? kWindow - buffered() : 0;
  if (bytes.size() > room) {
    if (dropped_ == 0) spdlog::warn("host stdin: more than the {} byte window sent: the excess is dropped", kWindow);
    dropped_ += bytes.size() - room;
    taken_ += bytes.size() - room;
    bytes = bytes.substr(0, room);
  }
  if (head_ > 0 && head_ == buf_.size()) {
    buf_.clear();
    head_ = 0;
  }
  buf_.append(bytes);
  flush();
}

void StdinFeed::flush() {
  uint64_t before = taken_;
  while (buffered() > 0 && write_.valid()) {
    ssize_t n = ::write(write_.get(), buf_.data() + head_, buffered());
    if (n > 0) {
      head_ += size_t(n);
      taken_ += uint64_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {  // the pipe is full: wait for the payload to read
      if (!watching_) loop_.add(write_.get(), EPOLLOUT, [this](uint32_t) { on_writable(); });
      watching_ = true;
      break;
    }
    // EPIPE (SIGPIPE is blocked in init): the payload and its children closed their stdin.
    if (errno != EPIPE) spdlog::warn("{}", errno_message("write the payload's stdin", errno));
    spdlog::debug("host stdin: the payload's stdin is closed; {} bytes dropped", buffered());
    taken_ += buffered();
    closed_ = true;
    close_write();
    break;
  }
  if (buffered() == 0) {
    buf_.clear();
    head_ = 0;
    if (watching_) {
      loop_.remove(write_.get());
      watching_ = false;
    }
    if (eof_) close_write();
  }
  if (taken_ != before || closed_) ack();
}

void StdinFeed::on_writable() { flush(); }

void StdinFeed::close_write() {
  if (watching_) loop_.remove(write_.get());
  watching_ = false;
  write_.reset();
}

void StdinFeed::ack() {
  send_ack_("{\"taken\":" + std::to_string(taken_) + ",\"window\":" + std::to_string(kWindow) +
            ",\"closed\":" + (closed_ ? "true" : "false") + "}");
}

}  // namespace ktstr::init
