#include "boot.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>

#include "crash.hpp"
#include "fd.hpp"
#include "ktstr/initramfs.hpp"
#include "ktstr/json_str.hpp"
#include "log.hpp"

namespace ktstr::init {

Consoles open_consoles(Com2& com2) {
  Consoles c;
  c.com1 = ::open("/dev/ttyS0", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  crash::set_com1_fd(c.com1);
  if (!com2.open("/dev/ttyS1", c.com2_error)) {
    console_note("COM2 unavailable (" + c.com2_error + "): no frames will reach the host; continuing, "
                 "payload output goes to this console");
    com2.set_fallback_fd(c.com1);
  } else if (std::string err; !com2.hide_device(err)) {
    c.com2_error = err + ": a payload writing to the port could corrupt the frame stream";
  }
  return c;
}

CmdlineResult read_cmdline() {
  std::string text;
  if (!read_file("/proc/cmdline", text)) return {};
  return parse_cmdline(text);
}

GuestMode guest_mode(const Config& config) {
  if (config.mode == Mode::test) return GuestMode::test;
  return ::access(initramfs::kExecCmd, F_OK) == 0 ? GuestMode::exec : GuestMode::shell;
}

void send_helo(Com2& com2, GuestMode m, const std::string& start_members) {
  const char* mode = m == GuestMode::test ? "test" : m == GuestMode::exec ? "exec" : "shell";
  utsname u{};
  uname(&u);
  com2.send(wire::kHelo, "{\"proto\":" + std::to_string(wire::kProtocolVersion) +
                             ",\"init\":" + json_str(KTSTR_VERSION) + ",\"kernel\":" + json_str(u.release) +
                             ",\"mode\":" + json_str(mode) + start_members + "}");
}

void send_done(Com2& com2, const RunResult& r, uint64_t init_start_ms) {
  std::string bytes;
  for (const auto& [type, n] : com2.value_bytes())
    bytes += (bytes.empty() ? "" : ",") + json_str(type) + ":" + std::to_string(n);
  auto ms = [](const char* k, uint64_t v) { return std::string(",\"") + k + "\":" + std::to_string(v); };
  std::string timings = "\"init_start\":" + std::to_string(init_start_ms) + ms("attached", r.attached_ms) +
                        ms("payload_start", r.payload_start_ms) + ms("payload_exit", r.payload_exit_ms) +
                        ms("teardown", r.teardown_ms) + ms("drain_queued", r.drain_queued_ms) +
                        ms("done", boottime_ns() / 1000000);
  std::string v = "{\"exit_code\":" + std::to_string(r.exit_code) + ",\"frames\":" +
                  std::to_string(com2.frames_sent()) + ",\"bytes\":{" + bytes + "},\"timings_ms\":{" +
                  timings + "}";
  if (!r.reason.empty()) v += ",\"reason\":" + json_str(r.reason);
  if (!r.lane_json.empty()) v += ",\"lane\":" + r.lane_json;
  v += "}";
  com2.send(wire::kDone, v);
  console_note("done " + v);
}

void write_clock_reference() {
  UniqueFd fd(::open("/dev/kmsg", O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return;  // best effort: only benchmarks read it
  std::string line = "<6>ktstr-init: clock reference boottime_ns=" + std::to_string(boottime_ns()) + "\n";
  (void)!::write(fd.get(), line.data(), line.size());
}

void inject_debug_fault(const Config& config) {
  if (config.debug_fault == "segv") {
    volatile int* p = nullptr;
    *p = 1;
  } else if (config.debug_fault == "abort") {
    std::abort();
  }
}

}  // namespace ktstr::init
