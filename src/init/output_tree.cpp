#include "output_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include <spdlog/spdlog.h>

#include "fd.hpp"
#include "ktstr/json_str.hpp"

namespace ktstr::init {
namespace {

// FEND's "changed" list stays well inside one COM2 value (64 KiB); the rest is only counted.
constexpr size_t kChangedJsonMax = 32 * 1024;

const char* kind_of(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "dir";
  if (S_ISLNK(m)) return "symlink";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  if (S_ISCHR(m)) return "char_device";
  if (S_ISBLK(m)) return "block_device";
  return "unknown";
}

std::string unreadable(int err) { return std::string("unreadable: ") + std::strerror(err); }

class TreeWalk {
 public:
  TreeWalk(const TreeLimits& limits, const TreeSink& sink) : limits_(limits), sink_(sink) {}
  TreeTotals run(int root_fd);

 private:
  void walk_dir(int dir_fd, const std::string& prefix, uint32_t depth);
  void entry(int dir_fd, const std::string& name, const std::string& path, uint32_t depth);
  void file(int dir_fd, const std::string& name, const std::string& path);
  void send(wire::Tag type, std::string_view value) {
    if (!gave_up_ && !sink_.send(type, value)) gave_up_ = true;
  }
  void skip(const std::string& path, const char* kind, const std::string& why) {
    ++t_.skipped;
    send(wire::kFskp, "{\"path\":" + json_str(path) + ",\"kind\":" + json_str(kind) + ",\"why\":" + json_str(why) + "}");
  }
  static std::string fent(const std::string& path, const char* kind, mode_t mode) {
    return "{\"path\":" + json_str(path) + ",\"kind\":\"" + kind + "\",\"mode\":" + std::to_string(mode & 07777);
  }
  bool stopped() const { return gave_up_ || full_; }
  std::string fend() const;

  const TreeLimits& limits_;
  const TreeSink& sink_;
  TreeTotals t_;
  uint64_t entries_ = 0;
  bool gave_up_ = false;  // the sink refused a frame
  bool full_ = false;     // max_entries reached
  std::string buf_;       // one FDAT value, reused
};

TreeTotals TreeWalk::run(int root_fd) {
  buf_.resize(std::max<size_t>(sink_.chunk, 1));
  if (root_fd >= 0) walk_dir(root_fd, "", 0);
  send(wire::kFend, fend());
  t_.complete = !gave_up_;
  return t_;
}

void TreeWalk::walk_dir(int dir_fd, const std::string& prefix, uint32_t depth) {
  // The names first, sorted (std::string compares as unsigned bytes), then one entry at a time:
  // no DIR stream stays open across the recursion.
  std::vector<std::string> names;
  int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  DIR* d = dup_fd >= 0 ? ::fdopendir(dup_fd) : nullptr;
  if (!d) {
    int err = errno;
    if (dup_fd >= 0) ::close(dup_fd);
    spdlog::warn("output tree: cannot list {}: {}", prefix.empty() ? "." : prefix, std::strerror(err));
    return;
  }
  ::rewinddir(d);
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
    if (names.size() > limits_.max_entries) break;  // more than could ever be sent
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (stopped()) return;
    entry(dir_fd, name, prefix.empty() ? name : prefix + "/" + name, depth + 1);
  }
}

void TreeWalk::entry(int dir_fd, const std::string& name, const std::string& path, uint32_t depth) {
  struct stat st{};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return skip(path, "unknown", unreadable(errno));
  const char* kind = kind_of(st.st_mode);
  if (++entries_ > limits_.max_entries) {
    full_ = true;
    spdlog::warn("output tree: more than {} entries; the walk stops at {}", limits_.max_entries, path);
    return skip(path, kind, "too many entries (the walk stopped here)");
  }
  if (path.size() > limits_.max_path) return skip(path.substr(0, limits_.max_path), kind, "path too long");
  if (depth > limits_.max_depth) return skip(path, kind, "too deep");
  if (S_ISREG(st.st_mode)) return file(dir_fd, name, path);
  if (S_ISDIR(st.st_mode)) {
    UniqueFd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) return skip(path, kind, unreadable(errno));
    ++t_.dirs;
    send(wire::kFent, fent(path, kind, st.st_mode) + "}");
    return walk_dir(sub.get(), path, depth);
  }
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), target, sizeof target);
    if (n < 0) return skip(path, kind, unreadable(errno));
    ++t_.symlinks;
    return send(wire::kFent, fent(path, kind, st.st_mode) + ",\"target\":" + json_str({target, size_t(n)}) + "}");
  }
  skip(path, kind, "not a regular file");
}

