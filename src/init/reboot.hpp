// The last step of every path: flush both serial ports, sync, reboot (QEMU exits with -no-reboot).
#pragma once

namespace ktstr::init {

class Com2;

// Never returns. Outside PID 1 (a developer running init by hand) it exits with `code` instead.
[[noreturn]] void finish_and_reboot(Com2& com2, int com1_fd, int code);

}  // namespace ktstr::init
