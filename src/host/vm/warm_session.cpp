// The warm start of a VmSession (docs/warm.md): which start a run gets, the snapshot it restores
// or makes, and the hand-over of its test: the Config's words in a SPEC frame on COM2 and the run
// part of the initramfs over the data lane. From the guest's HELO on, a warm run is a cold one.
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "guest_config.hpp"
#include "host_query.hpp"
#include "ktstr/cmdline.hpp"
#include "qemu.hpp"
#include "qemu_monitor.hpp"
#include "snapshot_feed.hpp"
#include "text.hpp"
#include "unix_socket.hpp"
#include "vm_session.hpp"
#include "warm_key.hpp"
#include "warm_spec.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

constexpr const char* kSumFile = "snapshot.sum";  // beside `snapshot`: "BYTES CRC32C"
constexpr const char* kBootLogFile = "boot-kmsg.json";  // the boot's KMSG frames: [[seq,t_ns,value],...]

std::string self_exe() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec).string();
}

double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  if (!a.time_since_epoch().count() || !b.time_since_epoch().count()) return -1;
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// The base part's spec: only what the base rows need (no program to resolve, nothing to fail on).
PackSpec base_spec(const PackSpec& pack) {
  PackSpec b;
  b.init = pack.init;
  b.busybox = pack.busybox;
  b.kernel_config = pack.kernel_config;
  b.kernel_release = pack.kernel_release;
  b.loader_env = pack.loader_env;
  b.part = PackPart::base;
  b.compression = Compression::none;
  return b;
}

}  // namespace

const char* start_kind_name(StartKind k) {
  switch (k) {
    case StartKind::cold: return "cold";
    case StartKind::restore: return "restore";
    case StartKind::create: return "create";
    case StartKind::boot: return "boot";
  }
  return "?";
}

// A warm start needs COM2 and the lane; the test hooks that take either away, or that break the
// initramfs on purpose, get the cold boot they test.
bool VmSession::want_warm(std::string& why_not) const {
  if (o_.cold) why_not = "--cold";
  else if (o_.no_com2) why_not = "no COM2 (test hook)";
  else if (o_.no_lane) why_not = "no data lane (test hook)";
  else if (o_.pack.omit_ok_sentinel || o_.pack.omit_args) why_not = "a broken initramfs (test hook)";
  return why_not.empty();
}

// The run part goes over the lane; the base part and the snapshot come from the cache, or are
// made now. A cache that cannot be used costs the saving, never the run: the guest then boots
// warm without being saved.
void VmSession::prepare_warm(const PackSpec& pack) {
  warm_.pack = pack;
  PackSpec run = pack;
  run.part = PackPart::run;
  run.compression = Compression::none;
  std::string run_path = tmp_.path() + "/run.cpio";
  for (const auto& note : pack_initramfs(run, run_path))
    if (o_.verbose) (void)write_all(io_.err_fd, "ktstr-vm: " + note + "\n");
  warm_.archive = read_whole_file(run_path);
  warn_if_big(warm_.archive.size());
  WarmKeyInputs in{warm_key_argv(), find_on_host_path("qemu-system-x86_64"), kernel_.path, pack.init,
                   pack.busybox, pack.kernel_config, self_exe()};
  warm_.key_text = warm_key_text(in);
  try {
    SnapshotCache cache;
    if (std::optional<SnapshotUse> use = cache.open(warm_.key_text)) {
      SnapshotSum sum;
      std::ifstream f(use->dir() + "/" + kSumFile);
      std::string line;
      if (std::getline(f, line) && parse_sum(line, sum) && load_boot_log(use->dir())) {
        warm_.kind = StartKind::restore;
        warm_.base_cpio = use->base_cpio();
        warm_.incoming = snapshot_incoming(self_exe(), use->snapshot(), sum);
        warm_.use = std::move(use);
        return;
      }
      (void)use->discard();  // no sum or boot log: not one this ktstr-vm can use, so not one to restore
    }
    if (std::optional<SnapshotBuild> build = cache.begin(warm_.key_text, {{"kernel", kernel_.release},
                                                                          {"topology", topo_csv(vm_topology(o_.vm))},
                                                                          {"memory_mb", o_.vm.memory_mb},
                                                                          {"accel", accel_}})) {
      (void)pack_initramfs(base_spec(pack), build->base_cpio());
      warm_.kind = StartKind::create;
      warm_.base_cpio = build->base_cpio();
      warm_.build.emplace(std::move(*build));
      return;
    }
  } catch (const std::exception& e) {
    warm_.save_error = std::string("snapshot cache: ") + e.what();
    (void)write_all(io_.err_fd, "ktstr-vm: note: " + warm_.save_error + "; the guest boots warm without a snapshot\n");
  }
  warm_.kind = StartKind::boot;
  warm_.base_cpio = tmp_.path() + "/base.cpio";
  (void)pack_initramfs(base_spec(pack), warm_.base_cpio);
}

