// One VM session: the single driver behind `run`, `shell --exec`, the interactive shell and each
// test of `suite`. It holds the temp dir, the channels (COM1 console, COM2 frames, hvc0 for the
// shell), the QEMU process, the frame decoder, the frame session (GuestRecord: what the frames
// mean) and the watchdog. It owns no process-wide state: session_loop.hpp's poll_round polls any
// number of sessions in one thread and hands each the process's signals (ProcessSignals), so N
// VMs can run side by side.
#pragma once

#include <poll.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "escape_keys.hpp"
#include "ktstr/frame_decoder.hpp"
#include "paths.hpp"
#include "qemu_process.hpp"
#include "guest_record.hpp"
#include "output_collector.hpp"
#include "hang_dumps.hpp"
#include "session_options.hpp"
#include "snapshot_cache.hpp"
#include "stdin_forward.hpp"
#include "temp_dir.hpp"
#include "terminal.hpp"
#include "verifier_baseline.hpp"
#include "output_file.hpp"
#include "watchdog.hpp"

namespace ktstr::host {

class QemuMonitor;

// How a session's guest started (docs/warm.md).
enum class StartKind {
  cold,     // a whole boot of the whole initramfs (--cold, a test hook, or a warm start that failed)
  restore,  // a saved snapshot restored, the test handed over after it
  create,   // a warm boot saved as the snapshot, then handed its test in the same QEMU
  boot,     // a warm boot handed its test without saving (another process is making the snapshot)
};
const char* start_kind_name(StartKind k);

// Where a session's own output goes; defaults are the process's stdio.
struct SessionIo {
  int in_fd = 0;   // keys (interactive), or the payload's stdin (RunOptions::forward_stdin)
  int out_fd = 1;  // the payload's stdout, or the guest console in shell mode
  int err_fd = 2;  // the payload's stderr and ktstr-vm's own messages
};

// One fd a session wants watched in the next poll round, and what to do when it is ready.
struct Watch {
  int fd;
  short events;
  std::function<void(short revents)> on_ready;
};

// The watchdog of a session in `mode` with these options on this accelerator ("tcg", "kvm"):
// the boot deadline (--boot-timeout, else by the vCPU count), the hard deadline and the silence.
Watchdog session_watchdog(const RunOptions& opts, VmMode mode, const std::string& accel);

class VmSession {
 public:
  using Clock = std::chrono::steady_clock;

  // Keeps its own copy of the options. Opens the output files (a path that cannot be written is
  // refused here, before any boot) and loads the kernel-health rules; throws for either.
  VmSession(RunOptions opts, VmMode mode, SessionIo io = {});
  ~VmSession();
  VmSession(const VmSession&) = delete;
  VmSession& operator=(const VmSession&) = delete;

  // Resolves kernel, init and scheduler and packs the initramfs into the temp dir. Throws
  // std::runtime_error for set-up errors.
  void prepare();
  // Listens on the sockets and starts QEMU with `child_mask` as its signal mask.
  void launch(const sigset_t& child_mask);

  // The fds to watch in the next poll round (appended to `out`).
  void watches(std::vector<Watch>& out);
  // How long the next poll may wait at most.
  int poll_timeout_ms() const;
  // After every poll round: watchdog, pending resize, the bounded drain after QEMU's exit.
  void tick();
  // A signal of the process (see ProcessSignals): SIGWINCH resizes the guest's terminal; the
  // first SIGINT/SIGTERM/SIGHUP asks the guest to stop (STOP frame), the next kills QEMU.
  void on_signal(int signo);
  // QEMU has exited and the channels are drained.
  bool finished() const;
  // Judges the session (GuestRecord::verdict), prints the epilogue (reason, QEMU's words, the
  // console's end, summary) and writes the reports. Returns the verdict, whose exit_code is the
  // exit status, and the report as --json holds it: a report file that could not be written
  // fails the verdict, which then names it, and loses nothing else.
  SessionResult finish();

 private:
  // One socket QEMU connects to: accepted once, then read until EOF.
  struct Channel {
    UniqueFd listener, conn;
    bool open() const { return conn.valid(); }
  };
  enum { kCom1 = 0, kCom2 = 1, kHvc = 2, kLane = 3, kChannels = 4 };

  GuestRecord::Sinks sinks() const;
  void on_channel(int which);
  void on_console(std::string_view data);
  void write_console_log(std::string_view data);
  void flush_console_log();
  void on_com2(std::string_view data);
  void on_hvc(std::string_view data);
  void on_lane();
  void on_stdin();
  void flush_to_guest();
  void on_stdin_ack(const wire::Frame& f);
  void forward_stdin();
  void flush_com2();
  void on_qemu_stderr();
  void on_qemu_exit();
  bool send_to_guest(const wire::Tag& type, const std::string& json);
  void send_resize();
  void kill_qemu();
  void on_watchdog(const std::string& reason, Clock::time_point now);
  nlohmann::json hang_dumps_report() const;
  HostFacts host_facts() const;
  std::string initrd_path() const { return tmp_.path() + "/initramfs.cpio"; }
  std::string apply_telemetry_options();
  nlohmann::json report(const Verdict& v, const std::string& summary, double wall_s) const;
  void on_decoded(const wire::Frame& f);
  void reset_decoder();

