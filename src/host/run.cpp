#include "run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "report.hpp"
#include "run_session.hpp"
#include "vm_process.hpp"

namespace ktstr::host {
namespace {

using Clock = std::chrono::steady_clock;

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

// One `ktstr-vm run`: prepare (resolve, pack) -> launch (sockets, QEMU) -> pump (decode live,
// watchdog) -> finish (verdict, reports). Owns the temp dir, QEMU and every fd.
class HostRun {
 public:
  explicit HostRun(const RunOptions& o)
      : o_(o), session_(sinks()), decoder_([this](const wire::Frame& f) { session_.on_frame(f); }) {}

  void prepare();
  void launch();
  void pump();
  int finish();

 private:
  RunSession::Sinks sinks();
  std::vector<std::string> guest_keys() const;
  void on_serial(int index, std::string_view data);
  void check_watchdog();
  void on_interrupt(int signo);

  const RunOptions& o_;
  Clock::time_point t_start_ = Clock::now();
  KernelImage kernel_;
  std::string accel_, accel_why_;
  TempDir tmp_;
  QemuSockets socks_;
  Fd listen_[2], conn_[2];  // COM1, COM2
  Fd com2_log_, console_log_, sched_log_;
  SplatClassifier rules_;
  RunSession session_;
  wire::FrameDecoder decoder_;
  Fd sigfd_, qemu_err_, pidfd_;
  sigset_t old_mask_{};
  pid_t qemu_ = -1;
  bool qemu_exited_ = false, interrupted_ = false, watchdog_ = false, stop_sent_ = false;
  std::string watchdog_reason_, console_tail_, qemu_stderr_;
  Clock::time_point last_frame_ = Clock::now(), hard_deadline_;
  uint64_t frames_seen_ = 0;
  unsigned watchdog_s_ = 0;
};

// Output files and kernel-health rules are set up before the session that writes to them.
RunSession::Sinks HostRun::sinks() {
  com2_log_ = open_out(o_.com2_log);
  console_log_ = open_out(o_.console_log);
  sched_log_ = open_out(o_.sched_log);
  for (const auto& d : o_.deny) rules_.add_deny(d);
  for (const auto& a : o_.allow) rules_.add_allow(a);
  if (!o_.splat_rules.empty()) rules_.load_file(o_.splat_rules);
  return {1, 2, sched_log_.fd, o_.verbose, console_log_.fd, &rules_, o_.splats_warn};
}

std::vector<std::string> HostRun::guest_keys() const {
  std::vector<std::string> keys;
  if (o_.vm.timeout_s) keys.push_back("KTSTR_TIMEOUT=" + std::to_string(o_.vm.timeout_s));
  if (!o_.guest_log_level.empty()) keys.push_back("KTSTR_LOG=" + o_.guest_log_level);
  if (o_.attach_timeout_ms) keys.push_back("KTSTR_ATTACH_TIMEOUT_MS=" + std::to_string(o_.attach_timeout_ms));
  keys.insert(keys.end(), o_.guest_keys.begin(), o_.guest_keys.end());
  return keys;
}

void HostRun::prepare() {
  kernel_ = resolve_kernel(o_.vm.kernel);
  PackSpec pack = o_.pack;
  pack.init = resolve_init(o_.init);
  if (!o_.scheduler.empty()) pack.scheduler = resolve_scheduler(o_.scheduler);
  pack.kernel_config = kernel_.config;
  pack.kernel_release = kernel_.release;
  if (pack.payload.empty()) throw std::runtime_error("no payload: give the program to run after --");
  tmp_.keep = o_.keep_tmp;
  for (const auto& note : pack_initramfs(pack, tmp_.path + "/initramfs.cpio.zst"))
    if (o_.verbose) std::cerr << "ktstr-vm: " << note << "\n";
  accel_ = choose_accel(o_.vm.accel, kernel_, accel_why_);
  watchdog_s_ = o_.watchdog_s ? o_.watchdog_s : o_.vm.timeout_s ? o_.vm.timeout_s + 120 : 3600;
}

void HostRun::launch() {
  socks_ = {tmp_.path + "/com1.sock", tmp_.path + "/com2.sock", "", o_.no_com2};
  listen_[0] = listen_unix(socks_.com1);
  listen_[1] = listen_unix(socks_.com2);
  auto argv = qemu_argv(o_.vm, accel_, kernel_, tmp_.path + "/initramfs.cpio.zst",
                        kernel_cmdline(o_.vm, guest_keys()), socks_);
  if (o_.verbose) {
    std::string cmd;
    for (const auto& a : argv) cmd += shell_quote(a) + " ";
    std::cerr << "ktstr-vm: kernel " << describe(kernel_) << "\nktstr-vm: accel " << accel_ << " (" << accel_why_ << ")\n"
              << "ktstr-vm: " << cmd << "\n";
  }
  // Ctrl-C / TERM reach us through a signalfd: QEMU is stopped and the run still reported.
  sigfd_ = block_into_signalfd({SIGINT, SIGTERM, SIGHUP}, old_mask_, 0);
  Qemu q = spawn_qemu(argv, old_mask_);
  qemu_ = q.pid;
  pidfd_ = std::move(q.pidfd);
  qemu_err_ = std::move(q.stderr_read);
  session_.mark_qemu_start();
  last_frame_ = Clock::now();
  hard_deadline_ = last_frame_ + std::chrono::seconds(watchdog_s_);
}

// COM1 (index 0) to the console tail, log and -v; COM2 (index 1) to its log and the decoder.
void HostRun::on_serial(int index, std::string_view data) {
  if (index == 0) {
    keep_tail(console_tail_, data);
    if (console_log_.fd >= 0) (void)!::write(console_log_.fd, data.data(), data.size());
    session_.on_console(data);
  } else {
    if (com2_log_.fd >= 0) (void)!::write(com2_log_.fd, data.data(), data.size());
    decoder_.feed(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
}

// Silence (not even BEAT) or the hard deadline ends the run, naming the phase it hung in.
void HostRun::check_watchdog() {
  auto now = Clock::now();
  if (decoder_.stats().frames != frames_seen_) {
    frames_seen_ = decoder_.stats().frames;
    last_frame_ = now;
  }
  unsigned silence = session_.helo_seen() ? o_.silence_s : o_.boot_silence_s;
  if (qemu_exited_ || watchdog_ || session_.done_seen()) return;
  if (now - last_frame_ <= std::chrono::seconds(silence) && now <= hard_deadline_) return;
  watchdog_ = true;
  watchdog_reason_ = (now > hard_deadline_ ? "watchdog: run exceeded " + std::to_string(watchdog_s_) + " s"
                                           : "watchdog: no frame from the guest for " + std::to_string(silence) + " s") +
                     "; hung in " + session_.last_phase();
  kill(qemu_, SIGKILL);
}

// First Ctrl-C: STOP on COM2, so the guest ends the payload and tears down as usual (the
// scheduler's exit report and any dump still arrive). Second, or without COM2: kill QEMU.
void HostRun::on_interrupt(int signo) {
  if (interrupted_ || qemu_exited_) return;
  if (!stop_sent_ && conn_[1].fd >= 0 && session_.helo_seen()) {
    uint8_t frame[wire::max_encoded_size(2)];
    size_t n = wire::encode_frame(frame, sizeof frame, wire::kStop, 0, 0, "{}", 2);
    if (::write(conn_[1].fd, frame, n) == ssize_t(n)) {
      stop_sent_ = true;
      std::cerr << "ktstr-vm: interrupted (signal " << signo << "): asking the guest to stop; again to kill\n";
      return;
    }
  }
  interrupted_ = true;
  std::cerr << "ktstr-vm: interrupted (signal " << signo << "), killing the VM\n";
  kill(qemu_, SIGKILL);
}

// Until QEMU has exited and both sockets reached EOF.
void HostRun::pump() {
  char buf[65536];
  while (!qemu_exited_ || conn_[0].fd >= 0 || conn_[1].fd >= 0) {
    pollfd p[5] = {{sigfd_.fd, POLLIN, 0}, {qemu_exited_ ? -1 : pidfd_.fd, POLLIN, 0}, {qemu_err_.fd, POLLIN, 0}};
    for (int i : {0, 1})
      p[3 + i] = {conn_[i].fd >= 0 ? conn_[i].fd : (qemu_exited_ ? -1 : listen_[i].fd), POLLIN, 0};
    int rc = ::poll(p, 5, qemu_exited_ ? 2000 : 500);
    if (rc < 0 && errno != EINTR) throw std::runtime_error("poll: " + std::string(strerror(errno)));
    if (qemu_exited_ && rc == 0) break;  // the sockets close with QEMU; don't wait forever
    if (p[0].revents) {
      signalfd_siginfo si;
      if (::read(sigfd_.fd, &si, sizeof si) > 0) on_interrupt(int(si.ssi_signo));
    }
    if (p[1].revents) {
      waitpid(qemu_, nullptr, 0);
      qemu_exited_ = true;
    }
    if (p[2].revents) {
      ssize_t n = ::read(qemu_err_.fd, buf, sizeof buf);
      if (n > 0) keep_tail(qemu_stderr_, std::string_view(buf, size_t(n)), 16384);
      else qemu_err_.reset();
    }
    for (int i : {0, 1}) {
      if (!p[3 + i].revents) continue;
      if (conn_[i].fd < 0) {
        conn_[i] = Fd(::accept4(listen_[i].fd, nullptr, nullptr, SOCK_CLOEXEC));
        continue;
      }
      ssize_t n = ::read(conn_[i].fd, buf, sizeof buf);
      if (n <= 0) conn_[i].reset();
      else on_serial(i, std::string_view(buf, size_t(n)));
    }
    check_watchdog();
  }
  if (!qemu_exited_) {
    kill(qemu_, SIGKILL);
    waitpid(qemu_, nullptr, 0);
  }
  decoder_.finish();
  sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

int HostRun::finish() {
  Verdict v = session_.verdict(decoder_.stats(), console_tail_, watchdog_, watchdog_reason_);
  if (interrupted_) v = {exit_code::kInterrupted, "interrupted"};
  if (!session_.helo_seen() && !qemu_stderr_.empty()) std::cerr << "ktstr-vm: QEMU said:\n" << qemu_stderr_;
  if (!v.reason.empty() && !session_.done_seen() && !o_.verbose && !console_tail_.empty()) {
    // The end of the console: the panic or the last kernel words.
    size_t from = console_tail_.size() > 3000 ? console_tail_.size() - 3000 : 0;
    std::cerr << "ktstr-vm: last console output:\n" << console_tail_.substr(from) << "\n";
  }
  double wall = std::chrono::duration<double>(Clock::now() - t_start_).count();
  const auto& s = decoder_.stats();
  std::string summary = (v.reason.empty() ? "exit " + std::to_string(v.exit_code)
                                          : "FAILED (" + std::to_string(v.exit_code) + "): " + v.reason) +
                        " | " + s.summary() + " | " + seconds_text(wall);
  if (!o_.json_report.empty() || !o_.junit_report.empty()) {
    nlohmann::json r = session_.report();
    r["exit_code"] = v.exit_code;
    r["reason"] = v.reason;
    r["status"] = v.exit_code == 0 ? "passed" : "failed";
    r["summary"] = summary;
    r["wall_s"] = wall;
    r["com2"] = {{"bytes", s.bytes_in}, {"frames", s.frames}, {"corrupt", s.corrupt}, {"lost", s.lost},
                 {"seq_backwards", s.seq_backwards}, {"truncated_bytes", s.truncated_bytes},
                 {"garbage_bytes", s.garbage_bytes}, {"unknown_types", s.unknown_types},
                 {"value_bytes", s.value_bytes}};
    r["accel"] = accel_;
    r["kernel"] = kernel_.release;
    r["kernel_image"] = kernel_json(kernel_);
    r["payload"] = o_.pack.payload;
    r["watchdog"] = watchdog_ ? nlohmann::json(watchdog_reason_) : nlohmann::json(nullptr);
    if (!o_.json_report.empty()) write_json_report(o_.json_report, r);
    std::string name;
    for (const auto& a : o_.pack.payload) name += (name.empty() ? "" : " ") + a;
    if (!o_.junit_report.empty()) write_junit_report(o_.junit_report, name, r);
  }
  std::cerr << "ktstr-vm: " << summary << "\n";
  return v.exit_code;
}

}  // namespace

int run_command(const RunOptions& opts) {
  HostRun run(opts);
  run.prepare();
  run.launch();
  run.pump();
  return run.finish();
}

}  // namespace ktstr::host
