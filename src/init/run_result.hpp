// What a run reports in DONE, and the frames that mark its way there: PHAS for each phase, FATL
// for an unrecoverable set-up error. Used by main() and by both paths.
#pragma once

#include <cstdint>
#include <string>

#include "com2.hpp"
#include "ktstr/exit_codes.hpp"

namespace ktstr::init {

struct RunResult {
  int exit_code = exit_code::kInfrastructure;
  std::string reason;  // set for infrastructure failures (exit 124/125) and host stops (130)
  // CLOCK_BOOTTIME ms of the milestones, for DONE's timings_ms (0 = not reached).
  uint64_t attached_ms = 0, payload_start_ms = 0, payload_exit_ms = 0, teardown_ms = 0;
  uint64_t drain_queued_ms = 0;  // time spent at the end sending what was still queued (kernel
                                 // records read at teardown, frames waiting for the UART)
  std::string lane_json;         // DONE's "lane" object when init wrote on the data lane, else empty
};

// Sends PHAS {"phase":name} and records the phase for crash reports (name: static storage).
void enter_phase(Com2& com2, const char* name);
// FATL {"error","phase"} and a line on COM1: an unrecoverable set-up error.
void send_fatal(Com2& com2, const std::string& error);
// An unrecoverable error of the run: logged, FATL, and the reason DONE reports (exit stays 125).
void fail_run(RunResult& result, Com2& com2, const std::string& error);

}  // namespace ktstr::init
