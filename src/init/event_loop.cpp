#include "event_loop.hpp"

#include <sys/timerfd.h>

#include <spdlog/spdlog.h>

namespace ktstr::init {

bool EventLoop::open(std::string& error) {
  epfd_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epfd_.valid()) error = errno_message("epoll_create1", errno);
  return epfd_.valid();
}

void EventLoop::add(int fd, uint32_t events, Handler handler, Priority priority) {
  handlers_[fd] = Entry{std::make_shared<Handler>(std::move(handler)), priority, events};
  epoll_event ev{};
  ev.events = throttled_ && priority == Priority::bulk ? 0 : events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    spdlog::error("{}", errno_message("epoll_ctl ADD fd " + std::to_string(fd), errno));
}

void EventLoop::remove(int fd) {
  if (handlers_.erase(fd)) epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::apply(int fd, const Entry& e) {
  epoll_event ev{};
  ev.events = throttled_ && e.priority == Priority::bulk ? 0 : e.events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0)
    spdlog::error("{}", errno_message("epoll_ctl MOD fd " + std::to_string(fd), errno));
}

void EventLoop::modify(int fd, uint32_t events) {
  auto it = handlers_.find(fd);
  if (it == handlers_.end() || it->second.events == events) return;
  it->second.events = events;
  apply(fd, it->second);
}

void EventLoop::set_throttled(bool throttled) {
  if (throttled == throttled_) return;
  throttled_ = throttled;
  for (const auto& [fd, e] : handlers_)
    if (e.priority == Priority::bulk) apply(fd, e);
}

bool EventLoop::run_until(const std::function<bool()>& done, uint64_t deadline_ns) {
  epoll_event events[32];
  while (!done()) {
    int timeout_ms = -1;
    if (deadline_ns != UINT64_MAX) {
      uint64_t now = boottime_ns();
      if (now >= deadline_ns) return false;
      timeout_ms = int(std::min<uint64_t>((deadline_ns - now + 999999) / 1000000, 60000));
    }
    int n = epoll_wait(epfd_.get(), events, 32, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("{}", errno_message("epoll_wait", errno));
      return false;
    }
    for (Priority pass : {Priority::urgent, Priority::normal, Priority::bulk}) {
      for (int i = 0; i < n; ++i) {
        auto it = handlers_.find(events[i].data.fd);
        if (it == handlers_.end()) continue;  // removed by an earlier handler in this batch
        if (it->second.priority != pass) continue;
        auto handler = it->second.handler;   // keep alive while it runs (it may remove itself)
        (*handler)(events[i].events);
      }
    }
  }
  return true;
}

bool Timer::create(EventLoop& loop, std::function<void()> on_fire, std::string& error) {
  loop_ = &loop;
  fd_.reset(timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!fd_.valid()) {
    error = errno_message("timerfd_create", errno);
    return false;
  }
  int fd = fd_.get();
  loop.add(fd, EPOLLIN, [fd, f = std::move(on_fire)](uint32_t) {
    uint64_t expirations;
    if (::read(fd, &expirations, sizeof expirations) == sizeof expirations) f();
  });
  return true;
}

void Timer::arm_in_ms(uint64_t ms, uint64_t period_ms) {
  itimerspec its{};
  its.it_value.tv_sec = time_t(ms / 1000);
  its.it_value.tv_nsec = long(ms % 1000) * 1000000L;
  if (ms == 0) its.it_value.tv_nsec = 1;  // zero would disarm
  its.it_interval.tv_sec = time_t(period_ms / 1000);
  its.it_interval.tv_nsec = long(period_ms % 1000) * 1000000L;
  timerfd_settime(fd_.get(), 0, &its, nullptr);
}

void Timer::disarm() {
  itimerspec its{};
  if (fd_.valid()) timerfd_settime(fd_.get(), 0, &its, nullptr);
}

Timer::~Timer() {
  if (loop_ && fd_.valid()) loop_->remove(fd_.get());
}

}  // namespace ktstr::init