// The warm boot's cmdline: the user's words and KTSTR_WARM=1 alone. The run's Config arrives
// later, in SPEC: it is not part of the snapshot.
std::string VmSession::warm_cmdline() const {
  Config c;
  c.warm = true;
  return kernel_cmdline(o_.vm, cmdline_words(c));
}

// The argv the snapshot's key names: the run's own paths (sockets, the base initramfs) as
// placeholders, the console's backend as a socket whatever the mode.
std::vector<std::string> VmSession::warm_key_argv() const {
  QemuSockets key_socks{kKeyCom1, kKeyCom2, kKeyHvc, false, kKeyLane, kKeyMonitor};
  QemuWarm w;
  return qemu_argv(o_.vm, accel_, kernel_, kKeyInitrd, warm_cmdline(), key_socks, &w);
}

std::vector<std::string> VmSession::launch_argv(QemuSockets& socks) {
  if (warm_.kind == StartKind::cold)
    return qemu_argv(o_.vm, accel_, kernel_, initrd_path(),
                     kernel_cmdline(o_.vm, guest_cmdline_words(o_, mode_, host_terminal(mode_, io_.in_fd))), socks);
  socks.monitor = tmp_.path() + "/monitor.sock";
  warm_.monitor = std::make_unique<QemuMonitor>(listen_unix(socks.monitor));
  QemuWarm w{warm_.incoming};
  return qemu_argv(o_.vm, accel_, kernel_, warm_.base_cpio, warm_cmdline(), socks, &w);
}

void VmSession::warm_watches(std::vector<Watch>& out) {
  if (!warm_.monitor || qemu_.exited() || warm_.monitor->fd() < 0) return;
  QemuMonitor& m = *warm_.monitor;
  out.push_back({m.fd(), m.events(), [this](short revents) {
                   if (warm_.monitor) warm_.monitor->on_ready(revents);
                 }});
}

// Restore: QEMU loads the snapshot, then stays paused (the guest was stopped when it was saved,
// and QEMU restores that run state); `cont` starts it, and the test goes once it runs.
void VmSession::poll_restore() {
  if (!warm_.monitor || !warm_.monitor->greeted() || warm_.status_asked || warm_.test_sent) return;
  warm_.status_asked = true;
  warm_.monitor->send("info status", [this](const MonitorReply& answer) {
    warm_.status_asked = false;
    std::optional<VmStatus> status = parse_info_status(answer.text);
    if (!status || warm_.running) return;
    if (status->state == "paused" || status->state == "postmigrate" || status->state == "prelaunch") {
      warm_.status_asked = true;  // no more polls: cont's answer starts the test
      warm_.monitor->send("cont", [this](const MonitorReply&) { warm_.status_asked = false; });
      return;
    }
    if (!status->running) return;  // still loading (inmigrate): the next tick asks again
    warm_.running = true;
    warm_.t_running = Clock::now();
    send_test();
  });
}

// WAIT: the guest booted and waits for its test. Create: save it first.
void VmSession::on_guest_waiting() {
  warm_.t_wait = Clock::now();
  if (warm_.kind == StartKind::create) save_snapshot();
  else send_test();
}

// The guest is stopped, saved to the build's file at full speed (QEMU's default cap is 128 MiB/s),
// and continued: the same QEMU then runs the test, so the first run pays only the saving.
// `migrate -d` returns at once and `info migrate` is polled (tick): HMP's plain `migrate` gives
// its prompt back only on a 1 s timer (measured: 1.01 s for a state of 747 bytes).
void VmSession::save_snapshot() {
  std::string file = warm_.build->snapshot();
  if (file.find_first_of("\"\\\n") != std::string::npos) {
    warm_.save_error = "the cache path " + file + " cannot be passed to QEMU's monitor";
    warm_.build.reset();
    return send_test();
  }
  QemuMonitor& m = *warm_.monitor;
  m.send("stop");
  m.send("migrate_set_parameter max-bandwidth 4G");
  m.send("migrate -d \"exec:cat > " + sh_word(file) + "\"", [this](const MonitorReply& answer) {
    if (!answer.text.empty()) warm_.save_error = "QEMU did not save the guest: " + last_line(answer.text);
    warm_.saving = warm_.save_error.empty();
    if (!warm_.saving) finish_save();
  });
}

