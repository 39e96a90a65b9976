// Boot-time steps of main() that are not a concern of their own: the serial ports, the
// cmdline, the HELO and DONE frames, fatal set-up errors.
#pragma once

#include <string>

#include "com2.hpp"
#include "ktstr/cmdline.hpp"
#include "run_result.hpp"

namespace ktstr::init {

struct Consoles {
  int com1 = -1;     // /dev/ttyS0, the kernel console; -1 if it cannot be opened
  std::string com2_error;  // why COM2 is unusable or its node is still there; empty if all is well
};

// Opens COM1 for writing and COM2 raw. A missing COM2 is not fatal: COM1 is told.
Consoles open_consoles(Com2& com2);
// Reads and parses /proc/cmdline; warnings go to the log once it exists.
CmdlineResult read_cmdline();
// What this boot runs, decided once: the test path, or the shell path as an interactive shell
// or, when /exec_cmd is packed, one command (exec mode).
enum class GuestMode { test, shell, exec };
GuestMode guest_mode(const Config& config);
// The first frame of the run's stream: protocol, init version, kernel release, mode ("test",
// "shell" or "exec"), then `start_members` (how the boot started, warm_start.hpp).
void send_helo(Com2& com2, GuestMode mode, const std::string& start_members);
// The last frame: exit code, frame count, bytes per type, milestones.
void send_done(Com2& com2, const RunResult& result, uint64_t init_start_ms);
// Writes "ktstr-init: clock reference boottime_ns=N" to /dev/kmsg: the record's printk timestamp
// against N relates the kernel log's clock to the frames' CLOCK_BOOTTIME (for latency figures).
void write_clock_reference();
// KTSTR_DEBUG_FAULT: a deliberate fault in init, so tests can prove the crash path.
void inject_debug_fault(const Config& config);

}  // namespace ktstr::init
