#include "reboot.hpp"

#include <sys/reboot.h>
#include <termios.h>
#include <unistd.h>

#include "com2.hpp"
#include "crash.hpp"

namespace ktstr::init {

void finish_and_reboot(Com2& com2, int com1_fd, int code) {
  crash::set_phase("reboot");
  com2.drain();
  if (com1_fd >= 0) tcdrain(com1_fd);
  sync();
  if (getpid() != 1) _exit(code);
  reboot(RB_AUTOBOOT);
  for (;;) pause();  // reboot() does not return for PID 1
}

}  // namespace ktstr::init
