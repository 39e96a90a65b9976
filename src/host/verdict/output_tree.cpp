#include "output_tree.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "guest_json.hpp"
#include "utf8.hpp"

namespace ktstr::host {
namespace {

std::string in_quotes(const std::string& path) { return "\"" + OutputTree::printable(path) + "\""; }

std::string count_of(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The code point of the well-formed UTF-8 sequence of `len` bytes at p.
uint32_t code_point(const unsigned char* p, size_t len) {
  if (len == 1) return p[0];
  uint32_t cp = p[0] & (0x7f >> len);
  for (size_t i = 1; i < len; ++i) cp = cp << 6 | (p[i] & 0x3f);
  return cp;
}

}  // namespace

OutputTree::OutputTree(UniqueFd dir_fd, uint64_t limit) : dir_(std::move(dir_fd)), limit_(limit) {}

OutputTree::~OutputTree() = default;

bool OutputTree::is_tree_frame(wire::Tag t) {
  return t == wire::kFent || t == wire::kFdat || t == wire::kFskp || t == wire::kFend;
}

bool OutputTree::to_bytes(const std::string& utf8, std::string& out, std::string& why) {
  out.clear();
  for (size_t i = 0; i < utf8.size();) {
    size_t len = utf8_sequence_length(utf8, i);
    if (len == 0) {
      why = "not UTF-8";
      return false;
    }
    uint32_t cp = code_point(reinterpret_cast<const unsigned char*>(utf8.data() + i), len);
    if (cp > 0xff) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "a code point above U+00FF (U+%04X)", unsigned(cp));
      why = buf;
      return false;
    }
    out += char(cp);
    i += len;
  }
  return true;
}

std::string OutputTree::path_error(const std::string& path) {
  if (path.empty()) return "an empty path";
  if (path[0] == '/') return "an absolute path";
  if (path.size() > kTreeMaxPath) return "longer than " + std::to_string(kTreeMaxPath) + " bytes";
  if (path.find('\0') != std::string::npos) return "a NUL byte";
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    std::string_view c(path.data() + start, (slash == std::string::npos ? path.size() : slash) - start);
    if (c.empty()) return "an empty component";
    if (c == "." || c == "..") return "a " + std::string(c) + " component";
    if (c.size() > kTreeMaxComponent)
      return "a component longer than " + std::to_string(kTreeMaxComponent) + " bytes";
    if (slash == std::string::npos) return "";
    start = slash + 1;
  }
}

std::string OutputTree::printable(const std::string& path) {
  bool utf8 = valid_utf8(path);
  std::string s;
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f || c == '\\' || (c >= 0x80 && !utf8)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    } else {
      s += char(c);
    }
  }
  return s;
}

void OutputTree::fail(const std::string& why) {
  if (!error_.empty()) return;
  error_ = "output tree: " + why;
  close_file();
}

void OutputTree::write_error(const std::string& what, const std::string& path, int err) {
  fail("cannot " + what + " " + in_quotes(path) + " on the host: " + std::strerror(err));
}

void OutputTree::on_frame(const wire::Frame& f) {
  if (!is_tree_frame(f.type)) return;
  ++frames_;
  if (!error_.empty()) return;
  std::string type(f.type.view());
  std::string at = " (" + type + ", seq " + std::to_string(f.seq) + ")";
  std::string_view value(reinterpret_cast<const char*>(f.value.data()), f.value.size());
  if (fend_seen_) return fail("a " + type + " frame after FEND" + at);
  if (f.type == wire::kFdat) {
    data(value);
  } else if (in_file_) {
    fail(type + " while " + std::to_string(file_left_) + " bytes of " + in_quotes(file_path_) +
         " were still to come (its FENT announced more)" + at);
  } else {
    nlohmann::json v = nlohmann::json::parse(value, nullptr, false);
    if (v.is_discarded() || !v.is_object()) return fail("a malformed " + type + " frame" + at);
    if (f.type == wire::kFent) entry(v);
    else if (f.type == wire::kFskp) skip(v);
    else end(v);
  }
  if (!error_.empty() && error_.find(" (" + type + ", seq ") == std::string::npos) error_ += at;
}

