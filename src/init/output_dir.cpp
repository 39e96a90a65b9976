#include "output_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <spdlog/spdlog.h>

#include "fd.hpp"
#include "ktstr/initramfs.hpp"

namespace ktstr::init {
namespace {

constexpr mode_t kShared = 01777;  // anyone may write, only the owner removes (as /tmp)

// mkdir, then chmod: the umask must not narrow the mode, and a directory already there (packed,
// or a second call) gets it too.
bool make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    spdlog::warn("output directory: {}", errno_message("mkdir " + path, errno));
    return false;
  }
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    spdlog::warn("output directory: {} is not a directory", path);
    return false;
  }
  if (::chmod(path.c_str(), mode) != 0) {
    spdlog::warn("output directory: {}", errno_message("chmod " + path, errno));
    return false;
  }
  return true;
}

}  // namespace

void prepare_output_dir() {
  const std::string out = initramfs::kOutputDir;
  const std::string parent = out.substr(0, out.rfind('/'));
  if (!make_dir(parent, 0755) || !make_dir(out, kShared) || !make_dir(out + "/cores", kShared)) return;
  UniqueFd fd(::open("/proc/sys/kernel/core_pattern", O_WRONLY | O_CLOEXEC));
  std::string pattern = std::string(initramfs::kCorePattern) + "\n";
  if (!fd.valid() || !write_all(fd.get(), pattern.data(), pattern.size()))
    spdlog::warn("core dumps: {}", errno_message("write /proc/sys/kernel/core_pattern", errno));
}

}  // namespace ktstr::init