  // The warm start (warm_session.cpp, docs/warm.md).
  bool want_warm(std::string& why_not) const;
  void pack_cold(PackSpec pack);
  void warn_if_big(uint64_t archive_bytes) const;
  void prepare_warm(const PackSpec& pack);
  std::string warm_cmdline() const;
  std::vector<std::string> warm_key_argv() const;
  std::vector<std::string> launch_argv(QemuSockets& socks);
  void warm_watches(std::vector<Watch>& out);
  void on_guest_waiting();
  void save_snapshot();
  void poll_save();
  void finish_save();
  void poll_restore();
  void send_test();
  void flush_lane_out();
  void fall_back_cold(const std::string& why);
  void relaunch_cold();
  nlohmann::json start_report() const;
  std::string start_line() const;

  // One KMSG frame of a warm guest's boot, kept with its snapshot and replayed after each HELO.
  struct BootRecord {
    uint32_t seq;
    uint64_t t_ns;
    std::string value;
  };
  static BootRecord boot_record(const wire::Frame& f);
  void replay_boot_log();
  void save_boot_log(const std::string& dir) const;
  bool load_boot_log(const std::string& dir);

  struct Warm {
    StartKind kind = StartKind::cold;
    std::string why_cold;                 // why a run that could have been warm was not
    std::string key_text, base_cpio, incoming;
    std::optional<SnapshotUse> use;       // restore: the snapshot, held (shared lock)
    std::optional<SnapshotBuild> build;   // create: the snapshot being made (exclusive lock)
    PackSpec pack;                        // as resolved: a fallback packs it whole
    std::string archive;                  // the run part (PackPart::run), sent over the lane
    uint64_t archive_bytes = 0;
    std::unique_ptr<QemuMonitor> monitor;
    std::string lane_out;                 // lane bytes to the guest not yet taken by the socket
    bool waiting = false;                 // the guest said WAIT (create, boot)
    std::string unexpected;               // a frame other than WAIT came before the test
    std::vector<BootRecord> boot_log;     // the boot's kernel log, sent before WAIT (docs/warm.md)
    bool boot_log_replayed = false;
    std::string fallback;                 // why the warm start failed: a cold boot follows QEMU's end
    bool test_sent = false;
    bool running = false;                 // restore: QEMU said the guest runs
    bool status_asked = false;            // an `info status` or `info migrate` is in flight
    bool saving = false;                  // create: QEMU is writing the snapshot
    std::string save_error;               // create: why the snapshot was not kept
    Clock::time_point t_launch, t_running, t_wait, t_saved, t_sent;
    sigset_t child_mask{};
  };
  Warm warm_;
  void write_reports(const nlohmann::json& report);
  std::string first_output_error() const;

  const RunOptions o_;
  const VmMode mode_;
  const SessionIo io_;
  const Clock::time_point t_start_ = Clock::now();
  TempDir tmp_;  // first member: removed after QEMU is dead and every fd closed
  KernelImage kernel_;
  std::optional<VerifierBaseline> baseline_;  // --verifier-baseline, loaded before boot
  std::string accel_, accel_why_;
  OutputFile com2_log_, console_log_, sched_log_, json_, junit_;
  SplatClassifier rules_;
  std::optional<GuestRecord> session_;  // made once the files and rules it writes to and reads are
  wire::FrameDecoder decoder_;
  Watchdog watchdog_;
  HangDumps hang_dumps_;  // the dumps asked for when the watchdog fires, before the kill
  size_t dumps_before_request_ = 0;              // DUMP events, and
  uint64_t kernel_records_before_request_ = 0;   // KMSG records, when they were asked for
  Channel ch_[kChannels];
  OutputCollector output_;  // --output: the data lane and the output tree
  std::unique_ptr<char[]> lane_buf_;  // one read of the lane
  QemuProcess qemu_;
  std::optional<RawTerminal> raw_;
  EscapeFilter escapes_;
  std::optional<Clock::time_point> qemu_exit_;
  std::string console_tail_, qemu_stderr_;
  std::string console_line_;  // COM1's unfinished last line, not yet in --console-log
  // Keys not yet taken by the guest console. The hvc socket is non-blocking: a big paste must not
  // stall the loop while the guest's output waits for us to read it.
  std::string to_guest_;
  uint32_t to_guest_seq_ = 0;  // RSIZ, STOP, STDI: seq counts the host->guest direction alone
  // Frames not yet taken by the COM2 socket (non-blocking): a slow guest never stalls the loop.
  std::string com2_out_;
  StdinForwarder stdin_fwd_;  // with RunOptions::forward_stdin: io_.in_fd to the payload
  int signal_ = 0;             // the first SIGINT/SIGTERM/SIGHUP
  bool stop_sent_ = false, killed_ = false, quit_ = false;
  bool stdin_open_ = true, out_ok_ = true, resize_pending_ = false;
  char last_key_ = '\n';       // the last byte typed towards the guest
  bool console_ready_ = false;  // the guest console has spoken: init has made it raw
};

}  // namespace ktstr::host
