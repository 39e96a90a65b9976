#include "host_control.hpp"

#include <fcntl.h>

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

namespace ktstr::init {

bool json_uint_member(std::string_view json, std::string_view key, uint32_t max, uint32_t& out) {
  std::string quoted = "\"" + std::string(key) + "\"";
  size_t p = json.find(quoted);
  if (p == std::string_view::npos) return false;
  p = json.find_first_not_of(" \t\r\n", p + quoted.size());
  if (p == std::string_view::npos || json[p] != ':') return false;
  p = json.find_first_not_of(" \t\r\n", p + 1);
  if (p == std::string_view::npos) return false;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(json.data() + p, json.data() + json.size(), v);
  if (ec != std::errc() || v > max) return false;
  out = uint32_t(v);
  return true;
}

bool sysrq_keys(std::string_view json, std::string& allowed, std::string& refused) {
  constexpr size_t kMaxKeys = 16;  // the host asks for two
  allowed.clear();
  refused.clear();
  size_t p = json.find("\"keys\"");
  if (p == std::string_view::npos) return false;
  p = json.find_first_not_of(" \t\r\n", p + 6);
  if (p == std::string_view::npos || json[p] != ':') return false;
  p = json.find_first_not_of(" \t\r\n", p + 1);
  if (p == std::string_view::npos || json[p] != '"') return false;
  size_t end = json.find('"', p + 1);
  if (end == std::string_view::npos) return false;
  std::string_view keys = json.substr(p + 1, std::min(end - p - 1, kMaxKeys));
  for (char c : keys) {
    bool ok = kHostSysrqKeys.find(c) != std::string_view::npos;
    std::string& to = ok ? allowed : refused;
    if (to.find(c) == std::string::npos) to += c;
  }
  return true;
}

bool HostControl::start(EventLoop& loop, const Com2& com2, Handlers handlers, std::string& error) {
  // A second open of the tty: non-blocking for our reads without touching the flags of the fd
  // that frames (and the crash handler) write to.
  fd_ = com2.reopen(O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, error);
  if (!fd_.valid()) return false;
  loop_ = &loop;
  handlers_ = std::move(handlers);
  decoder_ = std::make_unique<wire::FrameDecoder>([this](const wire::Frame& f) { on_frame(f); });
  loop.add(fd_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
  return true;
}

HostControl::~HostControl() {
  if (loop_ && fd_.valid()) loop_->remove(fd_.get());
}

void HostControl::on_readable() {
  uint8_t buf[4096];  // STDI brings up to a window of bytes at a time
  ssize_t n = ::read(fd_.get(), buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    if (n < 0) spdlog::warn("{}", errno_message("read host control frames", errno));
    loop_->remove(fd_.get());
    fd_.reset();
    return;
  }
  decoder_->feed(std::span<const uint8_t>(buf, size_t(n)));
  if (decoder_->stats().corrupt != corrupt_seen_) {
    corrupt_seen_ = decoder_->stats().corrupt;
    spdlog::warn("host control: skipped a damaged frame ({} so far)", corrupt_seen_);
  }
}

void HostControl::on_frame(const wire::Frame& f) {
  std::string_view v(reinterpret_cast<const char*>(f.value.data()), f.value.size());
  if (f.type == wire::kRsiz) {
    uint32_t cols = 0, rows = 0;
    if (!json_uint_member(v, "cols", 10000, cols) || !json_uint_member(v, "rows", 10000, rows)) {
      spdlog::warn("host control: bad RSIZ value {}", std::string(v.substr(0, 100)));
      return;
    }
    spdlog::debug("host control: resize to {}x{}", cols, rows);
    if (handlers_.on_resize) handlers_.on_resize(uint16_t(cols), uint16_t(rows));
  } else if (f.type == wire::kStop) {
    spdlog::info("host control: STOP");
    if (handlers_.on_stop) handlers_.on_stop();
  } else if (f.type == wire::kStdi && handlers_.on_stdin) {
    handlers_.on_stdin(v);
  } else if (f.type == wire::kSyrq) {
    on_sysrq(v);
  } else {
    spdlog::warn("host control: ignoring a {} frame", std::string(f.type.view()));
  }
}

// The host's watchdog fired: the dumps it asks for, written to /proc/sysrq-trigger (which takes
// one key per write; its sysrq mask applies to keyboards only). The kernel writes each dump
// before the write returns: the forwarders (KMSG, trace_pipe) carry them on from the loop.
void HostControl::on_sysrq(std::string_view json) {
  constexpr unsigned kMaxRequests = 4;  // one per watchdog firing; more is a broken host
  std::string allowed, refused;
  if (++sysrq_requests_ > kMaxRequests) {
    if (sysrq_requests_ == kMaxRequests + 1) spdlog::warn("host control: more than {} SYRQ frames, ignoring them", kMaxRequests);
    return;
  }
  if (!sysrq_keys(json, allowed, refused)) {
    spdlog::warn("host control: bad SYRQ value {}", std::string(json.substr(0, 100)));
    return;
  }
  if (!refused.empty()) spdlog::warn("host control: SYRQ: refused SysRq key(s) \"{}\" (only \"{}\")", refused, kHostSysrqKeys);
  if (allowed.empty()) return;
  UniqueFd fd(::open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) {
    spdlog::warn("{}", errno_message("open /proc/sysrq-trigger", errno));
    return;
  }
  spdlog::info("host control: the host's watchdog asks for SysRq {}", allowed);
  for (char key : allowed)
    if (!write_all(fd.get(), &key, 1)) spdlog::warn("{}", errno_message(std::string("SysRq ") + key, errno));
}

}  // namespace ktstr::init
