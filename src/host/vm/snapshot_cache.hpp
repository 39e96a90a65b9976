// The snapshot cache (docs/warm.md): booted, waiting guests saved by QEMU, reused by warm runs.
// Under ROOT (cache_dir()/snapshots) a snapshot KEY is the directory KEY/ holding `snapshot` (QEMU's
// migration stream), `base.cpio` (the initramfs the restored QEMU starts with) and `meta.json`,
// beside its lock file KEY.lock. KEY is the SHA-256 of a text that describes everything that
// shapes the booted guest; meta.json keeps that text and a lookup compares it exactly, so a
// different guest is a miss, never a wrong snapshot.
//
// Locks (flock on KEY.lock): a restore holds it shared for as long as QEMU reads the snapshot;
// making, replacing and removing one holds it exclusive, never waiting (busy = someone else is at
// it). A snapshot is written in KEY.tmp-PID/ and renamed to KEY/ when whole, so a half-written one
// is never visible. Only names of this form are ever removed: anything else in ROOT is left alone.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ktstr/posix_io.hpp"

namespace ktstr::host {

// The key of a snapshot: 64 lowercase hex digits, the SHA-256 of `key_text`.
std::string snapshot_key(const std::string& key_text);

// The cache's size cap in bytes: KTSTR_SNAPSHOT_CACHE_MB MiB, default 4096. Throws
// std::runtime_error naming the variable if it is set but not a whole number.
uint64_t snapshot_cache_cap_bytes();

// cache_dir()/snapshots.
std::string snapshot_cache_dir();

// A snapshot found: its files, held (shared lock) until this object goes, so that no eviction
// removes it while QEMU reads it.
class SnapshotUse {
 public:
  const std::string& key() const { return key_; }
  const std::string& dir() const { return dir_; }
  std::string snapshot() const { return dir_ + "/snapshot"; }
  std::string base_cpio() const { return dir_ + "/base.cpio"; }
  const nlohmann::json& meta() const { return meta_; }
  // For a snapshot that failed to restore: removes it if no other process uses it (the shared
  // lock becomes exclusive without waiting). Returns whether it was removed. The object is spent.
  bool discard();

 private:
  friend class SnapshotCache;
  std::string root_, key_, dir_;
  nlohmann::json meta_;
  UniqueFd lock_;
};

// What an eviction or a clear removed.
struct CacheRemoval {
  size_t snapshots = 0;
  uint64_t bytes = 0;
  size_t busy = 0;      // recognised snapshots left because another process holds them
  size_t leftovers = 0; // stale KEY.tmp-PID dirs and unused KEY.lock files removed
};

// A snapshot being made, in its own temp dir, with the key's exclusive lock held. Without
// publish(), the destructor removes the temp dir.
class SnapshotBuild {
 public:
  SnapshotBuild(SnapshotBuild&& o) noexcept;
  SnapshotBuild& operator=(SnapshotBuild&&) = delete;
  ~SnapshotBuild();
  const std::string& key() const { return key_; }
  const std::string& dir() const { return tmp_; }  // ROOT/KEY.tmp-PID
  std::string snapshot() const { return tmp_ + "/snapshot"; }
  std::string base_cpio() const { return tmp_ + "/base.cpio"; }
  // Writes meta.json (the caller's meta + key_text, created, bytes), renames the temp dir to KEY/,
  // then evicts the least recently used snapshots while the cache is above `cap_bytes`. Throws
  // std::runtime_error if the snapshot cannot be published (the temp dir is then removed).
  CacheRemoval publish();

 private:
  friend class SnapshotCache;
  SnapshotBuild() = default;
  std::string root_, key_, key_text_, tmp_;
  nlohmann::json meta_;
  uint64_t cap_ = 0;
  UniqueFd lock_;
  bool done_ = false;
};

// One snapshot as `ktstr-vm cache list` shows it.
struct SnapshotInfo {
  std::string key;
  uint64_t bytes = 0;
  int64_t last_used_ns = 0;  // the directory's mtime (ns since the epoch): set at creation and by every hit
  nlohmann::json meta;        // meta.json as written (key_text, created, bytes, kernel, shape...)
};

class SnapshotCache {
 public:
  explicit SnapshotCache(std::string root = snapshot_cache_dir(), uint64_t cap_bytes = snapshot_cache_cap_bytes());
  const std::string& root() const { return root_; }
  uint64_t cap_bytes() const { return cap_; }

  // The snapshot of `key_text` with a shared lock held and its use marked (LRU), or nullopt: none,
  // meta.json names another text, a file is missing, or someone holds the lock exclusively.
  std::optional<SnapshotUse> open(const std::string& key_text);
  // Starts making the snapshot of `key_text` (meta: what list shows, e.g. kernel, shape), or
  // nullopt when another process is making it or it already exists. Removes stale temp dirs
  // first. Throws std::runtime_error if ROOT or the temp dir cannot be made.
  std::optional<SnapshotBuild> begin(const std::string& key_text, nlohmann::json meta = nlohmann::json::object());
  // Removes snapshot KEY unless it is in use. Returns whether it is gone (false: busy or not ours).
  bool remove(const std::string& key);
  // Every recognised snapshot, most recently used first.
  std::vector<SnapshotInfo> list() const;
  // Removes every snapshot nobody uses, stale temp dirs and unused lock files.
  CacheRemoval clear();
  // Removes least recently used snapshots (never a locked one) until the total is within the cap.
  CacheRemoval evict();
  // Removes KEY.tmp-PID dirs whose process is gone and whose key nobody is making. Returns how many.
  size_t remove_stale_temps();

 private:
  std::string root_;
  uint64_t cap_;
};

}  // namespace ktstr::host
