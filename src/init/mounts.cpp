#include "mounts.hpp"

#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "fd.hpp"
#include "module_loading.hpp"

namespace ktstr::init {
namespace {

struct MountSpec {
  const char* source;
  const char* target;
  const char* type;
  unsigned long flags;
  const char* data;
  bool required;
  void (*then)(MountReport&) = nullptr;  // a step that needs this mount, run right after it
  // The initramfs may hold files here (a library or tool packed at its host path under /tmp):
  // then the directory is kept as it is, since a mount would hide them.
  bool keep_if_packed = false;
};

// Needs /proc; must precede the bpf mount, the first to ask the kernel for a module.
void module_loading_off_if_futile(MountReport& r) {
  std::string note;
  if (!disable_futile_module_loading(note)) r.warnings.push_back(note);
  else if (!note.empty()) r.notes.push_back(note);
}

constexpr unsigned long kNoDev = MS_NOSUID | MS_NODEV | MS_NOEXEC;

// Order matters: /dev before /dev/shm and /dev/pts; sysfs before tracefs/debugfs/bpf/cgroup2.
constexpr MountSpec kMounts[] = {
    {"proc", "/proc", "proc", kNoDev, nullptr, true, module_loading_off_if_futile},
    {"sysfs", "/sys", "sysfs", kNoDev, nullptr, true},
    // DEVTMPFS_MOUNT is off in the Debian kernel: the kernel leaves /dev to us.
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", true},
    {"debugfs", "/sys/kernel/debug", "debugfs", kNoDev, nullptr, false},
    {"tracefs", "/sys/kernel/tracing", "tracefs", kNoDev, nullptr, false},
    {"bpf", "/sys/fs/bpf", "bpf", kNoDev, "mode=0700", false},
    {"cgroup2", "/sys/fs/cgroup", "cgroup2", kNoDev, nullptr, false},
    {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false, nullptr, true},
    {"tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", false, nullptr, true},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666", false},
};

bool has_entries(const char* dir) {
  DIR* d = ::opendir(dir);
  if (!d) return false;
  bool any = false;
  while (const dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      any = true;
      break;
    }
  ::closedir(d);
  return any;
}

// "mode=1777" -> 01777
mode_t mode_of(const char* data) {
  const char* m = data ? std::strstr(data, "mode=") : nullptr;
  return m ? mode_t(std::strtoul(m + 5, nullptr, 8)) : 0755;
}

bool mount_one(const MountSpec& m, std::string& error, MountReport& r) {
  if (m.keep_if_packed && has_entries(m.target)) {
    // The rootfs directory stays, writable as the tmpfs would be (/tmp sticky, 1777).
    if (::chmod(m.target, mode_of(m.data)) != 0) {
      error = errno_message(std::string("chmod ") + m.target, errno);
      return false;
    }
    r.notes.push_back(std::string(m.target) + " holds packed files: kept from the initramfs, no tmpfs on it");
    return true;
  }
  if (::mkdir(m.target, 0755) != 0 && errno != EEXIST) {
    error = errno_message(std::string("mkdir ") + m.target, errno);
    return false;
  }
  if (::mount(m.source, m.target, m.type, m.flags, m.data) != 0) {
    int err = errno;
    if (err == EBUSY) return true;  // already mounted (e.g. by the kernel)
    error = errno_message(std::string("mount ") + m.type + " on " + m.target, err);
    return false;
  }
  return true;
}

}  // namespace

MountReport mount_all() {
  MountReport r;
  for (const MountSpec& m : kMounts) {
    std::string error;
    uint64_t t0 = boottime_ns();
    bool ok = mount_one(m, error, r);
    r.timings += std::string(r.timings.empty() ? "" : ", ") + m.target + " " +
                 std::to_string((boottime_ns() - t0) / 1000) + " us";
    if (ok && m.then) m.then(r);
    if (ok) continue;
    if (m.required) {
      r.fatal = error;
      return r;
    }
    r.warnings.push_back(error);
  }
  struct Link {
    const char* target;
    const char* path;
  };
  for (Link l : {Link{"/proc/self/fd", "/dev/fd"}, Link{"/proc/self/fd/0", "/dev/stdin"},
                 Link{"/proc/self/fd/1", "/dev/stdout"}, Link{"/proc/self/fd/2", "/dev/stderr"},
                 Link{"pts/ptmx", "/dev/ptmx"}}) {
    if (::symlink(l.target, l.path) != 0 && errno != EEXIST)
      r.warnings.push_back(errno_message(std::string("symlink ") + l.path, errno));
  }
  return r;
}

}  // namespace ktstr::init