void OutputTree::entry(const nlohmann::json& v) {
  if (++entries_ > kTreeMaxEntries) return fail("more than " + std::to_string(kTreeMaxEntries) + " entries");
  auto text = guest_json::string(v, "path");
  auto kind = guest_json::string(v, "kind");
  auto mode = guest_json::uint(v, "mode", 07777);
  if (!text || !kind || !mode) return fail("FENT without a path, kind or mode (0-07777)");
  std::string path, why;
  if (!to_bytes(*text, path, why)) return fail("the path " + in_quotes(*text) + " has " + why);
  if (std::string e = path_error(path); !e.empty()) return fail("the path " + in_quotes(path) + " is " + e);
  if (made_.count(path)) return fail(in_quotes(path) + " twice");
  size_t slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (!parent.empty() && !dir_set_.count(parent))
    return fail("the parent of " + in_quotes(path) + " is not a directory of this tree");
  int pfd = open_dir(parent);
  if (pfd < 0) return write_error("open the directory", parent, errno);
  // Never setuid, setgid or sticky, and never writable by group or others: the tree lands on a
  // shared host (init's own cores/ is 01777 in the guest so any uid can dump core there).
  unsigned perm = unsigned(*mode) & kTreeModeMask;
  if (*kind == "dir") {
    // Writable until its contents are in; its own mode comes at the end (finish).
    if (::mkdirat(pfd, name.c_str(), 0700) != 0) return write_error("create the directory", path, errno);
    ++dirs_;
    dir_set_.insert(path);
    dir_modes_.emplace_back(path, perm);
  } else if (*kind == "symlink") {
    auto target_text = guest_json::string(v, "target");
    std::string target;
    if (!target_text) return fail("the symlink " + in_quotes(path) + " has no target");
    if (!to_bytes(*target_text, target, why)) return fail("the target of " + in_quotes(path) + " has " + why);
    if (target.empty() || target.size() >= kTreeMaxPath || target.find('\0') != std::string::npos)
      return fail("the target of " + in_quotes(path) + " is empty, too long or has a NUL byte");
    if (::symlinkat(target.c_str(), pfd, name.c_str()) != 0) return write_error("create the symlink", path, errno);
    ++symlinks_;
  } else if (*kind == "file") {
    auto size = guest_json::uint(v, "size");
    if (!size) return fail("the file " + in_quotes(path) + " has no size");
    if (*size > limit_ - bytes_)
      return fail("the file " + in_quotes(path) + " announces " + std::to_string(*size) + " bytes, past the output limit of " +
                  std::to_string(limit_) + " (" + std::to_string(bytes_) + " bytes before it)");
    bool cut = guest_json::boolean(v, "cut").value_or(false);
    auto full = guest_json::uint(v, "full_size");
    if (cut && (!full || *full <= *size))
      return fail("the cut file " + in_quotes(path) + " has no full_size above its size");
    UniqueFd fd(::openat(pfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return write_error("create the file", path, errno);
    if (::fchmod(fd.get(), perm) != 0) return write_error("set the mode of", path, errno);
    ++files_;
    if (cut && ++cut_n_ <= kTreeKeptRecords) cut_.push_back({path, *size, *full});
    if (path.starts_with("cores/") && path.find('/', 6) == std::string::npos && path.ends_with(".core") &&
        cores_.size() < kTreeKeptRecords)
      cores_.push_back(path);
    if (*size > 0) {
      file_ = std::move(fd);
      file_path_ = path;
      file_left_ = *size;
      in_file_ = true;
    }
  } else {
    return fail("the entry " + in_quotes(path) + " has the kind " + in_quotes(*kind) + " (not dir, file or symlink)");
  }
  made_.insert(path);
}

void OutputTree::data(std::string_view bytes) {
  if (!in_file_) return fail("FDAT without a file to fill (no FENT announced one, or it is complete)");
  if (bytes.size() > file_left_)
    return fail("FDAT of " + std::to_string(bytes.size()) + " bytes for " + in_quotes(file_path_) + ", past the " +
                std::to_string(file_left_) + " bytes still announced");
  if (!write_all(file_.get(), bytes)) return write_error("write", file_path_, errno);
  bytes_ += bytes.size();
  file_left_ -= bytes.size();
  if (file_left_ == 0) close_file();
}

void OutputTree::close_file() {
  file_.reset();
  in_file_ = false;
  file_left_ = 0;
}

void OutputTree::skip(const nlohmann::json& v) {
  auto text = guest_json::string(v, "path", kTreeMaxPath * 6);
  auto kind = guest_json::string(v, "kind", 64);
  auto why_text = guest_json::string(v, "why", 4096);
  if (!text || !kind || !why_text) return fail("FSKP without a path, kind or why (or one too long)");
  std::string path, why;
  if (!to_bytes(*text, path, why)) return fail("the skipped path " + in_quotes(*text) + " has " + why);
  if (++skipped_n_ <= kTreeKeptRecords) skipped_.push_back({path, *kind, *why_text});
}

void OutputTree::end(const nlohmann::json& v) {
  fend_seen_ = true;
  const std::pair<const char*, uint64_t> totals[] = {{"files", files_},     {"dirs", dirs_},
                                                     {"symlinks", symlinks_}, {"bytes", bytes_},
                                                     {"skipped", skipped_n_}, {"cut", cut_n_}};
  for (const auto& [key, got] : totals) {
    auto want = guest_json::uint(v, key);
    if (!want) return fail(std::string("FEND without a count of ") + key);
    if (*want != got)
      return fail(std::string("FEND says ") + key + " " + std::to_string(*want) + ", the host received " +
                  std::to_string(got));
  }
  if (const nlohmann::json* changed = guest_json::field(v, "changed")) {
    if (!changed->is_array()) return fail("FEND's changed is not a list");
    for (const auto& c : *changed) {
      std::string path, why;
      if (!c.is_string() || !to_bytes(c.get<std::string>(), path, why))
        return fail("FEND's changed holds something other than a path");
      if (++changed_n_ <= kTreeKeptRecords) changed_.push_back(path);
    }
  }
  // The guest leaves out what would pass its own bound on the list, and counts it.
  if (guest_json::field(v, "changed_omitted")) {
    auto omitted = guest_json::uint(v, "changed_omitted", kTreeMaxEntries);
    if (!omitted) return fail("FEND's changed_omitted is not a count");
    changed_n_ += *omitted;
  }
}

void OutputTree::finish(bool expected) {
  if (finished_) return;
  finished_ = true;
  if (expected && error_.empty() && !fend_seen_)
    fail(frames_ == 0 ? "no tree arrived (no FEND)"
                      : "the tree ended without FEND after " + std::to_string(entries_) + " entries" +
                            (in_file_ ? ", inside " + in_quotes(file_path_) : ""));
  close_file();
  // Deepest first (the reverse of pre-order): a parent stays searchable until its children are done.
  for (auto it = dir_modes_.rbegin(); it != dir_modes_.rend(); ++it) {
    int fd = open_dir(it->first);
    if (fd >= 0) (void)::fchmod(fd, it->second);
  }
  cached_.reset();
  cached_path_.clear();
}

int OutputTree::open_dir(const std::string& path) {
  if (path.empty()) return dir_.get();
  if (cached_.valid() && cached_path_ == path) return cached_.get();
  cached_.reset();
  UniqueFd cur;
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    std::string c = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    int from = cur.valid() ? cur.get() : dir_.get();
    UniqueFd next(::openat(from, c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return -1;
    cur = std::move(next);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  cached_ = std::move(cur);
  cached_path_ = path;
  return cached_.get();
}

nlohmann::json OutputTree::report() const {
  nlohmann::json r;
  r["complete"] = complete();
  r["files"] = files_;
  r["dirs"] = dirs_;
  r["symlinks"] = symlinks_;
  r["bytes"] = bytes_;
  r["skipped"] = nlohmann::json::array();
  for (const auto& s : skipped_)
    r["skipped"].push_back({{"path", printable(s.path)}, {"kind", s.kind}, {"why", s.why}});
  r["cut"] = nlohmann::json::array();
  for (const auto& c : cut_) r["cut"].push_back({{"path", printable(c.path)}, {"size", c.size}, {"full_size", c.full_size}});
  r["changed"] = nlohmann::json::array();
  for (const auto& c : changed_) r["changed"].push_back(printable(c));
  // Only the first kTreeKeptRecords of each list are kept; the counts say how many there were.
  if (skipped_n_ > skipped_.size() || cut_n_ > cut_.size() || changed_n_ > changed_.size())
    r["counts"] = {{"skipped", skipped_n_}, {"cut", cut_n_}, {"changed", changed_n_}};
  r["error"] = error_;
  return r;
}

std::string OutputTree::summary() const {
  char mb[32];
  std::snprintf(mb, sizeof mb, "%.1f MB", double(bytes_) / 1e6);
  std::string s = count_of(files_, "file", "files") + " (" + mb + ")";
  if (dirs_) s += ", " + count_of(dirs_, "dir", "dirs");
  if (symlinks_) s += ", " + count_of(symlinks_, "symlink", "symlinks");
  if (skipped_n_) {
    s += ", " + std::to_string(skipped_n_) + " skipped (";
    for (size_t i = 0; i < skipped_.size() && i < 3; ++i)
      s += (i ? ", " : "") + (skipped_[i].why == "not a regular file" ? skipped_[i].kind : skipped_[i].why) + ": " +
           printable(skipped_[i].path);
    s += skipped_n_ > 3 ? ", ...)" : ")";
  }
  if (cut_n_) {
    s += ", " + std::to_string(cut_n_) + " cut by the limit (";
    for (size_t i = 0; i < cut_.size() && i < 3; ++i)
      s += (i ? ", " : "") + printable(cut_[i].path) + ": " + std::to_string(cut_[i].size) + " of " +
           std::to_string(cut_[i].full_size) + " bytes";
    s += cut_n_ > 3 ? ", ...)" : ")";
  }
  if (changed_n_) s += ", " + std::to_string(changed_n_) + " changed while sent";
  return s;
}

}  // namespace ktstr::host