void VmSession::poll_save() {
  if (!warm_.saving || warm_.status_asked || !warm_.monitor) return;
  warm_.status_asked = true;
  warm_.monitor->send("info migrate", [this](const MonitorReply& answer) {
    warm_.status_asked = false;
    MigrationInfo info = parse_info_migrate(answer.text);
    if (info.state == MigrationState::setup || info.state == MigrationState::active) return;  // next tick
    warm_.saving = false;
    if (info.state != MigrationState::completed)
      warm_.save_error = "QEMU did not save the guest (migration " + std::string(migration_state_name(info.state)) +
                         (info.error.empty() ? ")" : "): " + info.error);
    finish_save();
  });
}

// Publishes what QEMU wrote (with its sum: `completed` says QEMU wrote the stream, not that the
// file took it all; a short one fails its restore, which removes it), then continues the guest.
void VmSession::finish_save() {
  warm_.t_saved = Clock::now();
  if (warm_.save_error.empty()) {
    try {
      SnapshotSum sum = sum_file(warm_.build->snapshot());
      if (sum.bytes == 0) throw std::runtime_error("QEMU wrote an empty snapshot");
      std::ofstream(warm_.build->dir() + "/" + kSumFile) << sum_text(sum) << "\n";
      save_boot_log(warm_.build->dir());
      (void)warm_.build->publish();
    } catch (const std::exception& e) {
      warm_.save_error = std::string("the snapshot was not kept: ") + e.what();
    }
  }
  warm_.build.reset();  // published, or its temp dir removed
  if (!warm_.save_error.empty()) (void)write_all(io_.err_fd, "ktstr-vm: note: " + warm_.save_error + "\n");
  warm_.monitor->send("cont", [this](const MonitorReply&) { send_test(); });
}

// SPEC (the Config's words, the real time, fresh entropy, the archive's size) on COM2, then the
// archive over the lane. The run's COM2 stream starts here: a new decoder takes the HELO.
void VmSession::send_test() {
  if (warm_.test_sent) return;
  uint8_t entropy[64];
  if (getrandom(entropy, sizeof entropy, 0) != ssize_t(sizeof entropy))
    throw std::runtime_error(std::string("getrandom: ") + strerror(errno));
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  uint32_t frames = 0;
  std::string lane = archive_lane_frames(warm_.archive, 0, frames);
  std::string spec = spec_value(guest_cmdline_words(o_, mode_, host_terminal(mode_, io_.in_fd)),
                                uint64_t(now.tv_sec) * 1000000000ull + uint64_t(now.tv_nsec),
                                std::string_view(reinterpret_cast<const char*>(entropy), sizeof entropy),
                                warm_.archive.size(), frames);
  reset_decoder();
  warm_.test_sent = true;
  warm_.t_sent = Clock::now();
  output_.set_first_ack_seq(frames);  // the tree's LACK follows the archive's frames on the lane
  warm_.archive_bytes = warm_.archive.size();
  std::string().swap(warm_.archive);
  if (!send_to_guest(wire::kSpec, spec)) return;  // no COM2: the watchdog tells
  to_guest_seq_ = 0;  // the run's host -> guest stream (STDI, RSIZ, STOP, SYRQ) starts after SPEC
  warm_.lane_out += lane;
  flush_lane_out();
  if (o_.verbose) (void)write_all(io_.err_fd, start_line());
}

void VmSession::flush_lane_out() {
  while (!warm_.lane_out.empty() && ch_[kLane].open()) {
    ssize_t n = ::write(ch_[kLane].conn.get(), warm_.lane_out.data(), warm_.lane_out.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      warm_.lane_out.clear();  // QEMU is gone: the guest will say what it missed
      return;
    }
    warm_.lane_out.erase(0, size_t(n));
  }
}

// The warm start failed before the test: one line says why, QEMU is killed if it still runs, and
// once it is reaped (relaunch_cold, from tick: no callback of the current poll round may see the
// new QEMU's fds) the run boots cold from the start. A snapshot that would not restore is
// removed. Nothing of the warm attempt is judged.
void VmSession::fall_back_cold(const std::string& why) {
  if (!warm_.fallback.empty()) return;
  warm_.fallback = why;
  (void)write_all(io_.err_fd, "ktstr-vm: note: warm start failed: " + why + "; booting cold\n");
  if (qemu_.running()) qemu_.kill();
}

