#include "qemu_monitor.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ktstr::host {
namespace {

constexpr std::string_view kPrompt = "(qemu) ";
// QEMU's answers are small (`info migrate` is ~1 KiB); more than this unanswered is not a monitor.
constexpr size_t kMaxPending = 4 << 20;

// The position of a prompt at the start of a line of `s`, at or after `from`; npos if none.
size_t find_prompt(const std::string& s, size_t from) {
  for (size_t p = s.find(kPrompt, from); p != std::string::npos; p = s.find(kPrompt, p + 1))
    if (p == 0 || s[p - 1] == '\n') return p;
  return std::string::npos;
}

// Text for people: CRs and terminal escape sequences (ESC [ params final) removed.
std::string clean(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') continue;
    if (s[i] == '\x1b') {
      if (i + 1 < s.size() && s[i + 1] == '[') {
        i += 2;
        while (i < s.size() && !(s[i] >= '@' && s[i] <= '~')) ++i;
      }
      continue;
    }
    out += s[i];
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// The value of the first line "NAME: VALUE" of `text`, if any.
std::optional<std::string_view> field(std::string_view text, std::string_view name) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    if (line.starts_with(name) && line.substr(name.size()).starts_with(":")) return trim(line.substr(name.size() + 1));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return std::nullopt;
}

}  // namespace

QemuMonitor::QemuMonitor(UniqueFd listener) : listener_(std::move(listener)) {}

void QemuMonitor::send(const std::string& command, Callback done) {
  if (command.find_first_of("\r\n") != std::string::npos)
    throw std::invalid_argument("monitor command with a line break: " + command);
  if (closed_) {
    if (done) done(MonitorReply{"", true});
    return;
  }
  queue_.push_back({command, std::move(done)});
  start_next();
}

int QemuMonitor::fd() const {
  if (closed_) return -1;
  return conn_.valid() ? conn_.get() : listener_.get();
}

short QemuMonitor::events() const { return short(POLLIN | (conn_.valid() && !out_.empty() ? POLLOUT : 0)); }

void QemuMonitor::on_ready(short revents) {
  if (closed_) return;
  if (!conn_.valid()) {
    if (revents & (POLLIN | POLLERR | POLLHUP)) accept_conn();
    return;
  }
  if (revents & POLLOUT) write_conn();
  if (!closed_ && (revents & (POLLIN | POLLHUP | POLLERR))) read_conn();
}

void QemuMonitor::accept_conn() {
  int c = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (c < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) close_all(std::string("accept: ") + std::strerror(errno));
    return;
  }
  conn_.reset(c);
  listener_.reset();  // one QEMU, one connection
}

void QemuMonitor::read_conn() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(conn_.get(), buf, sizeof buf);
    if (n > 0) {
      in_.append(buf, size_t(n));
      if (in_.size() > kMaxPending) return close_all("more than 4 MiB without a prompt");
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    take_answers();
    return close_all(n == 0 ? "" : std::string("read: ") + std::strerror(errno));
  }
  take_answers();
}

void QemuMonitor::write_conn() {
  while (!out_.empty()) {
    ssize_t n = ::send(conn_.get(), out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return close_all(std::string("write: ") + std::strerror(errno));
  }
}

void QemuMonitor::take_answers() {
  for (;;) {
    if (!greeted_) {
      size_t p = find_prompt(in_, 0);
      if (p == std::string::npos) return;
      in_.erase(0, p + kPrompt.size());  // "QEMU 7.2.x monitor - type 'help' ..."
      greeted_ = true;
      start_next();
      continue;
    }
    if (!sent_) {  // nothing asked: not an answer (QEMU prints nothing unasked in readline mode)
      in_.clear();
      return;
    }
    // The echo of the command line ends at its line break; the answer follows, up to the prompt.
    size_t echo_end = in_.find('\n');
    if (echo_end == std::string::npos) return;
    size_t p = find_prompt(in_, echo_end + 1);
    if (p == std::string::npos) return;
    MonitorReply r{clean(std::string_view(in_).substr(echo_end + 1, p - echo_end - 1)), false};
    in_.erase(0, p + kPrompt.size());
    Command c = std::move(queue_.front());
    queue_.pop_front();
    sent_ = false;
    start_next();  // before the callback, which may queue more
    if (c.done) c.done(r);
  }
}

void QemuMonitor::start_next() {
  if (closed_ || !greeted_ || sent_ || queue_.empty()) return;
  out_ += queue_.front().line + "\n";
  sent_ = true;
  write_conn();
}

void QemuMonitor::close_all(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  error_ = why;
  conn_.reset();
  listener_.reset();
  out_.clear();
  // The command in flight gets what came of its answer (the echo removed if it was whole).
  std::string partial;
  if (sent_) {
    size_t echo_end = in_.find('\n');
    partial = echo_end == std::string::npos ? "" : clean(std::string_view(in_).substr(echo_end + 1));
  }
  in_.clear();
  std::deque<Command> q = std::move(queue_);
  queue_.clear();
  bool first = true;
  for (Command& c : q) {
    if (c.done) c.done(MonitorReply{first && sent_ ? partial : "", true});
    first = false;
  }
  sent_ = false;
}

std::optional<VmStatus> parse_info_status(std::string_view answer) {
  std::string text = clean(answer);
  std::optional<std::string_view> v = field(text, "VM status");
  if (!v) return std::nullopt;
  VmStatus s;
  std::string_view rest = *v;
  if (rest.starts_with("running")) s.running = true, rest.remove_prefix(7);
  else if (rest.starts_with("paused")) rest.remove_prefix(6);
  else return std::nullopt;
  s.state = s.running ? "running" : "paused";
  // Then " (single step mode)" and, when paused for a reason, " (RUNSTATE)".
  for (size_t open; (open = rest.find('(')) != std::string_view::npos;) {
    size_t close = rest.find(')', open);
    if (close == std::string_view::npos) break;
    std::string_view word = rest.substr(open + 1, close - open - 1);
    if (word != "single step mode" && !s.running) s.state = std::string(word);
    rest.remove_prefix(close + 1);
  }
  return s;
}

MigrationInfo parse_info_migrate(std::string_view answer) {
  std::string text = clean(answer);
  MigrationInfo m;
  std::optional<std::string_view> st = field(text, "Migration status");
  if (!st) return m;
  m.status = std::string(*st);
  if (auto e = field(text, "error description")) m.error = std::string(*e);
  std::string_view s = m.status;
  if (s == "none") m.state = MigrationState::none;
  else if (s == "setup") m.state = MigrationState::setup;
  else if (s == "completed") m.state = MigrationState::completed;
  else if (s == "failed") m.state = MigrationState::failed;
  else if (s == "cancelled" || s == "cancelling") m.state = MigrationState::cancelled;
  else if (s == "active" || s.starts_with("postcopy-") || s == "pre-switchover" || s == "device" || s == "wait-unplug")
    m.state = MigrationState::active;
  else m.state = MigrationState::other;
  return m;
}

const char* migration_state_name(MigrationState s) {
  switch (s) {
    case MigrationState::none: return "none";
    case MigrationState::setup: return "setup";
    case MigrationState::active: return "active";
    case MigrationState::completed: return "completed";
    case MigrationState::failed: return "failed";
    case MigrationState::cancelled: return "cancelled";
    case MigrationState::other: return "other";
  }
  return "other";
}

}  // namespace ktstr::host
