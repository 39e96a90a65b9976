#include "trace.hpp"

#include <fcntl.h>

#include <algorithm>

#include <spdlog/spdlog.h>

namespace ktstr::init {
namespace {

constexpr const char* kTraceDir = "/sys/kernel/tracing";
constexpr const char* kDumpEvent = "/sys/kernel/tracing/events/sched_ext/sched_ext_dump/enable";
// The kernel writes a dump in one burst; a pause this long after its last line means it is done.
constexpr uint64_t kDumpIdleMs = 100;
// trace_pipe counts as drained after this long without data. After tracing_on=0 nothing new is
// recorded and what is buffered reads at once, so a short pause is enough.
constexpr uint64_t kTraceIdleMs = 5;

bool write_str(const std::string& path, const char* value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  return fd.valid() && write_all(fd.get(), value, strlen(value));
}

}  // namespace

bool TraceForwarder::start(std::string& error) {
  // Keep going if the tracepoint cannot be enabled: trace_pipe may still carry other events.
  if (!write_str(kDumpEvent, "1")) spdlog::warn("{}", errno_message(std::string("enable ") + kDumpEvent, errno));
  UniqueFd pipe(::open((std::string(kTraceDir) + "/trace_pipe").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!pipe.valid()) {
    error = errno_message(std::string("open ") + kTraceDir + "/trace_pipe", errno);
    return false;
  }
  auto dump_idle = [this] {
    if (dump_state_ == DumpState::started) {
      dump_state_ = DumpState::complete;
      com2_.send(wire::kDump, "{\"event\":\"complete\"}");
    }
  };
  if (!dump_idle_.create(loop_, dump_idle, error)) {
    error = "dump end timer: " + error;
    return false;
  }
  pipe_ = std::move(pipe);
  loop_.add(pipe_.get(), EPOLLIN, [this](uint32_t) { on_readable(); }, EventLoop::Priority::bulk);
  return true;
}

void TraceForwarder::on_readable() {
  static char buf[65536];
  ssize_t n = ::read(pipe_.get(), buf, sizeof buf);
  if (n <= 0) return;  // EAGAIN: spurious wakeup; 0 cannot happen on trace_pipe
  last_read_ns_ = boottime_ns();
  if (com1_ >= 0) write_all(com1_, buf, size_t(n));
  scan_lines(std::string_view(buf, size_t(n)));
}

void TraceForwarder::scan_lines(std::string_view data) {
  partial_.append(data);
  size_t start = 0;
  for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (std::string_view(partial_).substr(start, nl - start).find("sched_ext_dump:") != std::string_view::npos)
      dump_line_seen();
  }
  partial_.erase(0, start);
  if (partial_.size() > 65536) partial_.clear();  // a line that long is not one we look for
}

void TraceForwarder::dump_line_seen() {
  if (dump_state_ != DumpState::started) {
    dump_state_ = DumpState::started;
    com2_.send(wire::kDump, "{\"event\":\"started\"}");
    spdlog::warn("sched_ext debug dump started (on COM1)");
  }
  dump_idle_.arm_in_ms(kDumpIdleMs);
}

void TraceForwarder::wait_dump_complete(uint64_t deadline_ns) {
  if (!pipe_.valid() || dump_state_ != DumpState::started) return;
  if (!loop_.run_until([&] { return dump_state_ != DumpState::started; }, deadline_ns)) {
    dump_state_ = DumpState::complete;
    com2_.send(wire::kDump, "{\"event\":\"truncated\"}");
    spdlog::warn("sched_ext dump did not complete before the teardown deadline");
  }
}

void TraceForwarder::stop(uint64_t deadline_ns) {
  if (!pipe_.valid()) return;
  write_str(kDumpEvent, "0");
  write_str(std::string(kTraceDir) + "/tracing_on", "0");
  // Forward until trace_pipe has been idle for a moment (or the deadline); reads move the mark.
  last_read_ns_ = boottime_ns();
  for (;;) {
    uint64_t idle_end = std::min<uint64_t>(last_read_ns_ + kTraceIdleMs * 1000000ull, deadline_ns);
    if (boottime_ns() >= idle_end) break;
    loop_.run_until([] { return false; }, idle_end);
  }
  loop_.remove(pipe_.get());
  if (partial_.size() && dump_state_ == DumpState::started) dump_line_seen();
  pipe_.reset();
}

}  // namespace ktstr::init
