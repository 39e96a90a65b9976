// sched_ext's own words when it disables a scheduler, from the kernel log. Shared by the guest
// (the SCHD event carries the kernel's exit reason) and the host (reports, splat classification).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ktstr/kmsg_record.hpp"

namespace ktstr {

// How the kernel said a sched_ext scheduler was disabled:
//   sched_ext: BPF scheduler "OPS" disabled (REASON)        (or "BPF sub-scheduler")
//   sched_ext: OPS: MESSAGE                                 (error exits with a message only)
struct SchedExitInfo {
  std::string ops;      // the scheduler's ops name
  std::string kind;     // "runtime error" (also scx_bpf_error), "watchdog stall" (runnable task
                        // stall), "unregistered from user space", or the kernel's reason as is
  std::string reason;   // the kernel's reason text as printed
  std::string message;  // MESSAGE of the following record, empty if none (yet)
  bool error = false;   // an error exit: anything but a clean unregistration (user space, BPF,
                        // kernel, sysrq-S, parent exiting, killed by parent)
  bool sub_scheduler = false;
  uint64_t seq = 0, ts_us = 0;  // of the "disabled" record
};

// Parses a kernel-facility "disabled" record; nullopt for any other record.
std::optional<SchedExitInfo> parse_sched_ext_exit(const KmsgRecord& r);
// If `next` is the "sched_ext: OPS: MESSAGE" record for info.ops (kernel facility), stores
// MESSAGE in info.message and returns true.
bool add_sched_ext_message(SchedExitInfo& info, const KmsgRecord& next);

// The reasons of clean exits (exit kinds below SCX_EXIT_ERROR, kernel's scx_exit_reason()).
bool is_clean_sched_ext_reason(const std::string& reason);

// {"ops","kind","reason","message","error"} for SCHD events and reports.
std::string sched_exit_json_text(const SchedExitInfo& e);

}  // namespace ktstr
