// The newc cpio reader (include/ktstr/cpio_reader.hpp): a state machine over header, name, data
// and padding, so any chunking of the input gives the same entries and the same verdict.
#include "ktstr/cpio_reader.hpp"

#include <algorithm>

namespace ktstr::cpio {
namespace {

constexpr size_t kHeaderSize = 110;
constexpr std::string_view kMagic = "070701";
constexpr std::string_view kTrailer = "TRAILER!!!";

// The padding after `n` bytes that started at a multiple of 4.
constexpr uint64_t pad4(uint64_t n) { return (4 - n % 4) % 4; }

bool hex8(std::string_view s, uint32_t& out) {
  uint32_t v = 0;
  for (char c : s) {
    uint32_t d;
    if (c >= '0' && c <= '9') d = uint32_t(c - '0');
    else if (c >= 'a' && c <= 'f') d = uint32_t(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = uint32_t(c - 'A' + 10);
    else return false;
    v = v << 4 | d;
  }
  out = v;
  return true;
}

// The path an archive name stands for, or "" with `why` if it is refused.
std::string clean_path(std::string_view name, std::string& why) {
  if (name == "." || name == "./") return ".";
  if (name.starts_with("./")) name.remove_prefix(2);
  else if (name.starts_with("/")) name.remove_prefix(1);
  if (name.empty()) {
    why = "an empty path";
    return "";
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = std::min(name.find('/', start), name.size());
    std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      why = part.empty() ? "an empty component (a leading or doubled '/')" : "a '" + std::string(part) + "' component";
      return "";
    }
    start = end + 1;
  }
  return std::string(name);
}

}  // namespace

Reader::Reader(OnEntry on_entry, OnData on_data, OnEnd on_end, Limits limits)
    : on_entry_(std::move(on_entry)), on_data_(std::move(on_data)), on_end_(std::move(on_end)), limits_(limits) {}

std::string Reader::where() const {
  std::string w = "entry " + std::to_string(entries_ + 1) + " at byte " + std::to_string(entry_offset_);
  if (!cur_.path.empty()) w += " (" + cur_.path + ")";
  return w;
}

bool Reader::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  return false;
}

bool Reader::parse_header() {
  std::string_view h = buf_;
  if (h.substr(0, 6) != kMagic)
    return fail(where() + ": not a newc cpio header (magic " + std::string(h.substr(0, 6)) + ")");
  static constexpr const char* kField[] = {"ino",       "mode",      "uid",       "gid",      "nlink",
                                           "mtime",     "filesize",  "devmajor",  "devminor", "rdevmajor",
                                           "rdevminor", "namesize",  "check"};
  uint32_t f[13];
  for (size_t i = 0; i < 13; ++i)
    if (!hex8(h.substr(6 + 8 * i, 8), f[i]))
      return fail(where() + ": header field " + kField[i] + " is not 8 hex digits");
  cur_ = Entry{};
  cur_.mode = f[1];
  cur_.nlink = f[4];
  cur_.size = f[6];
  cur_.rdev_major = f[9];
  cur_.rdev_minor = f[10];
  name_size_ = f[11];
  if (name_size_ < 2 || name_size_ > limits_.name)
    return fail(where() + ": name size " + std::to_string(name_size_) + " (2-" + std::to_string(limits_.name) + ")");
  need_ = name_size_ + size_t(pad4(kHeaderSize + name_size_));
  return true;
}

