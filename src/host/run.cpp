#include "run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "report.hpp"
#include "run_session.hpp"
#include "vm_process.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

using Clock = std::chrono::steady_clock;

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

}  // namespace

int run_command(const RunOptions& o) {
  auto t_start = Clock::now();
  KernelImage kernel = resolve_kernel(o.vm.kernel);
  PackSpec pack = o.pack;
  pack.init = resolve_init(o.init);
  if (!o.scheduler.empty()) pack.scheduler = resolve_scheduler(o.scheduler);
  pack.kernel_config = kernel.config;
  pack.kernel_release = kernel.release;
  if (pack.payload.empty()) throw std::runtime_error("no payload: give the program to run after --");

  TempDir tmp;
  tmp.keep = o.keep_tmp;
  std::string initrd = tmp.path + "/initramfs.cpio.zst";
  pack_initramfs(pack, initrd);

  std::vector<std::string> keys;
  if (o.vm.timeout_s) keys.push_back("KTSTR_TIMEOUT=" + std::to_string(o.vm.timeout_s));
  if (!o.guest_log_level.empty()) keys.push_back("KTSTR_LOG=" + o.guest_log_level);
  if (o.attach_timeout_ms) keys.push_back("KTSTR_ATTACH_TIMEOUT_MS=" + std::to_string(o.attach_timeout_ms));
  keys.insert(keys.end(), o.guest_keys.begin(), o.guest_keys.end());
  std::string accel_why;
  std::string accel = choose_accel(o.vm.accel, kernel, accel_why);
  QemuSockets socks{tmp.path + "/com1.sock", tmp.path + "/com2.sock", "", o.no_com2};
  Fd l1 = listen_unix(socks.com1), l2 = listen_unix(socks.com2);
  auto argv = qemu_argv(o.vm, accel, kernel, initrd, kernel_cmdline(o.vm, keys), socks);
  if (o.verbose) {
    std::string cmd;
    for (const auto& a : argv) cmd += shell_quote(a) + " ";
    std::cerr << "ktstr-vm: kernel " << kernel.release << ", accel " << accel << " (" << accel_why << ")\n"
              << "ktstr-vm: " << cmd << "\n";
  }

  // Ctrl-C / TERM reach us through a signalfd: QEMU is stopped and the run reported.
  sigset_t block, old;
  sigemptyset(&block);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&block, s);
  sigprocmask(SIG_BLOCK, &block, &old);
  sigdelset(&block, SIGPIPE);
  Fd sigfd(signalfd(-1, &block, SFD_CLOEXEC));

  int qerr[2];
  if (pipe2(qerr, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + std::string(strerror(errno)));
  Fd qerr_r(qerr[0]), qerr_w(qerr[1]);
  pid_t qemu = spawn_qemu(argv, qerr_w.fd, old);
  qerr_w.reset();
  Fd pidfd(int(syscall(SYS_pidfd_open, qemu, 0)));

  Fd com2_log = open_out(o.com2_log), console_log = open_out(o.console_log), sched_log = open_out(o.sched_log);
  SplatClassifier rules;
  for (const auto& d : o.deny) rules.add_deny(d);
  for (const auto& a : o.allow) rules.add_allow(a);
  if (!o.splat_rules.empty()) rules.load_file(o.splat_rules);
  RunSession session({1, 2, sched_log.fd, o.verbose, console_log.fd, &rules, o.splats_warn});
  wire::FrameDecoder decoder([&](const wire::Frame& f) { session.on_frame(f); });

  Fd c1, c2;
  std::string console_tail, qemu_stderr;
  bool qemu_exited = false, watchdog = false, interrupted = false;
  std::string watchdog_reason;
  int qemu_status = 0;
  auto last_frame = Clock::now();
  uint64_t frames_seen = 0;
  unsigned watchdog_s = o.watchdog_s ? o.watchdog_s : o.vm.timeout_s ? o.vm.timeout_s + 120 : 3600;
  auto hard_deadline = Clock::now() + std::chrono::seconds(watchdog_s);
  char buf[65536];

  // Until QEMU has exited and both sockets reached EOF.
  while (!qemu_exited || c1.fd >= 0 || c2.fd >= 0) {
    std::vector<pollfd> p;
    auto add = [&](int fd) { p.push_back({fd, POLLIN, 0}); };
    add(sigfd.fd);
    add(qemu_exited ? -1 : pidfd.fd);
    add(qerr_r.fd);
    add(c1.fd >= 0 ? c1.fd : (qemu_exited ? -1 : l1.fd));
    add(c2.fd >= 0 ? c2.fd : (qemu_exited ? -1 : l2.fd));
    int rc = ::poll(p.data(), p.size(), qemu_exited ? 2000 : 500);
    if (rc < 0 && errno != EINTR) throw std::runtime_error("poll: " + std::string(strerror(errno)));
    if (qemu_exited && rc == 0) break;  // sockets should close with QEMU; don't wait forever

    if (p[0].revents) {
      signalfd_siginfo si;
      if (::read(sigfd.fd, &si, sizeof si) > 0 && !interrupted) {
        interrupted = true;
        std::cerr << "ktstr-vm: interrupted (signal " << si.ssi_signo << "), stopping the VM\n";
        kill(qemu, SIGKILL);
      }
    }
    if (p[1].revents) {
      waitpid(qemu, &qemu_status, 0);
      qemu_exited = true;
    }
    if (p[2].revents) {
      ssize_t n = ::read(qerr_r.fd, buf, sizeof buf);
      if (n > 0) keep_tail(qemu_stderr, std::string_view(buf, size_t(n)), 16384);
      else qerr_r.reset();
    }
    for (int i : {3, 4}) {
      if (!p[size_t(i)].revents) continue;
      Fd& conn = i == 3 ? c1 : c2;
      Fd& lis = i == 3 ? l1 : l2;
      if (conn.fd < 0) {
        conn = Fd(::accept4(lis.fd, nullptr, nullptr, SOCK_CLOEXEC));
        continue;
      }
      ssize_t n = ::read(conn.fd, buf, sizeof buf);
      if (n <= 0) {
        conn.reset();
        continue;
      }
      std::string_view data(buf, size_t(n));
      if (i == 3) {
        keep_tail(console_tail, data);
        if (console_log.fd >= 0) (void)!::write(console_log.fd, buf, size_t(n));
        session.on_console(data);
      } else {
        if (com2_log.fd >= 0) (void)!::write(com2_log.fd, buf, size_t(n));
        decoder.feed(std::span(reinterpret_cast<const uint8_t*>(buf), size_t(n)));
      }
    }

    // Host watchdog: silence (not even BEAT) or the hard deadline ends the run.
    auto now = Clock::now();
    if (decoder.stats().frames != frames_seen) {
      frames_seen = decoder.stats().frames;
      last_frame = now;
    }
    unsigned silence = session.helo_seen() ? o.silence_s : o.boot_silence_s;
    if (!qemu_exited && !watchdog && !session.done_seen() &&
        (now - last_frame > std::chrono::seconds(silence) || now > hard_deadline)) {
      watchdog = true;
      watchdog_reason = (now > hard_deadline ? "watchdog: run exceeded " + std::to_string(watchdog_s) + " s"
                                             : "watchdog: no frame from the guest for " + std::to_string(silence) +
                                                   " s") + "; hung in " + session.last_phase();
      kill(qemu, SIGKILL);
    }
  }
  if (!qemu_exited) {
    kill(qemu, SIGKILL);
    waitpid(qemu, &qemu_status, 0);
  }
  decoder.finish();
  sigprocmask(SIG_SETMASK, &old, nullptr);

  Verdict v = session.verdict(decoder.stats(), console_tail, watchdog, watchdog_reason);
  if (interrupted) v = {130, "interrupted"};
  if (!session.helo_seen() && !qemu_stderr.empty()) std::cerr << "ktstr-vm: QEMU said:\n" << qemu_stderr;
  if (!v.reason.empty() && !session.done_seen()) {
    // Show the end of the console: the panic or the last kernel words.
    std::string tail = console_tail.size() > 3000 ? console_tail.substr(console_tail.size() - 3000) : console_tail;
    if (!tail.empty() && !o.verbose) std::cerr << "ktstr-vm: last console output:\n" << tail << "\n";
  }
  double wall = std::chrono::duration<double>(Clock::now() - t_start).count();
  const auto& s = decoder.stats();
  std::string summary = (v.reason.empty() ? "exit " + std::to_string(v.exit_code)
                                          : "FAILED (" + std::to_string(v.exit_code) + "): " + v.reason) +
                        " | " + s.summary() + " | " + seconds_text(wall);
  if (!o.json_report.empty() || !o.junit_report.empty()) {
    nlohmann::json r = session.report();
    r["exit_code"] = v.exit_code;
    r["reason"] = v.reason;
    r["status"] = v.exit_code == 0 ? "passed" : "failed";
    r["summary"] = summary;
    r["wall_s"] = wall;
    r["com2"] = {{"bytes", s.bytes_in}, {"frames", s.frames}, {"corrupt", s.corrupt}, {"lost", s.lost},
                 {"seq_backwards", s.seq_backwards}, {"truncated_bytes", s.truncated_bytes},
                 {"garbage_bytes", s.garbage_bytes}, {"unknown_types", s.unknown_types},
                 {"value_bytes", s.value_bytes}};
    r["accel"] = accel;
    r["kernel"] = kernel.release;
    r["payload"] = o.pack.payload;
    r["watchdog"] = watchdog ? nlohmann::json(watchdog_reason) : nlohmann::json(nullptr);
    if (!o.json_report.empty()) write_json_report(o.json_report, r);
    if (!o.junit_report.empty()) {
      std::string name;
      for (const auto& a : o.pack.payload) name += (name.empty() ? "" : " ") + a;
      write_junit_report(o.junit_report, name, r);
    }
  }
  std::cerr << "ktstr-vm: " << summary << "\n";
  return v.exit_code;
}

}  // namespace ktstr::host
