// Init's own faults (docs/architecture.md). PID 1 must never die: a fault signal or std::terminate
// writes a CRSH frame on the pre-opened COM2 fd (write() only) and reboots.
//
// What a signal handler needs is global and lives here, because a handler can reach nothing
// else: the COM2 and COM1 fds, the frame sequence counter and the current phase name. The rest
// of init keeps its state in objects (a few readers reuse a static buffer, which holds none).
#pragma once

#include <cstdint>
#include <string>

namespace ktstr::init::crash {

// Installs SEGV/BUS/ABRT/ILL/FPE handlers on an alternate stack, and a terminate handler.
// False with `error` naming the failed call: a fault in init would then kill PID 1 (a kernel
// panic) instead of sending CRSH.
[[nodiscard]] bool install(std::string& error);
// The fd the handler writes CRSH to (-1: COM1 only).
void set_com2_fd(int fd);
// The COM1 fd for the human-readable copy; also where console_note (log.hpp) writes.
void set_com1_fd(int fd);
int com1_fd();  // -1 if COM1 could not be opened
// Phase name reported in CRSH; must point to a string with static storage.
void set_phase(const char* phase);
const char* phase();
// Frame sequence shared with the normal writer: the CRSH frame continues the same numbering.
uint32_t next_seq();
uint32_t peek_seq();
// A new stream from seq 0 (a warm start's SPEC: the host decodes the run's frames afresh).
void reset_seq();

}  // namespace ktstr::init::crash