void TreeWalk::file(int dir_fd, const std::string& name, const std::string& path) {
  // O_NONBLOCK: an entry swapped for a FIFO after the lstat cannot block the open or a read.
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) return skip(path, "file", unreadable(errno));
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return skip(path, "file", unreadable(errno));
  if (!S_ISREG(st.st_mode)) return skip(path, kind_of(st.st_mode), "not a regular file");
  const uint64_t full = uint64_t(st.st_size), room = limits_.bytes - t_.bytes;
  if (full > room && room == 0) return skip(path, "file", "output limit");
  const bool cut = full > room;
  const uint64_t size = cut ? room : full;
  std::string v = fent(path, "file", st.st_mode) + ",\"size\":" + std::to_string(size);
  if (cut) v += ",\"cut\":true,\"full_size\":" + std::to_string(full);
  send(wire::kFent, v + "}");
  if (gave_up_) return;
  ++t_.files;
  if (cut) ++t_.cut;
  // Exactly `size` bytes follow, whatever the file does meanwhile: a short file is padded with
  // zeros, and either change is reported in FEND's "changed".
  bool short_read = false;
  for (uint64_t sent = 0; sent < size && !gave_up_;) {
    const size_t want = size_t(std::min<uint64_t>(buf_.size(), size - sent));
    size_t got = 0;
    while (got < want && !short_read) {
      ssize_t r = ::read(fd.get(), buf_.data() + got, want - got);
      if (r > 0) {
        got += size_t(r);
      } else if (r < 0 && errno == EINTR) {
        continue;
      } else {
        if (r < 0) spdlog::warn("output tree: {}", errno_message("read " + path, errno));
        short_read = true;
      }
    }
    if (got < want) std::memset(buf_.data() + got, 0, want - got);
    send(wire::kFdat, std::string_view(buf_.data(), want));
    sent += want;
  }
  if (gave_up_) return;
  t_.bytes += size;
  char extra;
  if (short_read || (!cut && ::read(fd.get(), &extra, 1) > 0)) {
    spdlog::warn("output tree: {} changed while it was sent ({} bytes announced)", path, size);
    t_.changed.push_back(path);
  }
}

std::string TreeWalk::fend() const {
  std::string changed;
  size_t listed = 0;
  for (const std::string& p : t_.changed) {
    std::string item = json_str(p);
    if (changed.size() + item.size() > kChangedJsonMax) break;
    changed += (listed++ ? "," : "") + item;
  }
  auto n = [](const char* k, uint64_t v) { return std::string("\"") + k + "\":" + std::to_string(v) + ","; };
  std::string v = "{" + n("files", t_.files) + n("dirs", t_.dirs) + n("symlinks", t_.symlinks) + n("bytes", t_.bytes) +
                  n("skipped", t_.skipped) + n("cut", t_.cut) + "\"changed\":[" + changed + "]";
  if (listed < t_.changed.size()) v += ",\"changed_omitted\":" + std::to_string(t_.changed.size() - listed);
  return v + "}";
}

}  // namespace

TreeTotals send_tree(int root_fd, const TreeLimits& limits, const TreeSink& sink) {
  return TreeWalk(limits, sink).run(root_fd);
}

}  // namespace ktstr::init
