#include "shell_cmd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "escape_keys.hpp"
#include "run_session.hpp"
#include "terminal.hpp"
#include "vm_process.hpp"

namespace ktstr::host {
namespace {

using Clock = std::chrono::steady_clock;

// Values that go on the kernel cmdline unquoted: the guest accepts the same set (cmdline.cpp).
bool cmdline_safe(const char* v) {
  if (!v || !*v || std::strlen(v) > 64) return false;
  for (const char* p = v; *p; ++p)
    if (!(std::isalnum(static_cast<unsigned char>(*p)) || std::strchr("-_.+", *p))) return false;
  return true;
}

uint64_t boottime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// One socket QEMU connects to: accepted once, then read until EOF.
struct Channel {
  Fd listener, conn;
  bool open() const { return conn.fd >= 0; }
};

// The VM and everything around it for one `shell` invocation: one poll loop over QEMU's pidfd,
// its stderr, the three sockets, the signals and (interactive) the keyboard.
class ShellVm {
 public:
  ShellVm(const RunOptions& o, bool interactive)
      // Interactive: nothing but the guest's console may write to the raw terminal.
      : o_(o), interactive_(interactive), sched_log_(open_out(o.sched_log)),
        session_(interactive ? RunSession::Sinks{-1, -1, sched_log_.fd, false}
                             : RunSession::Sinks{1, 2, sched_log_.fd, false}),
        decoder_([this](const wire::Frame& f) { session_.on_frame(f); }) {}
  ~ShellVm() {
    if (qemu_ > 0 && !qemu_exited_) {  // an exception left the loop: QEMU must not outlive us
      kill(qemu_, SIGKILL);
      waitpid(qemu_, nullptr, 0);
    }
  }
  ShellVm(const ShellVm&) = delete;
  ShellVm& operator=(const ShellVm&) = delete;

  // Starts QEMU with `argv`; sockets must already listen.
  void start(const std::vector<std::string>& argv, Channel com1, Channel com2, Channel hvc);
  // Runs until QEMU has exited and the sockets are drained. Returns the exit status.
  int run();

 private:
  void poll_once();
  void on_signal();
  void on_stdin();
  void on_channel(Channel& ch, int which);
  void flush_to_guest();
  void on_data(int which, std::string_view data);
  void send_resize();
  void check_watchdog();
  void kill_qemu();
  int finish();

