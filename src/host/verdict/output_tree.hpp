// The host's side of the output tree (docs/output.md, docs/protocol.md "The output tree"): the
// guest's FENT/FDAT/FSKP/FEND frames, from the data lane or COM2, written under one directory.
//
// The stream is untrusted. Whatever it says, nothing is written outside that directory: every
// path is checked (relative, components non-empty and not . or .., no NUL, no code point above
// U+00FF, at most 255 bytes a component and 4096 in all), every parent is a directory this stream
// created and is opened with O_NOFOLLOW from the directory's fd, every entry is created with
// O_EXCL | O_NOFOLLOW (a name twice is damage), symlinks are made with symlinkat and never
// followed, and modes lose their setuid, setgid and sticky bits. The first violation ends the
// tree: what was written stays, nothing more is, and error() says why ("output tree: ...").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>
#include <vector>

#include "ktstr/frame_decoder.hpp"
#include "ktstr/posix_io.hpp"

namespace ktstr::host {

// The permission bits a tree entry keeps on the host (docs/output.md).
inline constexpr unsigned kTreeModeMask = 0755;

// Bounds the host keeps whatever the guest says (the guest's walk has the same ones).
inline constexpr size_t kTreeMaxEntries = 100000;   // FENT frames
inline constexpr size_t kTreeMaxComponent = 255;    // bytes of one path component
inline constexpr size_t kTreeMaxPath = 4096;        // bytes of a path, and of a symlink's target
inline constexpr size_t kTreeKeptRecords = 1000;    // skipped / cut / changed entries kept for the report

class OutputTree {
 public:
  struct Skip {
    std::string path, kind, why;  // path: the guest's bytes
  };
  struct Cut {
    std::string path;
    uint64_t size = 0, full_size = 0;
  };

  // Writes into `dir_fd` (an open, empty directory; owned from here on), at most `limit` bytes of
  // file data in all.
  OutputTree(UniqueFd dir_fd, uint64_t limit);
  ~OutputTree();
  OutputTree(const OutputTree&) = delete;
  OutputTree& operator=(const OutputTree&) = delete;

  static bool is_tree_frame(wire::Tag t);
  // One FENT, FDAT, FSKP or FEND frame, in stream order. Other types are ignored.
  void on_frame(const wire::Frame& f);
  // The stream ended. With `expected` (the guest said it finished: DONE), a tree without FEND is
  // damage. Applies the directories' modes (after their contents were written). Idempotent.
  void finish(bool expected);
  // Marks the tree damaged from outside (e.g. tree frames on two channels); the first reason wins.
  void fail(const std::string& why);

  bool started() const { return frames_ > 0; }
  bool ended() const { return fend_seen_; }
  // FEND arrived, its totals match, nothing went wrong.
  bool complete() const { return fend_seen_ && error_.empty(); }
  // "output tree: ..." or empty.
  const std::string& error() const { return error_; }

  uint64_t files() const { return files_; }
  uint64_t dirs() const { return dirs_; }
  uint64_t symlinks() const { return symlinks_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t skipped_count() const { return skipped_n_; }
  const std::vector<Skip>& skipped() const { return skipped_; }
  const std::vector<Cut>& cut() const { return cut_; }
  // Regular files written under cores/ whose name ends in .core (the guest's core_pattern).
  const std::vector<std::string>& core_files() const { return cores_; }
  int dir_fd() const { return dir_.get(); }

  // The report's "output" object, without "dir", "via" and "cores" (the session adds them).
  nlohmann::json report() const;
  // "3 files (50.0 MB), 1 symlink, 1 skipped (fifo: p)".
  std::string summary() const;

  // A guest path (text of a JSON string, UTF-8) as the bytes it stands for: each code point up
  // to U+00FF is one byte. False (with `why`) for a code point above it.
  static bool to_bytes(const std::string& utf8, std::string& out, std::string& why);
  // Why `path` (bytes) may not be written, or "" if it may.
  static std::string path_error(const std::string& path);
  // `path` for reports: itself when it is valid UTF-8, else each byte outside printable ASCII
  // as \xNN.
  static std::string printable(const std::string& path);

 private:
  void entry(const nlohmann::json& v);
  void data(std::string_view bytes);
  void skip(const nlohmann::json& v);
  void end(const nlohmann::json& v);
  void close_file();
  // An fd of the directory `path` (bytes, "" = the root), walked from the root with O_NOFOLLOW;
  // -1 with errno on failure. The last one is cached.
  int open_dir(const std::string& path);
  void write_error(const std::string& what, const std::string& path, int err);

  UniqueFd dir_;
  const uint64_t limit_;
  uint64_t frames_ = 0, entries_ = 0;
  uint64_t files_ = 0, dirs_ = 0, symlinks_ = 0, bytes_ = 0, skipped_n_ = 0, cut_n_ = 0, changed_n_ = 0;
  bool fend_seen_ = false, finished_ = false;
  std::string error_;
  std::unordered_set<std::string> made_;   // every path created
  std::unordered_set<std::string> dir_set_;  // of those, the directories
  std::vector<std::pair<std::string, unsigned>> dir_modes_;  // in creation order
  // The file being filled by FDAT.
  UniqueFd file_;
  std::string file_path_;
  uint64_t file_left_ = 0;
  bool in_file_ = false;
  // The cached parent fd.
  UniqueFd cached_;
  std::string cached_path_;
  std::vector<Skip> skipped_;
  std::vector<Cut> cut_;
  std::vector<std::string> changed_, cores_;
};

}  // namespace ktstr::host
