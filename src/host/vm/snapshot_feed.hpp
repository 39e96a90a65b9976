// A snapshot's bytes into a restoring QEMU, checked on the way (docs/warm.md). QEMU reads the
// migration stream from a command (`-incoming exec:CMD`); ktstr-vm's hidden `snapshot-feed`
// command is that command. It streams the file and holds its last 8 MiB back until the whole
// file's CRC32C and size match what was recorded when the snapshot was made: a file damaged on
// disk reaches QEMU without its end (the device state and the EOF marker), so the load fails
// (QEMU exits before the guest runs) and the run falls back to a cold boot. QEMU itself checks
// only the device state, not the memory pages.
#pragma once

#include <cstdint>
#include <string>

namespace ktstr::host {

struct SnapshotSum {
  uint64_t bytes = 0;
  uint32_t crc32c = 0;
  bool operator==(const SnapshotSum&) const = default;
};

// CRC32C as wire::crc32c computes it, with the CPU's instruction where there is one.
uint32_t snapshot_crc32c(uint32_t crc, const void* data, size_t n);

// The size and CRC32C of a file; throws std::runtime_error naming it if it cannot be read.
SnapshotSum sum_file(const std::string& path);
// "BYTES CRC" (decimal, 8 hex digits) and back; nullopt-like false for text that is not that.
std::string sum_text(const SnapshotSum& s);
bool parse_sum(const std::string& text, SnapshotSum& out);

// Writes `path` to `out_fd`, all but its last 8 MiB until the sum matches `expected`. Returns 0
// when all of it went out, 1 (with `error`) when it did not: a short stream for QEMU.
int feed_snapshot(const std::string& path, const SnapshotSum& expected, int out_fd, std::string& error);

// The -incoming source that feeds `path` through `self_exe snapshot-feed`.
std::string snapshot_incoming(const std::string& self_exe, const std::string& path, const SnapshotSum& sum);

}  // namespace ktstr::host
