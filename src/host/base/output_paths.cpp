#include "output_paths.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

// What a path will write to: "inode DEV:INO" for an existing regular file, "path P" for one not
// there yet; nullopt for an existing non-regular file (writing there overwrites nothing).
std::optional<std::string> file_identity(const std::string& given) {
  std::error_code ec;
  fs::path p = fs::absolute(given, ec);
  for (int hops = 0; hops < 40; ++hops) {  // 40: the kernel's own limit on symlinks in a lookup
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISREG(st.st_mode)) return std::nullopt;
      return "inode " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    }
    // Not there: a dangling symlink is opened as its target, which open(O_CREAT) creates.
    if (!fs::is_symlink(fs::symlink_status(p, ec))) break;
    fs::path target = fs::read_symlink(p, ec);
    if (ec) break;
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  fs::path folder = fs::weakly_canonical(p.parent_path(), ec);
  return "path " + ((ec ? p.parent_path() : folder) / p.filename()).lexically_normal().string();
}

}  // namespace

std::string same_file_error(const std::vector<OutputPath>& outputs) {
  std::vector<std::pair<std::string, const OutputPath*>> seen;  // identity -> the first option
  for (const OutputPath& o : outputs) {
    if (o.path.empty()) continue;
    std::optional<std::string> id = file_identity(o.path);
    if (!id) continue;
    for (const auto& [other_id, other] : seen)
      if (other_id == *id)
        return other->flag + " and " + o.flag + " name one file: " +
               (other->path == o.path ? o.path : other->path + " and " + o.path) +
               "; give each its own file (one would overwrite the other)";
    seen.emplace_back(*id, &o);
  }
  return "";
}

std::string unwritable_reason(const std::string& path) {
  // O_NONBLOCK: a FIFO without a reader fails at once instead of waiting for one.
  int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return "";
  }
  if (errno != ENOENT) return std::strerror(errno);
  fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  // EEXIST: a dangling symlink (O_EXCL never follows one); the real open creates its target.
  if (fd < 0) return errno == EEXIST ? "" : std::strerror(errno);
  ::close(fd);
  ::unlink(path.c_str());  // ours: O_EXCL created it just now
  return "";
}

}  // namespace ktstr::host
