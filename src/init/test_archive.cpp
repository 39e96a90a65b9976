#include "test_archive.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <algorithm>

#include "ktstr/lane.hpp"

namespace ktstr::init {
namespace {

// mkdir -p of `path`'s parents (0755; existing ones are left as they are).
bool make_parents(const std::string& path, std::string& error) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      error = errno_message("mkdir " + dir, errno);
      return false;
    }
  }
  return true;
}

// Makes room for a new non-directory at `path`: whatever is there goes, unless it is a directory.
bool clear_path(const std::string& path, std::string& error) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return true;
    error = errno_message("lstat " + path, errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error = path + ": a directory is in the way";
    return false;
  }
  if (::unlink(path.c_str()) != 0) {
    error = errno_message("unlink " + path, errno);
    return false;
  }
  return true;
}

}  // namespace

ArchiveExtractor::ArchiveExtractor(std::string root, uint64_t max_file)
    : root_(std::move(root)),
      reader_([this](const cpio::Entry& e, std::string& err) { return on_entry(e, err); },
              [this](std::string_view p, std::string& err) { return on_data(p, err); },
              [this](std::string& err) { return on_end(err); },
              [max_file] {
                cpio::Limits l;
                l.file = max_file;
                return l;
              }()) {}

bool ArchiveExtractor::on_entry(const cpio::Entry& e, std::string& error) {
  if (e.path == ".") return true;  // the root is there already
  const std::string path = root_ + "/" + e.path;
  if (!make_parents(path, error)) return false;
  const mode_t perm = mode_t(e.perm());
  switch (e.type()) {
    case cpio::kDirectory: {
      if (::mkdir(path.c_str(), perm) != 0) {
        struct stat st{};
        if (errno != EEXIST || ::lstat(path.c_str(), &st) != 0) {
          error = errno_message("mkdir " + path, errno);
          return false;
        }
        if (!S_ISDIR(st.st_mode) && (!clear_path(path, error) || ::mkdir(path.c_str(), perm) != 0)) {
          if (error.empty()) error = errno_message("mkdir " + path, errno);
          return false;
        }
      }
      if (::chmod(path.c_str(), perm) != 0) {  // the umask, or a directory that was there
        error = errno_message("chmod " + path, errno);
        return false;
      }
      return true;
    }
    case cpio::kRegular: {
      if (!clear_path(path, error)) return false;
      file_ = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm));
      if (!file_.valid() || ::fchmod(file_.get(), perm) != 0) {
        error = errno_message((file_.valid() ? "fchmod " : "open ") + path, errno);
        return false;
      }
      file_path_ = path;
      return true;
    }
    case cpio::kSymlink:
      if (!clear_path(path, error)) return false;
      if (::symlink(e.link_target.c_str(), path.c_str()) != 0) {
        error = errno_message("symlink " + path, errno);
        return false;
      }
      return true;
    case cpio::kCharDev:
    case cpio::kBlockDev:
      if (!clear_path(path, error)) return false;
      if (::mknod(path.c_str(), mode_t(e.type()) | perm, makedev(e.rdev_major, e.rdev_minor)) != 0) {
        error = errno_message("mknod " + path, errno);
        return false;
      }
      return true;
    default:
      error = "a " + std::string(e.type() == cpio::kFifo ? "fifo" : "socket") + ": not taken";
      return false;
  }
}

bool ArchiveExtractor::on_data(std::string_view piece, std::string& error) {
  if (!write_all(file_.get(), piece.data(), piece.size())) {
    error = errno_message("write " + file_path_, errno);
    return false;
  }
  return true;
}

bool ArchiveExtractor::on_end(std::string& error) {
  if (!file_.valid()) return true;
  int fd = file_.release();
  if (::close(fd) != 0) {
    error = errno_message("close " + file_path_, errno);
    return false;
  }
  return true;
}

ArchiveReceipt receive_archive(int fd, const std::string& name, uint32_t frames, uint64_t bytes,
                               uint64_t deadline_ns, ArchiveExtractor& x) {
  ArchiveReceipt r;
  lane::LaneDecoder decoder([&](const wire::Frame& f) {
    if (!r.error.empty()) return;
    if (f.type != wire::kArch || r.frames >= frames) {
      r.error = "lane frame " + std::to_string(f.seq) + " (" + std::string(f.type.view()) + "): not one of the " +
                std::to_string(frames) + " ARCH frames announced";
      return;
    }
    ++r.frames;
    r.bytes += f.value.size();
    if (r.bytes > bytes) {
      r.error = "the archive is longer than the " + std::to_string(bytes) + " bytes announced";
      return;
    }
    if (!x.feed(std::string_view(reinterpret_cast<const char*>(f.value.data()), f.value.size())))
      r.error = "archive: " + x.error();
  });
  static char buf[64 * 1024];  // init is single-threaded
  while (r.error.empty() && r.frames < frames && !decoder.damaged()) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      decoder.feed(std::string_view(buf, size_t(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      r.error = errno_message("read " + name, errno);
      return r;
    }
    uint64_t now = boottime_ns();
    if (now >= deadline_ns) {
      r.error = "deadline passed with " + std::to_string(r.frames) + " of " + std::to_string(frames) +
                " archive frames (" + std::to_string(r.bytes) + " of " + std::to_string(bytes) + " bytes)";
      return r;
    }
    pollfd pfd{fd, POLLIN, 0};
    int wait_ms = int(std::min<uint64_t>((deadline_ns - now + 999999) / 1000000, 1000));
    if (::poll(&pfd, 1, wait_ms) > 0 && !(pfd.revents & POLLIN)) {
      // POLLHUP until the host's side of the port is open (after a restore, QEMU reconnects the
      // chardev): do not spin, but do not oversleep either, the archive is on the way.
      timespec pause{0, 1000 * 1000};
      ::nanosleep(&pause, nullptr);
    }
  }
  if (!r.error.empty()) return r;
  if (decoder.damaged()) {
    r.error = "the lane is damaged: " + decoder.damage();
  } else if (r.bytes != bytes) {
    r.error = "the archive has " + std::to_string(r.bytes) + " bytes, " + std::to_string(bytes) + " announced";
  } else if (!x.finish()) {
    r.error = "archive: " + x.error();
  }
  return r;
}

}  // namespace ktstr::init
