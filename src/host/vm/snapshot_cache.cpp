#include "snapshot_cache.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "paths.hpp"
#include "sha256.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace ktstr::host {
namespace {

constexpr const char* kTmpMark = ".tmp-";

bool is_key(std::string_view name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// KEY.tmp-PID: the key and the pid, or nullopt if `name` is not of that form.
std::optional<std::pair<std::string, pid_t>> parse_tmp_name(std::string_view name) {
  size_t mark = std::strlen(kTmpMark);
  if (name.size() <= 64 + mark || !is_key(name.substr(0, 64)) || name.substr(64, mark) != kTmpMark)
    return std::nullopt;
  std::string_view digits = name.substr(64 + mark);
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) return std::nullopt;
  return std::pair{std::string(name.substr(0, 64)), pid};
}

bool is_real_dir(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() == fs::file_type::directory;
}

bool is_real_file(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() == fs::file_type::regular;
}

// A snapshot directory of ours: ROOT/KEY, a real directory with a meta.json.
bool is_snapshot_dir(const fs::path& p) { return is_key(p.filename().string()) && is_real_dir(p) && is_real_file(p / "meta.json"); }

// Bytes of the regular files under `dir` (symlinks not followed).
uint64_t dir_bytes(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  return total;
}

std::optional<json> read_meta(const fs::path& dir) {
  std::ifstream in(dir / "meta.json", std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  json j = json::parse(s.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

bool meta_matches(const std::optional<json>& meta, const std::string& key_text) {
  if (!meta) return false;
  auto it = meta->find("key_text");
  return it != meta->end() && it->is_string() && it->get_ref<const std::string&>() == key_text;
}

std::string lock_path(const std::string& root, const std::string& key) { return root + "/" + key + ".lock"; }

// ROOT/KEY.lock opened and flocked with `op` (LOCK_SH or LOCK_EX) without waiting; an invalid fd
// when someone holds a conflicting lock. A remover unlinks the lock file while it holds it, so a
// lock taken on a file no longer at that path is dropped and taken again on the new one.
UniqueFd lock_key(const std::string& root, const std::string& key, int op) {
  std::string path = lock_path(root, key);
  for (int attempt = 0; attempt < 8; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd.valid() || ::flock(fd.get(), op | LOCK_NB) != 0) return {};
    struct stat held, now;
    if (::fstat(fd.get(), &held) == 0 && ::stat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino)
      return fd;
  }
  return {};
}

// Removes snapshot KEY, its lock held exclusively: the directory first, then the lock file, so a
// lock file always outlives its snapshot. Returns whether the directory is gone.
bool remove_locked(const std::string& root, const std::string& key) {
  std::error_code ec;
  fs::remove_all(fs::path(root) / key, ec);
  if (ec || fs::exists(fs::symlink_status(fs::path(root) / key, ec))) return false;
  ::unlink(lock_path(root, key).c_str());
  return true;
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

std::string snapshot_key(const std::string& key_text) { return sha256_hex(key_text); }

uint64_t snapshot_cache_cap_bytes() {
  const char* env = std::getenv("KTSTR_SNAPSHOT_CACHE_MB");
  if (!env || !*env) return uint64_t(4096) << 20;
  std::string_view v(env);
  uint64_t mb = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), mb);
  if (ec != std::errc() || end != v.data() + v.size() || mb > (UINT64_MAX >> 20))
    throw std::runtime_error("KTSTR_SNAPSHOT_CACHE_MB=" + std::string(v) +
                             ": not a whole number of MiB (the snapshot cache's size cap; default 4096)");
  return mb << 20;
}

std::string snapshot_cache_dir() { return cache_dir() + "/snapshots"; }

SnapshotCache::SnapshotCache(std::string root, uint64_t cap_bytes) : root_(std::move(root)), cap_(cap_bytes) {}

std::optional<SnapshotUse> SnapshotCache::open(const std::string& key_text) {
  std::string key = snapshot_key(key_text);
  fs::path dir = fs::path(root_) / key;
  if (!is_snapshot_dir(dir)) return std::nullopt;  // no lock file made for a plain miss
  UniqueFd lock = lock_key(root_, key, LOCK_SH);
  if (!lock.valid()) return std::nullopt;
  std::optional<json> meta = read_meta(dir);
  if (!meta_matches(meta, key_text) || !is_real_file(dir / "snapshot") || !is_real_file(dir / "base.cpio"))
    return std::nullopt;
  ::utimensat(AT_FDCWD, dir.c_str(), nullptr, 0);  // used now: the LRU order
  SnapshotUse use;
  use.root_ = root_;
  use.key_ = key;
  use.dir_ = dir.string();
  use.meta_ = std::move(*meta);
  use.lock_ = std::move(lock);
  return use;
}

bool SnapshotUse::discard() {
  if (!lock_.valid()) return false;
  // Shared to exclusive without waiting: if another process restores it too, it stays.
  bool gone = ::flock(lock_.get(), LOCK_EX | LOCK_NB) == 0 && remove_locked(root_, key_);
  lock_.reset();
  return gone;
}

std::optional<SnapshotBuild> SnapshotCache::begin(const std::string& key_text, json meta) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw std::runtime_error("snapshot cache " + root_ + ": " + ec.message());
  remove_stale_temps();
  std::string key = snapshot_key(key_text);
  UniqueFd lock = lock_key(root_, key, LOCK_EX);
  if (!lock.valid()) return std::nullopt;  // another process is making or removing it
  fs::path dir = fs::path(root_) / key;
  if (fs::exists(fs::symlink_status(dir, ec))) {
    if (!is_snapshot_dir(dir)) return std::nullopt;  // not ours: never touched
    if (meta_matches(read_meta(dir), key_text) && is_real_file(dir / "snapshot") && is_real_file(dir / "base.cpio"))
      return std::nullopt;  // made meanwhile by another process
    if (!remove_locked(root_, key)) return std::nullopt;  // ours but broken or another text: replaced
  }
  SnapshotBuild b;
  b.root_ = root_;
  b.key_ = key;
  b.key_text_ = key_text;
  b.tmp_ = root_ + "/" + key + kTmpMark + std::to_string(::getpid());
  b.meta_ = meta.is_object() ? std::move(meta) : json::object();
  b.cap_ = cap_;
  fs::remove_all(b.tmp_, ec);  // this pid's own leftover (the lock says nobody else uses it)
  if (::mkdir(b.tmp_.c_str(), 0755) != 0) {
    std::string why = std::strerror(errno);
    b.done_ = true;
    throw std::runtime_error("snapshot cache: cannot make " + b.tmp_ + ": " + why);
  }
  b.lock_ = std::move(lock);
  return b;
}

SnapshotBuild::SnapshotBuild(SnapshotBuild&& o) noexcept
    : root_(std::move(o.root_)), key_(std::move(o.key_)), key_text_(std::move(o.key_text_)), tmp_(std::move(o.tmp_)),
      meta_(std::move(o.meta_)), cap_(o.cap_), lock_(std::move(o.lock_)), done_(std::exchange(o.done_, true)) {}

SnapshotBuild::~SnapshotBuild() {
  if (done_) return;
  std::error_code ec;
  fs::remove_all(tmp_, ec);
  // No snapshot came of it: the lock file goes too (while held, so nobody is left on it).
  if (lock_.valid() && !fs::exists(fs::symlink_status(fs::path(root_) / key_, ec))) ::unlink(lock_path(root_, key_).c_str());
}

CacheRemoval SnapshotBuild::publish() {
  if (done_) throw std::logic_error("SnapshotBuild::publish called twice");
  for (const char* f : {"snapshot", "base.cpio"})
    if (!is_real_file(fs::path(tmp_) / f)) throw std::runtime_error("snapshot " + key_ + ": " + f + " was not written");
  meta_["key"] = key_;
  meta_["key_text"] = key_text_;
  meta_["created"] = int64_t(std::time(nullptr));
  meta_["bytes"] = dir_bytes(tmp_);
  {
    std::ofstream out(tmp_ + "/meta.json", std::ios::binary | std::ios::trunc);
    out << meta_.dump(2) << "\n";
    if (!out.flush()) throw std::runtime_error("snapshot " + key_ + ": cannot write meta.json in " + tmp_);
  }
  std::string dir = root_ + "/" + key_;
  if (::rename(tmp_.c_str(), dir.c_str()) != 0)
    throw std::runtime_error("snapshot " + key_ + ": rename " + tmp_ + " -> " + dir + ": " + std::strerror(errno));
  done_ = true;
  ::utimensat(AT_FDCWD, dir.c_str(), nullptr, 0);
  // Evicted with this one still locked by us: it is never its own victim.
  CacheRemoval r = SnapshotCache(root_, cap_).evict();
  lock_.reset();
  return r;
}

std::vector<SnapshotInfo> SnapshotCache::list() const {
  std::vector<SnapshotInfo> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    if (!is_snapshot_dir(e.path())) continue;
    SnapshotInfo i;
    i.key = e.path().filename().string();
    i.bytes = dir_bytes(e.path());
    struct stat st;
    if (::stat(e.path().c_str(), &st) == 0) i.last_used_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    i.meta = read_meta(e.path()).value_or(json());
    out.push_back(std::move(i));
  }
  std::sort(out.begin(), out.end(), [](const SnapshotInfo& a, const SnapshotInfo& b) {
    return a.last_used_ns != b.last_used_ns ? a.last_used_ns > b.last_used_ns : a.key < b.key;
  });
  return out;
}

