#include "kmsg.hpp"

#include <fcntl.h>

#include <spdlog/spdlog.h>

#include "ktstr/kmsg_record.hpp"

namespace ktstr::init {
namespace {

constexpr const char* kKmsgPath = "/dev/kmsg";
// One record per read(); the kernel formats at most CONSOLE_EXT_LOG_MAX (8 KiB) and fails a
// smaller read with EINVAL. Twice that leaves room should the limit grow.
constexpr size_t kReadBuf = 16384;
// Records handled per readiness event, few: each is parsed and framed (COM2 only queues it), and
// neither the payload's pipes nor a child's death (death -> SCHD died budget: 5 ms) may wait
// behind the boot's backlog of hundreds of records. epoll is level-triggered: the rest comes on
// the next turn.
constexpr int kRecordsPerWakeup = 4;

uint64_t g_first_seq = 0;  // forward_from

}  // namespace

uint64_t send_boot_records(Com2& com2) {
  UniqueFd fd(::open(kKmsgPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    spdlog::warn("{}: the boot's kernel log is not sent before the snapshot", errno_message(std::string("open ") + kKmsgPath, errno));
    return 0;
  }
  static char buf[kReadBuf];
  uint64_t next = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EPIPE || errno == EINVAL)) continue;  // as read_one: go on
    if (n <= 0) break;  // EAGAIN: caught up
    if (auto rec = parse_kmsg_record(std::string_view(buf, size_t(n)))) {
      com2.send(wire::kKmsg, kmsg_record_json(*rec));
      next = rec->seq + 1;
    }
  }
  return next;
}

void forward_from(uint64_t seq) { g_first_seq = seq; }

bool KmsgForwarder::start(std::string& error) {
  // No lseek(SEEK_END): a fresh open reads from the oldest record still in the ring, which is
  // the whole boot unless the ring already wrapped.
  fd_.reset(::open(kKmsgPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd_.valid()) {
    error = errno_message(std::string("open ") + kKmsgPath, errno);
    return false;
  }
  loop_.add(fd_.get(), EPOLLIN, [this](uint32_t) { on_readable(); }, EventLoop::Priority::bulk);
  return true;
}

KmsgForwarder::ReadResult KmsgForwarder::read_one() {
  static char buf[kReadBuf];
  ssize_t n = ::read(fd_.get(), buf, sizeof buf);
  if (n > 0) {
    std::string_view raw(buf, size_t(n));
    if (auto rec = parse_kmsg_record(raw)) {
      if (rec->seq < g_first_seq) return ReadResult::record;  // the host has it from the snapshot
      com2_.send(wire::kKmsg, kmsg_record_json(*rec));
      track_sched_exit(*rec);
    } else if (malformed_++ == 0) {
      spdlog::warn("{}: unparsable record (further ones counted silently): {:.120}", kKmsgPath, raw);
    }
    return ReadResult::record;
  }
  int err = n == 0 ? 0 : errno;
  switch (err) {
    case EAGAIN:
      return ReadResult::again;
    case EINTR:
      return ReadResult::record;  // nothing consumed; the caller reads again
    case EPIPE:
      // The ring overwrote records we had not read; the kernel moved our position to the oldest
      // record left, so the next read continues there.
      // Not a warning per overrun: a flood overruns hundreds of times. The host counts the lost
      // records from the gaps in KMSG seq and says so in one line, the summary and the report.
      if (++overruns_ == 1) spdlog::info("{}: ring buffer overran the reader, records lost (counted by the host)", kKmsgPath);
      else spdlog::debug("{}: ring buffer overran the reader again (overrun {})", kKmsgPath, overruns_);
      return ReadResult::record;
    case EINVAL:
      // Record larger than the buffer: the kernel has already moved past it.
      spdlog::warn("{}: record larger than {} bytes skipped", kKmsgPath, kReadBuf);
      return ReadResult::record;
    case 0:
      spdlog::warn("{}: unexpected end of file, forwarding stopped", kKmsgPath);
      break;
    default:
      spdlog::warn("{}, forwarding stopped", errno_message(std::string("read ") + kKmsgPath, err));
      break;
  }
  stop();
  return ReadResult::closed;
}

void KmsgForwarder::track_sched_exit(const KmsgRecord& rec) {
  if (auto e = parse_sched_ext_exit(rec)) {
    last_exit_ = std::move(e);
    awaiting_exit_message_ = last_exit_->error;  // only error exits are followed by a message
  } else if (awaiting_exit_message_ && add_sched_ext_message(*last_exit_, rec)) {
    awaiting_exit_message_ = false;
  }
}

void KmsgForwarder::on_readable() {
  for (int i = 0; i < kRecordsPerWakeup; ++i)
    if (read_one() != ReadResult::record) return;
}

bool KmsgForwarder::drain(uint64_t deadline_ns) {
  while (fd_.valid() && boottime_ns() < deadline_ns)
    if (read_one() != ReadResult::record) return true;
  return !fd_.valid();
}

void KmsgForwarder::stop() {
  if (!fd_.valid()) return;
  loop_.remove(fd_.get());
  fd_.reset();
}

}  // namespace ktstr::init
