#include "module_loading.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "fd.hpp"

namespace ktstr::init {

namespace {
constexpr const char* kModprobe = "/proc/sys/kernel/modprobe";
}

bool disable_futile_module_loading(std::string& note) {
  note.clear();
  utsname u{};
  if (::uname(&u) != 0) {
    note = errno_message("uname", errno);
    return false;
  }
  const std::string dir = std::string("/lib/modules/") + u.release;
  struct stat st{};
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return true;  // modules packed: keep it
  std::string was;
  if (!read_file(kModprobe, was)) {
    // No such file: CONFIG_MODULES=n, nothing to turn off.
    if (errno == ENOENT) return true;
    note = errno_message(std::string("read ") + kModprobe, errno);
    return false;
  }
  while (!was.empty() && was.back() == '\n') was.pop_back();
  if (was.empty()) return true;  // already off
  UniqueFd fd(::open(kModprobe, O_WRONLY | O_CLOEXEC));
  if (!fd.valid() || !write_all(fd.get(), "\n", 1)) {
    note = errno_message(std::string("write ") + kModprobe, errno);
    return false;
  }
  note = "no " + dir + ": kernel module auto-loading off (was " + was + ")";
  return true;
}

}  // namespace ktstr::init