CacheRemoval SnapshotCache::evict() {
  CacheRemoval r;
  std::vector<SnapshotInfo> all = list();
  uint64_t total = 0;
  for (const SnapshotInfo& i : all) total += i.bytes;
  for (auto it = all.rbegin(); it != all.rend() && total > cap_; ++it) {  // least recently used first
    UniqueFd lock = lock_key(root_, it->key, LOCK_EX);
    if (!lock.valid() || !remove_locked(root_, it->key)) {
      ++r.busy;
      continue;
    }
    total -= it->bytes;
    ++r.snapshots;
    r.bytes += it->bytes;
  }
  return r;
}

bool SnapshotCache::remove(const std::string& key) {
  if (!is_key(key)) return false;
  fs::path dir = fs::path(root_) / key;
  std::error_code ec;
  bool present = fs::exists(fs::symlink_status(dir, ec));
  if (present && !is_snapshot_dir(dir)) return false;  // not ours
  if (!present && !fs::exists(lock_path(root_, key), ec)) return true;
  UniqueFd lock = lock_key(root_, key, LOCK_EX);
  return lock.valid() && remove_locked(root_, key);
}

size_t SnapshotCache::remove_stale_temps() {
  size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    auto parsed = parse_tmp_name(e.path().filename().string());
    if (!parsed || !is_real_dir(e.path())) continue;
    auto [key, pid] = *parsed;
    if (pid == ::getpid() || process_alive(pid)) continue;
    UniqueFd lock = lock_key(root_, key, LOCK_EX);
    if (!lock.valid()) continue;  // its key is being made or removed: leave it for now
    std::error_code rec;
    fs::remove_all(e.path(), rec);
    removed += !rec;
    if (!fs::exists(fs::symlink_status(fs::path(root_) / key, rec))) ::unlink(lock_path(root_, key).c_str());
  }
  return removed;
}

CacheRemoval SnapshotCache::clear() {
  CacheRemoval r;
  r.leftovers = remove_stale_temps();
  for (const SnapshotInfo& i : list()) {
    UniqueFd lock = lock_key(root_, i.key, LOCK_EX);
    if (!lock.valid() || !remove_locked(root_, i.key)) {
      ++r.busy;
      continue;
    }
    ++r.snapshots;
    r.bytes += i.bytes;
  }
  std::error_code ec;
  std::vector<std::string> locks;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() == 64 + 5 && name.ends_with(".lock") && is_key(name.substr(0, 64)) && is_real_file(e.path()))
      locks.push_back(name.substr(0, 64));
  }
  // Lock files with no snapshot and nobody on them (a build that was killed).
  for (const std::string& key : locks) {
    if (fs::exists(fs::symlink_status(fs::path(root_) / key, ec))) continue;
    UniqueFd lock = lock_key(root_, key, LOCK_EX);
    if (lock.valid() && !fs::exists(fs::symlink_status(fs::path(root_) / key, ec))) {
      ::unlink(lock_path(root_, key).c_str());
      ++r.leftovers;
    }
  }
  return r;
}

}  // namespace ktstr::host
