// What the host does when its watchdog fires on a guest that may still answer: it asks the guest
// for the kernel's dumps (SYRQ: sched_ext's SysRq-D and the blocked tasks' SysRq-W), gives them a
// bounded moment to reach the console log and the report, then the VM is killed. A wedged guest
// that cannot answer costs that moment and no more.
//
// Where the dumps land: SysRq-D's text only on trace_pipe, which the test path forwards to COM1
// (--console-log). SysRq-W's header is printed at the console's level, its task lines at
// KERN_INFO, below the quiet console's loglevel=4: they reach --console-log as the KMSG records
// the host already writes there (GuestRecord::kernel_record). Raising the console loglevel in the
// guest instead would race printk, whose console output may come after the write to
// sysrq-trigger returned (a level restored too soon cuts lines, one left raised doubles every
// later record). Exec mode and the shell forward neither trace_pipe nor the kernel log: there
// only SysRq-W's header reaches the console.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

namespace ktstr::host {

// SYRQ's value: the keys init's host control accepts (src/init/host_control.hpp).
inline constexpr const char* kHangDumpRequest = "{\"keys\":\"Dw\"}";

class HangDumps {
 public:
  using Clock = std::chrono::steady_clock;
  // How long the dumps get. The guest writes both before its write to /proc/sysrq-trigger
  // returns; what takes time is the way out: sched_ext's dump (a few KB per CPU) through
  // trace_pipe onto COM1, the blocked tasks as KMSG frames on COM2 (~0.5 MB/s), both forwarded
  // by init's loop on a loaded TCG host. Seconds, not tens: a hung run already cost its deadline.
  static constexpr std::chrono::milliseconds kWait{5000};

  explicit HangDumps(std::chrono::milliseconds wait = kWait) : wait_(wait) {}

  // The watchdog fired at `now`: `ask` sends the request and says whether it could (false: no
  // guest to ask yet, COM2 not connected). Once: later calls do nothing.
  void fired(Clock::time_point now, const std::function<bool()>& ask);
  // The VM is to be killed: `wait` after a request that went out, at once after one that did not.
  bool kill_due(Clock::time_point now) const;
  bool requested() const { return requested_; }
  std::chrono::milliseconds wait() const { return wait_; }

 private:
  std::chrono::milliseconds wait_;
  std::optional<Clock::time_point> kill_at_;
  bool requested_ = false;
};

}  // namespace ktstr::host
