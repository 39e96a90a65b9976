// The run archive of a warm start (docs/protocol.md, "Warm starts"): ARCH frames on the data lane
// whose values, joined, are a newc cpio (ktstr/cpio_reader.hpp), unpacked into / as they arrive,
// at the same guest paths a cold boot's initramfs has.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fd.hpp"
#include "ktstr/cpio_reader.hpp"

namespace ktstr::init {

// Writes the entries of a newc stream under `root` ("" for / in the guest; a directory in
// tests): regular files (replacing what is there, with the archive's mode), directories (made
// with their parents, an existing one keeps its contents and gets the mode), symlinks and char or
// block devices (replacing what is there). Any other type, and every failed call, ends the
// extraction with an error naming the entry.
class ArchiveExtractor {
 public:
  explicit ArchiveExtractor(std::string root, uint64_t max_file = uint64_t(1) << 40);
  ArchiveExtractor(const ArchiveExtractor&) = delete;
  ArchiveExtractor& operator=(const ArchiveExtractor&) = delete;

  bool feed(std::string_view bytes) { return reader_.feed(bytes); }
  // The end of the archive: false unless it was complete.
  bool finish() { return reader_.finish(); }
  const std::string& error() const { return reader_.error(); }
  uint64_t entries() const { return reader_.entries(); }

 private:
  bool on_entry(const cpio::Entry& e, std::string& error);
  bool on_data(std::string_view piece, std::string& error);
  bool on_end(std::string& error);

  std::string root_;
  UniqueFd file_;  // the regular file being written
  std::string file_path_;
  cpio::Reader reader_;
};

struct ArchiveReceipt {
  uint32_t frames = 0;  // ARCH frames taken
  uint64_t bytes = 0;   // their value bytes
  std::string error;    // empty: every frame came, the archive was complete and is unpacked
};

// Reads `frames` ARCH frames (host -> guest lane seq 0..frames-1) from the lane `fd` (opened
// non-blocking), which must carry `bytes` in all, and feeds them to `x`; bounded by `deadline_ns`
// (CLOCK_BOOTTIME) so a host that stops sending cannot hold the guest. The host sends nothing
// else on the lane until the output tree's LACK, so nothing of a later frame is read here.
ArchiveReceipt receive_archive(int fd, const std::string& name, uint32_t frames, uint64_t bytes,
                               uint64_t deadline_ns, ArchiveExtractor& x);

}  // namespace ktstr::init
