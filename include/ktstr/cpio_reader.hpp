// A streaming reader of newc cpio archives ("070701", what libarchive writes with the newc format
// and no compression): the run archive of a warm start arrives this way over the data lane
// (docs/protocol.md, "Warm starts"), in pieces of any size, and is unpacked as it comes.
//
// Untrusted input, pure logic: no file system, no syscalls. Entries go to the callbacks in order;
// the first problem ends the read with an error naming the entry and the byte offset, and nothing
// more is delivered. Refused: a bad magic, a header field that is not 8 hex digits, a name that is
// not NUL-terminated (or holds a NUL) or too long, an absolute path or a "..", "." or empty
// component once a leading "./" or "/" is stripped, a file or link bigger than the limits, data
// on a directory or device, a regular file with more than one link (newc splits a hard link's
// data across entries: our packer never writes one), a truncated archive, and bytes after the
// trailer other than zero padding.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ktstr::cpio {

// The type bits of a mode (as in <sys/stat.h>, spelt out: this file is used on both sides).
inline constexpr uint32_t kTypeMask = 0170000;
inline constexpr uint32_t kRegular = 0100000;
inline constexpr uint32_t kDirectory = 0040000;
inline constexpr uint32_t kSymlink = 0120000;
inline constexpr uint32_t kCharDev = 0020000;
inline constexpr uint32_t kBlockDev = 0060000;
inline constexpr uint32_t kFifo = 0010000;
inline constexpr uint32_t kSocket = 0140000;

struct Entry {
  std::string path;        // relative, without a leading "./" or "/"; "." for the root itself
  uint32_t mode = 0;       // type and permission bits
  uint64_t size = 0;       // a regular file's data bytes (a symlink's target length)
  uint32_t nlink = 0;
  uint32_t rdev_major = 0, rdev_minor = 0;  // char and block devices
  std::string link_target;                  // symlinks: the whole target, before on_entry

  uint32_t type() const { return mode & kTypeMask; }
  uint32_t perm() const { return mode & 07777; }
};

struct Limits {
  size_t name = 4096;              // bytes of a name, its NUL included
  size_t link_target = 4095;       // bytes of a symlink's target
  uint64_t file = uint64_t(1) << 40;  // bytes of one regular file
};

class Reader {
 public:
  // An entry's header (a symlink's once its target is read). Returning false stops the read
  // with `error` (the caller's reason, e.g. a failed write) as the reader's error.
  using OnEntry = std::function<bool(const Entry&, std::string& error)>;
  // A piece of the current regular file's data, in order; pieces add up to Entry::size.
  using OnData = std::function<bool(std::string_view piece, std::string& error)>;
  // The current entry is complete (after its last data piece; at once for entries without data).
  using OnEnd = std::function<bool(std::string& error)>;

  Reader(OnEntry on_entry, OnData on_data, OnEnd on_end, Limits limits = {});

  // Takes the next bytes. False once the read has failed (now or before): error() says why.
  bool feed(std::string_view bytes);
  // The end of the input: false, with an error, unless the trailer was read.
  bool finish();

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // The trailer ("TRAILER!!!") was read and nothing wrong came after it: the archive is complete.
  bool complete() const { return state_ == State::after_trailer && !failed(); }
  uint64_t entries() const { return entries_; }
  uint64_t offset() const { return offset_; }

 private:
  enum class State { header, name, data, pad, after_trailer };
  bool fail(std::string why);
  bool parse_header();
  bool parse_name();
  bool end_entry();
  std::string where() const;

  OnEntry on_entry_;
  OnData on_data_;
  OnEnd on_end_;
  Limits limits_;
  State state_ = State::header;
  std::string buf_;        // the header or the name being collected
  size_t need_ = 0;        // bytes buf_ must reach (name state), or padding still to skip
  uint64_t left_ = 0;      // data bytes of the current entry still to come
  uint32_t name_size_ = 0;
  Entry cur_;
  uint64_t offset_ = 0;    // bytes taken so far
  uint64_t entry_offset_ = 0;
  uint64_t entries_ = 0;
  std::string error_;
};

}  // namespace ktstr::cpio