void VmSession::relaunch_cold() {
  qemu_.reap();
  if (warm_.use) (void)warm_.use->discard();
  warm_.use.reset();
  warm_.build.reset();
  warm_.monitor.reset();
  warm_.lane_out.clear();
  for (Channel& c : ch_) c.conn.reset();
  qemu_stderr_.clear();
  console_tail_.clear();
  console_line_.clear();
  warm_.kind = StartKind::cold;
  warm_.why_cold = "warm start failed: " + warm_.fallback;
  warm_.fallback.clear();
  reset_decoder();
  session_.emplace(sinks());
  pack_cold(warm_.pack);
  launch(warm_.child_mask);
}

VmSession::BootRecord VmSession::boot_record(const wire::Frame& f) {
  return {f.seq, f.t_ns, std::string(reinterpret_cast<const char*>(f.value.data()), f.value.size())};
}

// The boot's records, as a cold boot's stream has them right after HELO: the verdict (kernel
// health, the console log, lost records by their seq) sees what it sees after a cold boot.
void VmSession::replay_boot_log() {
  if (warm_.boot_log_replayed) return;
  warm_.boot_log_replayed = true;
  for (const BootRecord& r : warm_.boot_log)
    session_->on_frame(wire::Frame{wire::kKmsg, r.seq, r.t_ns,
                                   std::span(reinterpret_cast<const uint8_t*>(r.value.data()), r.value.size())});
}

void VmSession::save_boot_log(const std::string& dir) const {
  nlohmann::json a = nlohmann::json::array();
  for (const BootRecord& r : warm_.boot_log) a.push_back({r.seq, r.t_ns, r.value});
  std::ofstream f(dir + "/" + kBootLogFile);
  f << a.dump();
  if (!f) throw std::runtime_error(dir + "/" + kBootLogFile + ": cannot be written");
}

// False when the file is missing or not what save_boot_log wrote: then the snapshot cannot be
// restored without changing what the verdict sees.
bool VmSession::load_boot_log(const std::string& dir) {
  std::ifstream f(dir + "/" + kBootLogFile);
  nlohmann::json a = nlohmann::json::parse(f, nullptr, false);
  if (!a.is_array()) return false;
  std::vector<BootRecord> log;
  for (const auto& e : a) {
    if (!e.is_array() || e.size() != 3 || !e[0].is_number_unsigned() || !e[1].is_number_unsigned() || !e[2].is_string())
      return false;
    log.push_back({e[0].get<uint32_t>(), e[1].get<uint64_t>(), e[2].get<std::string>()});
  }
  warm_.boot_log = std::move(log);
  return true;
}

nlohmann::json VmSession::start_report() const {
  nlohmann::json r = {{"kind", start_kind_name(warm_.kind)}};
  if (warm_.kind == StartKind::cold) {
    r["why"] = warm_.why_cold;
    return r;
  }
  r["snapshot"] = warm_.use ? warm_.use->key() : snapshot_key(warm_.key_text);
  if (warm_.kind == StartKind::restore) r["restore_ms"] = ms_between(warm_.t_launch, warm_.t_running);
  else r["boot_ms"] = ms_between(warm_.t_launch, warm_.t_wait);
  if (warm_.kind == StartKind::create) r["save_ms"] = ms_between(warm_.t_wait, warm_.t_saved);
  if (!warm_.save_error.empty()) r["save_error"] = warm_.save_error;
  r["archive_bytes"] = warm_.archive_bytes;
  r["to_test_ms"] = ms_between(warm_.t_launch, warm_.t_sent);
  return r;
}

// -v: the kind of start and what it cost so far.
std::string VmSession::start_line() const {
  char buf[256];
  double to_test = ms_between(warm_.t_launch, warm_.t_sent);
  switch (warm_.kind) {
    case StartKind::restore:
      std::snprintf(buf, sizeof buf, "restored snapshot %.12s in %.0f ms", warm_.use ? warm_.use->key().c_str() : "?",
                    ms_between(warm_.t_launch, warm_.t_running));
      break;
    case StartKind::create:
      std::snprintf(buf, sizeof buf, "booted in %.0f ms and saved as a snapshot in %.0f ms",
                    ms_between(warm_.t_launch, warm_.t_wait), ms_between(warm_.t_wait, warm_.t_saved));
      break;
    default:
      std::snprintf(buf, sizeof buf, "booted in %.0f ms (not saved)", ms_between(warm_.t_launch, warm_.t_wait));
  }
  return "ktstr-vm: warm start: " + std::string(buf) + "; test handed over at " +
         std::to_string(int(to_test)) + " ms (" + std::to_string(warm_.archive_bytes) + " bytes of files)\n";
}

}  // namespace ktstr::host