bool Reader::parse_name() {
  std::string_view raw(buf_.data(), name_size_);
  if (raw.back() != '\0') return fail(where() + ": the name is not NUL-terminated");
  raw.remove_suffix(1);
  if (raw.find('\0') != std::string_view::npos) return fail(where() + ": a NUL inside the name");
  if (raw == kTrailer) {
    if (cur_.size != 0) return fail(where() + ": the trailer has data");
    state_ = State::after_trailer;
    return true;
  }
  std::string why;
  cur_.path = clean_path(raw, why);
  if (cur_.path.empty()) return fail(where() + ": name '" + std::string(raw) + "': " + why);
  const uint32_t t = cur_.type();
  if (t == kRegular) {
    if (cur_.nlink > 1)
      return fail(where() + ": a regular file with " + std::to_string(cur_.nlink) + " links (hard links are not taken)");
    if (cur_.size > limits_.file)
      return fail(where() + ": " + std::to_string(cur_.size) + " bytes, above the limit of " + std::to_string(limits_.file));
  } else if (t == kSymlink) {
    if (cur_.size == 0 || cur_.size > limits_.link_target)
      return fail(where() + ": a symlink target of " + std::to_string(cur_.size) + " bytes (1-" +
                  std::to_string(limits_.link_target) + ")");
  } else if (t == kDirectory || t == kCharDev || t == kBlockDev || t == kFifo || t == kSocket) {
    if (cur_.size != 0) return fail(where() + ": " + std::to_string(cur_.size) + " data bytes on an entry that has none");
  } else {
    return fail(where() + ": unknown file type in mode " + std::to_string(cur_.mode));
  }
  if (cur_.path == "." && t != kDirectory) return fail(where() + ": '.' that is not a directory");
  left_ = cur_.size;
  if (t != kSymlink) {
    std::string err;
    if (!on_entry_(cur_, err)) return fail(where() + ": " + err);
  }
  state_ = State::data;
  return left_ > 0 || end_entry();
}

bool Reader::end_entry() {
  std::string err;
  if (cur_.type() == kSymlink) {
    if (cur_.link_target.find('\0') != std::string::npos) return fail(where() + ": a NUL in the symlink target");
    if (!on_entry_(cur_, err)) return fail(where() + ": " + err);
  }
  if (!on_end_(err)) return fail(where() + ": " + err);
  ++entries_;
  need_ = size_t(pad4(cur_.size));
  state_ = State::pad;
  return true;
}

bool Reader::feed(std::string_view in) {
  if (failed()) return false;
  while (!in.empty()) {
    switch (state_) {
      case State::header: {
        if (buf_.empty()) entry_offset_ = offset_;
        size_t take = std::min(kHeaderSize - buf_.size(), in.size());
        buf_.append(in.substr(0, take));
        in.remove_prefix(take);
        offset_ += take;
        if (buf_.size() < kHeaderSize) break;
        if (!parse_header()) return false;
        buf_.clear();
        state_ = State::name;
        break;
      }
      case State::name: {
        size_t take = std::min(need_ - buf_.size(), in.size());
        buf_.append(in.substr(0, take));
        in.remove_prefix(take);
        offset_ += take;
        if (buf_.size() < need_) break;
        if (!parse_name()) return false;
        buf_.clear();
        break;
      }
      case State::data: {
        size_t take = size_t(std::min<uint64_t>(left_, in.size()));
        std::string_view piece = in.substr(0, take);
        in.remove_prefix(take);
        offset_ += take;
        left_ -= take;
        if (cur_.type() == kSymlink) {
          cur_.link_target.append(piece);
        } else {
          std::string err;
          if (!on_data_(piece, err)) return fail(where() + ": " + err);
        }
        if (left_ == 0 && !end_entry()) return false;
        break;
      }
      case State::pad: {
        size_t take = std::min(need_, in.size());
        in.remove_prefix(take);
        offset_ += take;
        need_ -= take;
        if (need_ == 0) {
          state_ = State::header;
          cur_ = Entry{};
        }
        break;
      }
      case State::after_trailer: {
        // The trailer's name padding, then whatever block padding the writer added: zeros only.
        size_t bad = in.find_first_not_of('\0');
        if (bad != std::string_view::npos)
          return fail("byte " + std::to_string(offset_ + bad) + ": data after the trailer");
        offset_ += in.size();
        in = {};
        break;
      }
    }
  }
  return true;
}

bool Reader::finish() {
  if (failed()) return false;
  if (complete()) return true;
  const char* in = state_ == State::header ? "a header"
                   : state_ == State::name ? "a name"
                   : state_ == State::data ? "the data"
                                           : "the padding";
  if (state_ == State::header && buf_.empty()) return fail("truncated at byte " + std::to_string(offset_) + ": no trailer");
  return fail(where() + ": truncated in " + in + " at byte " + std::to_string(offset_));
}

}  // namespace ktstr::cpio
