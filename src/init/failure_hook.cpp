#include "failure_hook.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include <spdlog/spdlog.h>

#include "ktstr/initramfs.hpp"
#include "ktstr/json_str.hpp"
#include "spawn.hpp"
#include "stop_process.hpp"

namespace ktstr::init {
namespace {

// After the hook's exit: its output to EOF. Background children that still hold the pipe get
// this long to finish, then its group is killed; the whole drain is bounded.
constexpr uint64_t kHookIdleMs = 200;
constexpr uint64_t kHookDrainMs = 2000;
constexpr uint32_t kHookGraceMs = 2000;  // TERM -> KILL, as for the payload

// The hook's pipe: each read goes to COM2 as HOOK bytes and into the log copy.
class HookOutput {
 public:
  HookOutput(EventLoop& loop, Com2& com2, UniqueFd read_end, int log_fd)
      : loop_(loop), com2_(com2), fd_(std::move(read_end)), log_fd_(log_fd) {
    if (fd_.valid()) loop_.add(fd_.get(), EPOLLIN, [this](uint32_t) { read_once(); }, EventLoop::Priority::bulk);
  }
  ~HookOutput() { close(); }
  HookOutput(const HookOutput&) = delete;
  HookOutput& operator=(const HookOutput&) = delete;

  bool drained() const { return !fd_.valid(); }
  void read_available() {
    while (read_once()) {
    }
  }
  void close() {
    if (!fd_.valid()) return;
    loop_.remove(fd_.get());
    fd_.reset();
  }

 private:
  bool read_once() {
    if (!fd_.valid()) return false;
    char buf[wire::kStreamChunk];
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n > 0) {
      com2_.send_stream(wire::kHook, std::string_view(buf, size_t(n)));
      if (log_fd_ >= 0 && !write_all(log_fd_, buf, size_t(n))) {
        spdlog::warn("{}", errno_message(std::string("write ") + kHookLogName, errno));
        log_fd_ = -1;  // said once; COM2 still carries the output
      }
      return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    close();  // EOF, or a read error: nothing more can come
    return false;
  }

  EventLoop& loop_;
  Com2& com2_;
  UniqueFd fd_;
  int log_fd_;
};

// What the reaper reports, kept outside the hook's frame: a hook that is never reaped must not
// leave the reaper a callback into a stack that is gone.
struct HookExit {
  bool exited = false;
  ExitStatus status;
};

}  // namespace

bool payload_failed(bool timed_out, bool stopped, int payload_status, uint32_t expect_exit) {
  if (stopped) return false;
  return timed_out || payload_status != int(expect_exit);
}

UniqueFd open_hook_log(const std::string& output_dir) {
  struct stat st {};
  if (output_dir.empty() || ::stat(output_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return UniqueFd();
  std::string path = output_dir + "/" + kHookLogName;
  // O_NOFOLLOW: a payload that left a symlink there does not get the hook's output written
  // through it.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) spdlog::warn("{}", errno_message("open " + path, errno));
  return fd;
}

void run_hook(EventLoop& loop, Reaper& reaper, Com2& com2, const HookSetup& setup) {
  uint64_t start = boottime_ns();
  auto elapsed_ms = [&] { return std::to_string(ns_to_ms(boottime_ns() - start)); };
  UniqueFd out_r, out_w;
  if (!make_pipe(out_r, out_w)) {
    std::string why = errno_message("pipe for the on-failure hook", errno);
    spdlog::error("{}", why);
    com2.send(wire::kHend, "{\"error\":" + json_str(why) + ",\"ms\":0}");
    return;
  }
  SpawnSpec spec{{"/bin/sh", "-c", setup.cmd}, true, out_w.get(), out_w.get(), setup.mask};
  SpawnResult r = spawn(spec);
  out_w.reset();
  HookOutput output(loop, com2, std::move(out_r), setup.log_fd);
  if (r.pid < 0) {
    spdlog::error("on-failure hook: {}", r.error);
    output.close();
    com2.send(wire::kHend, "{\"error\":" + json_str(r.error) + ",\"ms\":" + elapsed_ms() + "}");
    return;
  }
  auto exit = std::make_shared<HookExit>();
  reaper.watch(r.pid, "on-failure hook", [exit](pid_t, const ExitStatus& s) {
    exit->exited = true;
    exit->status = s;
  });
  auto gone = [exit] { return exit->exited; };
  auto stop = [&] { return setup.stop && setup.stop(); };
  bool timed_out = !loop.run_until([&] { return exit->exited || stop(); }, after_ms(uint64_t(setup.timeout_s) * 1000));
  if (!exit->exited) {
    if (stop()) timed_out = false;
    else spdlog::warn("on-failure hook still running after {} s: stopping it", setup.timeout_s);
    stop_process(loop, -r.pid, SIGTERM, setup.grace_ms, gone, "on-failure hook");
  }
  // Its output to EOF; what a leftover child keeps open is ended with the group.
  uint64_t deadline = after_ms(kHookDrainMs);
  loop.run_until([&] { return output.drained(); }, std::min(deadline, after_ms(kHookIdleMs)));
  if (!output.drained()) {
    ::kill(-r.pid, SIGKILL);
    loop.run_until([&] { return output.drained(); }, deadline);
  }
  output.read_available();
  output.close();
  std::string end = exit->exited ? exit->status.json_fields() : "\"not_reaped\":true";
  com2.send(wire::kHend, "{" + end + ",\"timed_out\":" + (timed_out ? "true" : "false") + ",\"ms\":" + elapsed_ms() + "}");
  spdlog::info("on-failure hook ended ({}{})", end, timed_out ? ", timed out" : "");
}

void run_failure_hook(EventLoop& loop, Reaper& reaper, Com2& com2, uint32_t timeout_s, const std::function<bool()>& stop) {
  std::string cmd;
  if (!read_file(initramfs::kOnFailure, cmd)) return;  // no hook asked for
  if (!cmd.empty() && cmd.back() == '\n') cmd.pop_back();  // the packer's newline
  if (cmd.empty()) return;
  const char* dir = std::getenv("KTSTR_OUTPUT");
  UniqueFd log = open_hook_log(dir ? dir : "");
  spdlog::info("the payload failed: running the on-failure hook ({} s at most)", timeout_s);
  run_hook(loop, reaper, com2, {cmd, timeout_s, kHookGraceMs, log.get(), &reaper.child_mask(), stop});
}

}  // namespace ktstr::init
