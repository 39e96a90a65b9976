// A Layout written as a deterministic newc cpio through libarchive: no times, owners or host
// inode numbers, so the same inputs give the same bytes.
#pragma once

#include <cstdint>
#include <string>

#include "layout.hpp"
#include "pack.hpp"

struct archive;

namespace ktstr::host {

class ArchiveWriter {
 public:
  // Throws std::runtime_error naming `out` if the file cannot be opened.
  ArchiveWriter(const std::string& out, Compression c, int level);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // One entry at `path` (an archive path, no leading '/'), in call order.
  void write(const std::string& path, const Entry& e);
  void close();

 private:
  void check(int r, const std::string& what);
  [[noreturn]] void fail(const std::string& what);
  archive* a_;
  std::string out_;
  int64_t ino_ = 0;
};

}  // namespace ktstr::host
