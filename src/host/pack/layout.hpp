// The initramfs being assembled: guest paths and what each one holds, before it is written.
#pragma once

#include <map>
#include <string>

namespace ktstr::host {

struct Entry {
  enum Kind { dir, file, symlink, chardev };
  Entry(Kind k = file, unsigned m = 0644) : kind(k), mode(m) {}
  Kind kind;
  unsigned mode;
  std::string host_path;  // file contents from here ...
  std::string content;    // ... or from here
  std::string target;     // symlink target
  unsigned major = 0, minor = 0;
};

// Archive paths without the leading '/', sorted: the cpio order is the map order.
using Layout = std::map<std::string, Entry>;

// One file of an --include (or the payload's file): where it goes and where its bytes come from.
struct IncludedFile {
  std::string guest, host;
  unsigned mode;
};

// A guest path as an archive path: without the leading '/'.
std::string rel(const std::string& guest_path);
// The directories above a guest path, 0755, unless they are there already.
void add_parents(Layout& l, const std::string& guest);
void add_content(Layout& l, const std::string& guest, std::string content, unsigned mode = 0644);
// Throws std::runtime_error unless `host` is a regular file. force_mode < 0 keeps the host's bits.
void add_host_file(Layout& l, const std::string& guest, const std::string& host, int force_mode = -1);
void add_symlink(Layout& l, const std::string& guest, const std::string& target);

}  // namespace ktstr::host
