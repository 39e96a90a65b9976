// The output tree's walk (docs/protocol.md, "The output tree"): every entry under $KTSTR_OUTPUT
// as FENT (+ FDAT for a file's bytes) or FSKP, then FEND with the totals. Depth-first pre-order,
// names in byte order, lstat only: a symlink is sent as a link and never followed, and the walk
// opens each directory from its parent's fd with O_NOFOLLOW, so it never leaves the tree.
// Where the frames go (the lane or COM2) is the sink's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ktstr/wire.hpp"

namespace ktstr::init {

struct TreeLimits {
  uint64_t bytes = 0;             // file data in total (KTSTR_OUTPUT_LIMIT): the file crossing it is cut
  uint32_t max_depth = 64;        // path components; deeper entries are FSKP "too deep"
  uint32_t max_entries = 100000;  // entries looked at; the walk stops at the next with FSKP "too many entries"
  size_t max_path = 4096;         // bytes of a relative path (the host's bound); longer: FSKP "path too long"
};

struct TreeSink {
  size_t chunk = wire::kStreamChunk;  // FDAT value size
  // Sends one frame; false when the sink gave up (deadline, error): the walk stops at once, no FEND.
  std::function<bool(wire::Tag, std::string_view)> send;
};

struct TreeTotals {
  uint64_t files = 0, dirs = 0, symlinks = 0, bytes = 0, skipped = 0, cut = 0;
  std::vector<std::string> changed;  // files that shrank or grew while they were read
  bool complete = false;             // FEND was sent
};

// Walks the directory open at root_fd (not closed; -1: an empty tree, FEND only) and sends it.
TreeTotals send_tree(int root_fd, const TreeLimits& limits, const TreeSink& sink);

}  // namespace ktstr::init
