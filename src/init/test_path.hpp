// The test path (docs/architecture.md): scheduler, payload, live output, teardown. Everything runs
// on one event loop. Returns the exit code DONE reports.
#pragma once

#include "com2.hpp"
#include "ktstr/cmdline.hpp"
#include "ktstr/exit_codes.hpp"

namespace ktstr::init {

struct RunResult {
  int exit_code = exit_code::kInfrastructure;
  std::string reason;  // set for infrastructure failures (exit 124/125)
  // CLOCK_BOOTTIME ms of the milestones, for DONE's timings_ms (0 = not reached).
  uint64_t attached_ms = 0, payload_start_ms = 0, payload_exit_ms = 0, teardown_ms = 0;
  uint64_t drain_queued_ms = 0;  // time spent at the end sending what was still queued (kernel
                               // records read at teardown, frames waiting for the UART)
};

RunResult run_test_path(const Config& config, Com2& com2, int com1_fd);

// Sends PHAS {"phase":name} and records the phase for crash reports (name: static storage).
void enter_phase(Com2& com2, const char* name);

}  // namespace ktstr::init
