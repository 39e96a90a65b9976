#include "vm_session.hpp"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "guest_config.hpp"
#include "ktstr/exit_codes.hpp"
#include "kernel_image.hpp"
#include "pack.hpp"
#include "pack_spec.hpp"
#include "qemu.hpp"
#include "qemu_monitor.hpp"
#include "report.hpp"
#include "text.hpp"
#include "unix_socket.hpp"

namespace ktstr::host {
namespace {

constexpr size_t kMaxPending = 64 * 1024;           // keys buffered for the guest before stdin pauses
constexpr auto kDrainAfterExit = std::chrono::seconds(2);  // the sockets close with QEMU; don't wait forever

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

}  // namespace

// The same watchdog for every mode. Boot deadline: --boot-timeout, else by the vCPU count and
// the accelerator. Hard deadline: --watchdog, else the boot deadline plus --timeout + 120 s, else
// plus an hour, and plus the on-failure hook's timeout + 5 s when there is one: it counts from
// QEMU's start, so a big VM's long boot must not eat the payload's time. The interactive shell
// has only the deadlines it is given: a person at the keyboard decides when it is stuck, and may
// well stall the guest on purpose.
Watchdog session_watchdog(const RunOptions& o, VmMode mode, const std::string& accel) {
  unsigned vcpus = vm_topology(o.vm).cpus();
  std::string what = std::to_string(vcpus) + (vcpus == 1 ? " vCPU" : " vCPUs") + " under " +
                     (accel == "kvm" ? "KVM" : "TCG");
  if (mode == VmMode::interactive) return Watchdog(o.watchdog_s, 0, o.boot_timeout_s, what);
  unsigned boot = o.boot_timeout_s ? o.boot_timeout_s : default_boot_timeout_s(vcpus, accel == "kvm");
  // The on-failure hook runs after the payload's timeout: its own bound is added.
  unsigned hook = o.pack.on_failure.empty() ? 0 : o.on_failure_timeout_s + 5;
  unsigned hard = o.watchdog_s ? o.watchdog_s : boot + hook + (o.vm.timeout_s ? o.vm.timeout_s + 120 : 3600);
  return Watchdog(hard, o.silence_s, boot, what);
}

VmSession::VmSession(RunOptions o, VmMode mode, SessionIo io)
    : o_(std::move(o)),
      mode_(mode),
      io_(io),
      decoder_([this](const wire::Frame& f) { on_decoded(f); }),
      watchdog_(session_watchdog(o_, mode, "tcg")),
      escapes_(EscapeFilter::for_input(io.in_fd)) {
  tmp_.keep = o_.keep_tmp;
  // The files open before the boot: one that cannot be opened is refused at once.
  com2_log_ = OutputFile("--com2-log", o_.com2_log);
  console_log_ = OutputFile("--console-log", o_.console_log);
  sched_log_ = OutputFile("--sched-log", o_.sched_log);
  json_ = OutputFile("--json", o_.json_report);
  junit_ = OutputFile("--junit", o_.junit_report);
  for (const auto& d : o_.deny) rules_.add_deny(d);
  for (const auto& a : o_.allow) rules_.add_allow(a);
  if (!o_.splat_rules.empty()) rules_.load_file(o_.splat_rules);
  // --output DIR: made or checked (empty) and opened before the boot, like the files above.
  if (!o_.output_dir.empty() && mode_ != VmMode::interactive) output_.take(o_.output_dir, o_.output_limit);
  session_.emplace(sinks());
}

VmSession::~VmSession() = default;

void VmSession::on_decoded(const wire::Frame& f) {
  // A warm guest before its test: WAIT says it booted and waits (warm_session.cpp).
  if (warm_.kind != StartKind::cold && !warm_.test_sent) {
    if (f.type == wire::kWait) warm_.waiting = true;
    else if (f.type == wire::kKmsg && !warm_.waiting) warm_.boot_log.push_back(boot_record(f));
    else if (f.type == wire::kHelo || f.type == wire::kDone || f.type == wire::kFatl || f.type == wire::kCrsh)
      warm_.unexpected = "the guest sent " + std::string(f.type.view()) + " instead of WAIT";
    return;
  }
  if (f.type == wire::kSack) return on_stdin_ack(f);  // flow control, not part of the run
  if (OutputTree::is_tree_frame(f.type)) return output_.on_com2_frame(f);  // a guest without the lane
  session_->on_frame(f);
  if (f.type == wire::kHelo && warm_.kind != StartKind::cold) replay_boot_log();
}

// The run's COM2 stream starts afresh when a warm guest gets its test: the guest's seq restarts
// at 0 with the HELO that follows.
void VmSession::reset_decoder() {
  decoder_ = wire::FrameDecoder([this](const wire::Frame& f) { on_decoded(f); });
}

// Where the frames' contents go. In shell mode the guest console carries the output; the
// interactive terminal is the guest's alone.
GuestRecord::Sinks VmSession::sinks() const {
  if (mode_ == VmMode::interactive) return {-1, -1, sched_log_.fd(), false};
  if (mode_ == VmMode::exec) return {io_.out_fd, io_.err_fd, sched_log_.fd(), false};
  return {io_.out_fd, io_.err_fd, sched_log_.fd(), o_.verbose, console_log_.fd(), &rules_, o_.splats_warn};
}

void VmSession::prepare() {
  kernel_ = resolve_kernel(o_.vm.kernel);
  PackSpec pack = resolve_pack_spec(o_.pack, o_.init, o_.scheduler, &kernel_);
  if (mode_ == VmMode::run && pack.payload.empty())
    throw std::runtime_error("no payload: give the program to run after --");
  if (mode_ != VmMode::run) pack.payload.clear();
  if (mode_ == VmMode::run && !o_.verifier_baseline.empty()) baseline_ = load_verifier_baseline(o_.verifier_baseline);
  accel_ = choose_accel(o_.vm.accel, kernel_, accel_why_);
  if (want_warm(warm_.why_cold)) prepare_warm(pack);
  if (warm_.kind == StartKind::cold) pack_cold(std::move(pack));
}

// The whole initramfs, for a cold boot.
void VmSession::pack_cold(PackSpec pack) {
  // Uncompressed: this initramfs lives for one boot, and the kernel unpacks a plain cpio faster
  // under TCG than it decompresses one (bench/: init exec ~65 ms sooner than zstd -1, 11 rounds).
  pack.compression = Compression::none;
  std::string initrd = initrd_path();
  for (const auto& note : pack_initramfs(pack, initrd))
    if (o_.verbose) (void)write_all(io_.err_fd, "ktstr-vm: " + note + "\n");
  std::error_code ec;
  uint64_t bytes = std::filesystem::file_size(initrd, ec);
  if (!ec) warn_if_big(bytes);
}

// The guest holds the archive and its unpacked copy at once, the copy in a rootfs capped at
// half the memory: at 37 MB in 128 MiB the boot panicked "System is deadlocked on memory". A warm
// guest's run part is unpacked as it streams in, but its files still live in the guest's memory.
void VmSession::warn_if_big(uint64_t archive_bytes) const {
  uint64_t mib = archive_bytes >> 20;
  if (mib > o_.vm.memory_mb / 4)
    (void)write_all(io_.err_fd, "ktstr-vm: warning: the initramfs is " + std::to_string(mib) + " MiB, more than a "
                    "quarter of --memory " + std::to_string(o_.vm.memory_mb) + "; if the boot runs out of memory "
                    "(a panic, or \"initramfs is truncated\"), give the VM more\n");
}

void VmSession::launch(const sigset_t& child_mask) {
  warm_.child_mask = child_mask;
  QemuSockets socks{tmp_.path() + "/com1.sock", tmp_.path() + "/com2.sock",
                    mode_ == VmMode::run ? "" : tmp_.path() + "/hvc.sock", o_.no_com2, "", ""};
  auto listen = [&](int ch, const std::string& path) {
    if (!path.empty() && !ch_[ch].listener.valid()) ch_[ch].listener = listen_unix(path);
  };
  listen(kCom1, socks.com1);
  listen(kCom2, socks.com2);
  listen(kHvc, socks.hvc);
  // The lane: a cold boot's only when a tree is taken; a warm guest's files arrive on it.
  if ((output_.taken() && !o_.no_lane) || warm_.kind != StartKind::cold) socks.lane = tmp_.path() + "/lane.sock";
  listen(kLane, socks.lane);
  auto argv = launch_argv(socks);
  if (o_.verbose) {
    std::string cmd;
    for (const auto& a : argv) cmd += shell_quote(a) + " ";
    (void)write_all(io_.err_fd, "ktstr-vm: kernel " + describe(kernel_) + "\nktstr-vm: accel " + accel_ + " (" +
                                    accel_why_ + ")\nktstr-vm: " + cmd + "\n");
  }
  qemu_.start(argv, child_mask);
  warm_.t_launch = Clock::now();
  session_->mark_qemu_start();
  watchdog_ = session_watchdog(o_, mode_, accel_);  // the accelerator is known now
  watchdog_.start(Clock::now());
  if (mode_ == VmMode::interactive) raw_.emplace(io_.in_fd);
}

void VmSession::watches(std::vector<Watch>& out) {
  if (!warm_.fallback.empty() && qemu_.exited()) return;  // tick relaunches it cold
  out.push_back({qemu_.pidfd(), POLLIN, [this](short) { on_qemu_exit(); }});
  out.push_back({qemu_.stderr_fd(), POLLIN, [this](short) { on_qemu_stderr(); }});
  for (int i : {kCom1, kCom2, kHvc, kLane}) {
    Channel& c = ch_[i];
    int fd = c.open() ? c.conn.get() : qemu_.exited() ? -1 : c.listener.get();
    short events = POLLIN;
    if (i == kHvc && c.open() && !to_guest_.empty()) events |= POLLOUT;
    if (i == kCom2 && c.open() && !com2_out_.empty()) events |= POLLOUT;
    if (i == kLane && c.open() && !warm_.lane_out.empty()) events |= POLLOUT;
    out.push_back({fd, events, [this, i](short revents) {
                     if (revents & POLLOUT) i == kCom2 ? flush_com2() : i == kLane ? flush_lane_out() : flush_to_guest();
                     if (revents & ~POLLOUT) on_channel(i);
                   }});
  }
  warm_watches(out);
  // The payload's stdin: read only as far as the guest's window reaches, and only once the
  // frames before have left (the window bounds what is in flight, this what is queued here).
  // Not before HELO: a warm guest reads its SPEC with a reader of its own, which would take
  // whatever followed it.
  if (o_.forward_stdin && mode_ != VmMode::interactive && stdin_fwd_.room() && com2_out_.empty() &&
      ch_[kCom2].open() && qemu_.running() && session_->helo_seen())
    out.push_back({io_.in_fd, POLLIN, [this](short) { forward_stdin(); }});
  // Keys are read once the guest console has spoken (before init makes it raw, the kernel would
  // echo them) and has taken the previous ones.
  if (mode_ == VmMode::interactive && stdin_open_ && console_ready_ && to_guest_.size() < kMaxPending)
    out.push_back({io_.in_fd, POLLIN, [this](short) { on_stdin(); }});
}

// Short while a restore or a save is polled for its end (warm_session.cpp).
int VmSession::poll_timeout_ms() const { return (warm_.use && !warm_.running) || warm_.saving ? 5 : 500; }

void VmSession::tick() {
  if (!warm_.fallback.empty() && qemu_.exited()) relaunch_cold();
  auto now = Clock::now();
  if (qemu_exit_ && now - *qemu_exit_ > kDrainAfterExit)
    for (Channel& c : ch_) c.conn.reset();
  watchdog_.frames(decoder_.stats().frames, now);
  if (qemu_.running() && !session_->done_seen())
    if (auto why = watchdog_.check(now, session_->helo_seen(), session_->last_phase())) on_watchdog(*why, now);
  if (qemu_.running() && !killed_ && hang_dumps_.kill_due(now)) kill_qemu();
  if (resize_pending_ && session_->helo_seen()) send_resize();
  if (warm_.kind == StartKind::restore && !warm_.running) poll_restore();
  if (warm_.saving) poll_save();
}

bool VmSession::finished() const {
  return qemu_.exited() && warm_.fallback.empty() && !ch_[kCom1].open() && !ch_[kCom2].open() && !ch_[kHvc].open() &&
         !ch_[kLane].open();
}

void VmSession::on_qemu_exit() {
  qemu_.reap();
  // A warm guest that ended before it had its test (a snapshot that would not load, a base boot
  // that went wrong): the run boots cold instead (tick), and only that boot is judged.
  if (warm_.kind != StartKind::cold && !warm_.test_sent && !killed_ && !signal_) {
    std::string why = warm_.kind == StartKind::restore ? "the snapshot did not restore" : "the warm boot ended early";
    if (std::string said = last_line(qemu_stderr_); !said.empty()) why += " (QEMU: " + said + ")";
    return fall_back_cold(why);
  }
  session_->note_qemu_exit(qemu_.wait_status());  // a run without DONE names how QEMU ended
  qemu_exit_ = Clock::now();
}

void VmSession::on_qemu_stderr() {
  char buf[4096];
  ssize_t n = ::read(qemu_.stderr_fd(), buf, sizeof buf);
  if (n > 0) keep_tail(qemu_stderr_, std::string_view(buf, size_t(n)), 16384);
  else if (n == 0 || errno != EINTR) qemu_.close_stderr();
}

void VmSession::on_channel(int which) {
  Channel& c = ch_[which];
  if (!c.open()) {
    c.conn = UniqueFd(::accept4(c.listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    return;
  }
  if (which == kLane) return on_lane();
  char buf[65536];
  ssize_t n = ::read(c.conn.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    c.conn.reset();
    return;
  }
  std::string_view data(buf, size_t(n));
  if (which == kCom1) on_console(data);
  else if (which == kCom2) on_com2(data);
  else on_hvc(data);
}

// COM1: the kernel console (and trace_pipe): its tail for the epilogue, its log, -v.
void VmSession::on_console(std::string_view data) {
  keep_tail(console_tail_, data);
  write_console_log(data);
  session_->on_console(data);
}

// --console-log takes COM1 a whole line at a time: the kernel records the host adds to it
// (GuestRecord::kernel_record: those the quiet console did not print, such as SysRq-W's tasks)
// then fall between lines, never inside one of trace_pipe's. A line longer than kMaxLine goes
// out as it is; the rest goes out at the end (flush_console_log).
void VmSession::write_console_log(std::string_view data) {
  constexpr size_t kMaxLine = 4096;
  console_line_.append(data);
  size_t end = console_line_.rfind('\n');
  if (console_line_.size() > kMaxLine) end = console_line_.size() - 1;
  if (end == std::string::npos) return;
  console_log_.write(std::string_view(console_line_).substr(0, end + 1));
  console_line_.erase(0, end + 1);
}

void VmSession::flush_console_log() {
  console_log_.write(console_line_);
  console_line_.clear();
}

// COM2: the frames, to their log and the decoder.
void VmSession::on_com2(std::string_view data) {
  // A warm guest's frames before its test (WAIT) are not the run's: the log starts with HELO.
  bool before_test = warm_.kind != StartKind::cold && !warm_.test_sent;
  if (!before_test) com2_log_.write(data);
  decoder_.feed(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  if (before_test) {
    if (!warm_.unexpected.empty()) return fall_back_cold(warm_.unexpected);
    if (warm_.waiting && !warm_.t_wait.time_since_epoch().count()) on_guest_waiting();
  }
}

// hvc0: the guest's console, byte for byte: the shell's PTY or the exec command's output.
void VmSession::on_hvc(std::string_view data) {
  if (mode_ == VmMode::run) return;  // a warm guest has a console in every mode; a test's is unused
  console_ready_ = true;
  if (out_ok_) out_ok_ = write_all(io_.out_fd, data);
}

// The data lane: bulk bytes (the output tree), read in big gulps so 50 MB take few poll rounds.
void VmSession::on_lane() {
  static constexpr size_t kGulp = size_t(1) << 20;
  if (!lane_buf_) lane_buf_.reset(new char[kGulp]);
  char* buf = lane_buf_.get();
  for (int round = 0; round < 16 && ch_[kLane].open(); ++round) {
    ssize_t n = ::read(ch_[kLane].conn.get(), buf, kGulp);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      ch_[kLane].conn.reset();
      return;
    }
    output_.on_lane(std::string_view(buf, size_t(n)));
    // LACK: the guest waits for it before DONE (a few bytes into an idle socket: no wait).
    if (std::string ack = output_.take_ack(); !ack.empty()) (void)write_all(ch_[kLane].conn.get(), ack);
    if (size_t(n) < kGulp) return;
  }
}

void VmSession::on_stdin() {
  char buf[4096];
  ssize_t n = ::read(io_.in_fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    // End of input ends the session, as with ssh: after the keys before it (a last line without
    // its newline gets one) the shell reads `exit`. Not Ctrl-D: keys typed ahead pass the guest
    // terminal's canonical mode, which turns Ctrl-D into a byte the shell's line editor ignores.
    stdin_open_ = false;
    if (last_key_ != '\n' && last_key_ != '\r') to_guest_ += '\n';
    to_guest_ += "exit\n";
    flush_to_guest();
    return;
  }
  EscapeFilter::Action action;
  std::string keys = escapes_.feed(std::string_view(buf, size_t(n)), action);
  if (!keys.empty()) last_key_ = keys.back();
  to_guest_ += keys;
  flush_to_guest();
  if (action == EscapeFilter::Action::help) (void)write_all(io_.err_fd, escape_help());
  if (action == EscapeFilter::Action::quit && !quit_) {
    quit_ = true;
    kill_qemu();
  }
}

void VmSession::flush_to_guest() {
  while (!to_guest_.empty() && ch_[kHvc].open()) {
    ssize_t n = ::write(ch_[kHvc].conn.get(), to_guest_.data(), to_guest_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      to_guest_.clear();  // the console is gone (QEMU exiting): nobody will read these keys
      return;
    }
    to_guest_.erase(0, size_t(n));
  }
}

// A frame towards the guest on COM2 (docs/protocol.md), queued and written as the socket takes
// it. False if COM2 is not connected.
bool VmSession::send_to_guest(const wire::Tag& type, const std::string& value) {
  if (!ch_[kCom2].open()) return false;
  std::vector<uint8_t> buf(wire::max_encoded_size(value.size()));
  size_t n = wire::encode_frame(buf.data(), buf.size(), type, to_guest_seq_++, boottime_ns(), value.data(), value.size());
  com2_out_.append(reinterpret_cast<const char*>(buf.data()), n);
  flush_com2();
  return true;
}

void VmSession::flush_com2() {
  while (!com2_out_.empty() && ch_[kCom2].open()) {
    ssize_t n = ::write(ch_[kCom2].conn.get(), com2_out_.data(), com2_out_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      com2_out_.clear();  // QEMU is gone: nobody will read these frames
      return;
    }
    com2_out_.erase(0, size_t(n));
  }
}

// SACK: the guest took bytes of stdin and grants a window beyond them (or its reader is gone).
void VmSession::on_stdin_ack(const wire::Frame& f) {
  std::string error;
  bool ok = stdin_fwd_.on_ack(std::string_view(reinterpret_cast<const char*>(f.value.data()), f.value.size()), error);
  if (!ok && stdin_fwd_.rejected() == 1)  // once: a broken guest must not flood stderr
    (void)write_all(io_.err_fd, "ktstr-vm: " + error + " (seq " + std::to_string(f.seq) + "), ignored (and any more)\n");
}

// One read of the host's stdin, as far as the window allows, as one STDI frame; its end as an
// empty STDI, so the payload reads EOF.
void VmSession::forward_stdin() {
  char buf[wire::kStreamChunk];
  size_t room = std::min(stdin_fwd_.room(), sizeof buf);
  if (room == 0) return;
  ssize_t n = ::read(io_.in_fd, buf, room);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n < 0)
    (void)write_all(io_.err_fd, "ktstr-vm: reading stdin for the payload: " + std::string(strerror(errno)) +
                                    "; the payload's stdin ends here\n");
  size_t len = n > 0 ? size_t(n) : 0;
  if (send_to_guest(wire::kStdi, std::string(buf, len))) stdin_fwd_.sent(len);
}

// RSIZ {"cols","rows"}: the host window's size for the guest's PTY.
void VmSession::send_resize() {
  resize_pending_ = false;
  if (std::optional<WindowSize> ws = window_size(io_.in_fd))
    (void)send_to_guest(wire::kRsiz, "{\"cols\":" + std::to_string(ws->cols) + ",\"rows\":" + std::to_string(ws->rows) + "}");
}

// First signal: STOP on COM2, so the guest ends the payload and tears down as usual (the
// scheduler's exit report and any dump still arrive). Again, or before the guest can take STOP:
// kill QEMU. With the terminal raw, Ctrl-C is a key for the guest and never comes here.
void VmSession::on_signal(int signo) {
  if (signo == SIGWINCH) {
    resize_pending_ = mode_ == VmMode::interactive;
    return;
  }
  if (killed_ || !qemu_.running()) return;
  if (!signal_) signal_ = signo;
  if (!stop_sent_ && session_->helo_seen() && send_to_guest(wire::kStop, "{}")) {
    stop_sent_ = true;
    (void)write_all(io_.err_fd, "ktstr-vm: interrupted (signal " + std::to_string(signo) +
                                    "): asking the guest to stop; again to kill\n");
    return;
  }
  (void)write_all(io_.err_fd, "ktstr-vm: interrupted (signal " + std::to_string(signo) + "), killing the VM\n");
  kill_qemu();
}

// The watchdog fired. A guest that reached init may still answer: ask it for sched_ext's dump
// and its blocked tasks first (the kill follows after HangDumps' bounded wait, see tick()).
void VmSession::on_watchdog(const std::string& reason, Clock::time_point now) {
  dumps_before_request_ = session_->dump_events();
  kernel_records_before_request_ = session_->kernel_records();
  hang_dumps_.fired(now, [&] { return session_->helo_seen() && send_to_guest(wire::kSyrq, kHangDumpRequest); });
  if (hang_dumps_.requested())
    (void)write_all(io_.err_fd, "ktstr-vm: " + reason + ": asking the guest for sched_ext's dump (SysRq-D) and its "
                                    "blocked tasks (SysRq-W), then killing the VM in " +
                                    seconds_text(std::chrono::duration<double>(hang_dumps_.wait()).count()) + "\n");
}

// What the dumps asked for before the kill brought: the DUMP events and kernel records that came
// after the request (SysRq-D's text is on COM1, SysRq-W's in the kernel records; both in
// --console-log). Null when none were asked for.
nlohmann::json VmSession::hang_dumps_report() const {
  if (!hang_dumps_.requested()) return nullptr;
  nlohmann::json events = nlohmann::json::array();
  const nlohmann::json& dumps = session_->dumps();
  for (size_t i = dumps_before_request_; i < dumps.size(); ++i) events.push_back(dumps[i]);
  return {{"requested", "SysRq-D (sched_ext dump), SysRq-W (blocked tasks)"},
          {"keys", "Dw"},
          {"wait_ms", hang_dumps_.wait().count()},
          {"sched_ext_dump_events", std::move(events)},
          {"kernel_records_after", session_->kernel_records() - kernel_records_before_request_}};
}

void VmSession::kill_qemu() {
  killed_ = true;
  qemu_.kill();
}

// What the host saw around the frames, for the verdict (the verifier baseline's failure aside:
// finish() gets it from apply_telemetry_options).
HostFacts VmSession::host_facts() const {
  HostFacts h;
  h.stats = decoder_.stats();
  h.console_tail = console_tail_;
  h.watchdog_fired = watchdog_.fired();
  h.watchdog_reason = watchdog_.reason();
  h.vm_killed = quit_;
  h.signal = signal_;
  h.output_error = first_output_error();
  h.data_error = output_.error(session_->done(), decoder_.stats());
  return h;
}

// The scheduler telemetry's -v table, the verifier baseline (written or checked). Returns why the
// baseline fails the run (the first failure), empty if it does not; every failure is said here.
std::string VmSession::apply_telemetry_options() {
  const auto& t = session_->telemetry();
  if (o_.verbose) (void)write_all(io_.err_fd, t.summary_table());
  std::string failure;
  auto fail = [&](const std::string& why) {
    (void)write_all(io_.err_fd, "ktstr-vm: " + why + "\n");
    if (failure.empty()) failure = why;
  };
  if (!o_.write_verifier_baseline.empty()) {
    try {
      write_verifier_baseline(o_.write_verifier_baseline, t.programs(), kernel_.release, o_.scheduler);
      (void)write_all(io_.err_fd, "ktstr-vm: verifier baseline written to " + o_.write_verifier_baseline + "\n");
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }
  if (!baseline_) return failure;
  BaselineCheck c = check_verifier_baseline(*baseline_, t.programs(), o_.verifier_slack_pct);
  for (const auto& n : c.notes) (void)write_all(io_.err_fd, "ktstr-vm: verifier baseline: " + n + "\n");
  if (!c.failure.empty()) fail(c.failure);
  return failure;
}

SessionResult VmSession::finish() {
  raw_.reset();  // the terminal is itself again before anything is reported
  decoder_.finish();
  flush_console_log();
  output_.finish(session_->done_seen());
  HostFacts facts = host_facts();
  if (mode_ == VmMode::run) facts.verifier_failure = apply_telemetry_options();
  Verdict v = session_->verdict(facts);
  std::string epilogue;
  if (!session_->helo_seen() && !qemu_stderr_.empty()) epilogue += "ktstr-vm: QEMU said:\n" + qemu_stderr_;
  bool console_shown = mode_ == VmMode::run && o_.verbose;
  if (!v.reason.empty() && !quit_ && !session_->done_seen() && !console_shown && !console_tail_.empty()) {
    // The end of the console: the panic or the last kernel words.
    size_t from = console_tail_.size() > 3000 ? console_tail_.size() - 3000 : 0;
    epilogue += "ktstr-vm: last console output:\n" + console_tail_.substr(from) + "\n";
  }
  double wall = std::chrono::duration<double>(Clock::now() - t_start_).count();
  std::string summary = (v.reason.empty() ? "exit " + std::to_string(v.exit_code)
                         : v.exit_code ? "FAILED (" + std::to_string(v.exit_code) + "): " + v.reason
                                       : v.reason) +
                        " | " + decoder_.stats().summary() + session_->summary_notes() + " | " + seconds_text(wall);
  epilogue += output_.summary_lines(facts.data_error);
  if (!output_.taken() && session_->payload_dumped_core())
    epilogue += "ktstr-vm: core dumped; use --output DIR to get it\n";
  // The shell reports only what went wrong: its output is the guest's console.
  if (mode_ == VmMode::run || !v.reason.empty()) epilogue += "ktstr-vm: " + summary + "\n";
  nlohmann::json r = report(v, summary, wall);
  if (output_.taken()) r["output"] = output_.report(facts.data_error);
  write_reports(r);
  // A report cannot say that it could not be written: judged again with that file's error, the
  // verdict names it (rule 8 of docs/exit-codes.md), and stderr says so.
  if (std::string why = first_output_error(); why != facts.output_error) {
    facts.output_error = why;
    v = session_->verdict(facts);
  }
  for (const OutputFile* f : {&json_, &junit_})
    if (!f->error().empty()) epilogue += "ktstr-vm: error: " + f->error() + "\n";
  (void)write_all(io_.err_fd, epilogue);
  return {std::move(v), std::move(r)};
}

std::string VmSession::first_output_error() const {
  for (const OutputFile* f : {&com2_log_, &console_log_, &sched_log_, &json_, &junit_})
    if (!f->error().empty()) return f->error();
  return "";
}

// The run's report, as --json writes it and the suite keeps it.
nlohmann::json VmSession::report(const Verdict& v, const std::string& summary, double wall) const {
  const auto& s = decoder_.stats();
  nlohmann::json r = session_->report();
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
  r["watchdog"] = watchdog_.fired() ? nlohmann::json(watchdog_.reason()) : nlohmann::json(nullptr);
  r["watchdog_dumps"] = hang_dumps_report();
  r["on_failure"] = session_->hook().report(o_.pack.on_failure);
  r["start"] = start_report();
  return r;
}

void VmSession::write_reports(const nlohmann::json& r) {
  std::string name;
  for (const auto& a : o_.pack.payload) name += (name.empty() ? "" : " ") + a;
  if (json_.is_open()) json_.write(json_report_text(r));
  if (junit_.is_open()) junit_.write(junit_report_text(name, r));
}

}  // namespace ktstr::host