  const RunOptions& o_;
  bool interactive_;
  Fd sched_log_;
  RunSession session_;
  wire::FrameDecoder decoder_;
  EscapeFilter escapes_;
  Fd sigfd_, pidfd_, qerr_, com1_log_, com2_log_;
  sigset_t old_mask_{};
  pid_t qemu_ = -1;
  int qemu_status_ = 0;
  Channel ch_[3];  // com1, com2, hvc
  bool qemu_exited_ = false, stdin_open_ = true, stdout_ok_ = true;
  bool console_ready_ = false;  // the guest console has spoken: init has made it raw
  bool quit_ = false, watchdog_ = false, resize_pending_ = false;
  int signal_ = 0;
  uint32_t rsiz_seq_ = 0;
  std::string console_tail_, qemu_stderr_, watchdog_reason_;
  // Keys not yet taken by the guest console. The hvc socket is non-blocking: a big paste must not
  // stall the loop while the guest's output waits for us to read it.
  std::string to_guest_;
  Clock::time_point last_frame_ = Clock::now();
  uint64_t frames_seen_ = 0;
};

enum { kCom1 = 0, kCom2 = 1, kHvc = 2 };
constexpr size_t kMaxPending = 64 * 1024;  // keys buffered for the guest before stdin is paused

void ShellVm::start(const std::vector<std::string>& argv, Channel com1, Channel com2, Channel hvc) {
  ch_[kCom1] = std::move(com1);
  ch_[kCom2] = std::move(com2);
  ch_[kHvc] = std::move(hvc);
  com1_log_ = open_out(o_.console_log);
  com2_log_ = open_out(o_.com2_log);
  // Signals arrive through a signalfd; with the terminal raw, Ctrl-C is a byte for the guest.
  sigfd_ = block_into_signalfd({SIGINT, SIGTERM, SIGHUP, SIGWINCH}, old_mask_, SFD_NONBLOCK);
  Qemu q = spawn_qemu(argv, old_mask_);
  qemu_ = q.pid;
  pidfd_ = std::move(q.pidfd);
  qerr_ = std::move(q.stderr_read);
}

int ShellVm::run() {
  std::optional<RawTerminal> raw;
  if (interactive_) raw.emplace(0);
  while (!qemu_exited_ || ch_[kCom1].open() || ch_[kCom2].open() || ch_[kHvc].open()) {
    poll_once();
    check_watchdog();
    if (resize_pending_ && session_.helo_seen()) send_resize();
  }
  if (!qemu_exited_) {
    kill_qemu();
    waitpid(qemu_, &qemu_status_, 0);
    qemu_exited_ = true;
  }
  raw.reset();  // the terminal is itself again before anything is reported
  sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  return finish();
}

void ShellVm::poll_once() {
  std::vector<pollfd> p;
  auto add = [&](int fd) { p.push_back({fd, POLLIN, 0}); };
  add(sigfd_.fd);
  add(qemu_exited_ ? -1 : pidfd_.fd);
  add(qerr_.fd);
  for (Channel& c : ch_) add(c.open() ? c.conn.fd : qemu_exited_ ? -1 : c.listener.fd);
  if (!to_guest_.empty()) p.back().events |= POLLOUT;
  // Keys are read once the guest console has spoken (before init makes it raw, the kernel would
  // echo them) and has taken the previous ones; never in exec mode.
  add(interactive_ && stdin_open_ && console_ready_ && to_guest_.size() < kMaxPending ? 0 : -1);
  int rc = ::poll(p.data(), p.size(), qemu_exited_ ? 2000 : 500);
  if (rc < 0 && errno != EINTR) throw std::runtime_error("poll: " + std::string(strerror(errno)));
  if (qemu_exited_ && rc == 0) {  // the sockets should close with QEMU; don't wait forever
    for (Channel& c : ch_) c.conn.reset();
    return;
  }
  if (p[0].revents) on_signal();
  if (p[1].revents) {
    waitpid(qemu_, &qemu_status_, 0);
    qemu_exited_ = true;
  }
  if (p[2].revents) {
    char buf[4096];
    ssize_t n = ::read(qerr_.fd, buf, sizeof buf);
    if (n > 0) keep_tail(qemu_stderr_, std::string_view(buf, size_t(n)), 16384);
    else qerr_.reset();
  }
  if (p[5].revents & POLLOUT) flush_to_guest();
  for (int i : {kCom1, kCom2, kHvc})
    if (p[size_t(3 + i)].revents & ~POLLOUT) on_channel(ch_[i], i);
  if (p[6].revents) on_stdin();
}

void ShellVm::on_signal() {
  signalfd_siginfo si;
  while (::read(sigfd_.fd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGWINCH) {
      resize_pending_ = interactive_;
    } else if (!signal_) {
      signal_ = int(si.ssi_signo);
      kill_qemu();
    }
  }
}

void ShellVm::on_stdin() {
  char buf[4096];
  ssize_t n = ::read(0, buf, sizeof buf);
  if (n < 0 && errno == EINTR) return;
  if (n <= 0) {  // stdin closed: the shell keeps running until it exits by itself
    stdin_open_ = false;
    return;
  }
  EscapeFilter::Action action;
  std::string out = escapes_.feed(std::string_view(buf, size_t(n)), action);
  to_guest_ += out;
  flush_to_guest();
  if (action == EscapeFilter::Action::help) write_all(2, escape_help());
  if (action == EscapeFilter::Action::quit && !quit_) {
    quit_ = true;
    kill_qemu();
  }
}

void ShellVm::flush_to_guest() {
  while (!to_guest_.empty() && ch_[kHvc].open()) {
    ssize_t n = ::write(ch_[kHvc].conn.fd, to_guest_.data(), to_guest_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      to_guest_.clear();  // the console is gone (QEMU exiting): nobody will read these keys
      return;
    }
    to_guest_.erase(0, size_t(n));
  }
}

void ShellVm::on_channel(Channel& ch, int which) {
  if (!ch.open()) {
    ch.conn = Fd(::accept4(ch.listener.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    return;
  }
  char buf[65536];
  ssize_t n = ::read(ch.conn.fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    ch.conn.reset();
    return;
  }
  on_data(which, std::string_view(buf, size_t(n)));
}

void ShellVm::on_data(int which, std::string_view data) {
  if (which == kHvc) {
    // The guest's console, byte for byte: the shell's PTY or the exec command's output.
    console_ready_ = true;
    if (stdout_ok_) stdout_ok_ = write_all(1, data);
  } else if (which == kCom1) {
    keep_tail(console_tail_, data);
    if (com1_log_.fd >= 0) write_all(com1_log_.fd, data);
  } else {
    if (com2_log_.fd >= 0) write_all(com2_log_.fd, data);
    decoder_.feed(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
}

// RSIZ {"cols","rows"} towards the guest (docs/protocol.md); seq counts this direction alone.
void ShellVm::send_resize() {
  resize_pending_ = false;
  std::optional<WindowSize> ws = window_size(0);
  if (!ws || !ch_[kCom2].open()) return;
  std::string v = "{\"cols\":" + std::to_string(ws->cols) + ",\"rows\":" + std::to_string(ws->rows) + "}";
  uint8_t buf[wire::max_encoded_size(64)];
  size_t n = wire::encode_frame(buf, sizeof buf, wire::kRsiz, rsiz_seq_++, boottime_ns(), v.data(), v.size());
  write_all(ch_[kCom2].conn.fd, std::string_view(reinterpret_cast<const char*>(buf), n));
}

// Exec mode only (a person at the keyboard decides when an interactive shell is stuck): no frame
// at all, not even BEAT, for too long means the guest hangs.
void ShellVm::check_watchdog() {
  auto now = Clock::now();
  if (decoder_.stats().frames != frames_seen_) {
    frames_seen_ = decoder_.stats().frames;
    last_frame_ = now;
  }
  unsigned silence = session_.helo_seen() ? o_.silence_s : o_.boot_silence_s;
  if (interactive_ || qemu_exited_ || watchdog_ || session_.done_seen() ||
      now - last_frame_ <= std::chrono::seconds(silence))
    return;
  watchdog_ = true;
  watchdog_reason_ = "watchdog: no frame from the guest for " + std::to_string(silence) + " s; hung in " +
                     session_.last_phase();
  kill_qemu();
}

void ShellVm::kill_qemu() {
  if (!qemu_exited_) kill(qemu_, SIGKILL);
}

int ShellVm::finish() {
  decoder_.finish();
  if (quit_) {
    std::cerr << "ktstr-vm: VM killed (Ctrl-A X)\n";
    return 0;
  }
  if (signal_) {
    std::cerr << "ktstr-vm: interrupted (signal " << signal_ << "), VM stopped\n";
    return exit_code::for_signal(signal_);
  }
  Verdict v = session_.verdict(decoder_.stats(), console_tail_, watchdog_, watchdog_reason_);
  if (!session_.helo_seen() && !qemu_stderr_.empty()) std::cerr << "ktstr-vm: QEMU said:\n" << qemu_stderr_;
  if (!v.reason.empty()) {
    if (!session_.done_seen() && !console_tail_.empty()) {
      std::string tail = console_tail_.size() > 3000 ? console_tail_.substr(console_tail_.size() - 3000) : console_tail_;
      std::cerr << "ktstr-vm: last console output:\n" << tail << "\n";
    }
    std::cerr << "ktstr-vm: " << (v.exit_code ? "FAILED (" + std::to_string(v.exit_code) + "): " : "") << v.reason
              << "\n";
  }
  return v.exit_code;
}

}  // namespace

std::vector<std::string> shell_keys(const RunOptions& o, unsigned cols, unsigned rows, const char* term,
                                    const char* colorterm) {
  std::vector<std::string> keys = {"KTSTR_MODE=shell"};
  if (cols && rows) {
    keys.push_back("KTSTR_COLS=" + std::to_string(cols));
    keys.push_back("KTSTR_ROWS=" + std::to_string(rows));
  }
  if (cmdline_safe(term)) keys.push_back(std::string("KTSTR_TERM=") + term);
  if (cmdline_safe(colorterm)) keys.push_back(std::string("KTSTR_COLORTERM=") + colorterm);
  if (o.vm.timeout_s) keys.push_back("KTSTR_TIMEOUT=" + std::to_string(o.vm.timeout_s));
  if (!o.guest_log_level.empty()) keys.push_back("KTSTR_LOG=" + o.guest_log_level);
  if (o.attach_timeout_ms) keys.push_back("KTSTR_ATTACH_TIMEOUT_MS=" + std::to_string(o.attach_timeout_ms));
  keys.insert(keys.end(), o.guest_keys.begin(), o.guest_keys.end());
  return keys;
}

int shell_command(const RunOptions& o) {
  KernelImage kernel = resolve_kernel(o.vm.kernel);
  PackSpec pack = o.pack;
  pack.init = resolve_init(o.init);
  if (!o.scheduler.empty()) pack.scheduler = resolve_scheduler(o.scheduler);
  pack.kernel_config = kernel.config;
  pack.kernel_release = kernel.release;
  pack.payload.clear();
  const bool interactive = pack.exec_cmd.empty();

  TempDir tmp;
  tmp.keep = o.keep_tmp;
  std::string initrd = tmp.path + "/initramfs.cpio.zst";
  for (const auto& note : pack_initramfs(pack, initrd))
    if (o.verbose) std::cerr << "ktstr-vm: " << note << "\n";

  // The guest's PTY starts at the terminal's size.
  std::optional<WindowSize> ws = interactive ? window_size(0) : std::nullopt;
  auto keys = shell_keys(o, ws ? ws->cols : 0, ws ? ws->rows : 0, std::getenv("TERM"), std::getenv("COLORTERM"));
  std::string accel_why;
  std::string accel = choose_accel(o.vm.accel, kernel, accel_why);
  QemuSockets socks{tmp.path + "/com1.sock", tmp.path + "/com2.sock", tmp.path + "/hvc.sock"};
  Channel com1{listen_unix(socks.com1), {}}, com2{listen_unix(socks.com2), {}}, hvc{listen_unix(socks.hvc), {}};
  auto argv = qemu_argv(o.vm, accel, kernel, initrd, kernel_cmdline(o.vm, keys), socks);
  if (o.verbose) {
    std::string cmd;
    for (const auto& a : argv) cmd += shell_quote(a) + " ";
    std::cerr << "ktstr-vm: kernel " << describe(kernel) << "\nktstr-vm: accel " << accel << " (" << accel_why << ")\n"
              << "ktstr-vm: " << cmd << "\n";
  }
  ShellVm vm(o, interactive);
  vm.start(argv, std::move(com1), std::move(com2), std::move(hvc));
  return vm.run();
}

}  // namespace ktstr::host
