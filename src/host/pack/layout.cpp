#include "layout.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace ktstr::host {

std::string rel(const std::string& guest_path) {
  return guest_path[0] == '/' ? guest_path.substr(1) : guest_path;
}

void add_parents(Layout& l, const std::string& guest) {
  for (fs::path p = fs::path(guest).parent_path(); !p.empty() && p != "/"; p = p.parent_path())
    l.try_emplace(rel(p.string()), Entry{Entry::dir, 0755});
}

void add_content(Layout& l, const std::string& guest, std::string content, unsigned mode) {
  add_parents(l, guest);
  Entry e{Entry::file, mode};
  e.content = std::move(content);
  l[rel(guest)] = std::move(e);
}

void add_host_file(Layout& l, const std::string& guest, const std::string& host, int force_mode) {
  struct stat st {};
  if (::stat(host.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw std::runtime_error(host + ": not a readable regular file");
  add_parents(l, guest);
  Entry e{Entry::file, force_mode >= 0 ? unsigned(force_mode) : (st.st_mode & 0777)};
  e.host_path = host;
  l[rel(guest)] = std::move(e);
}

void add_symlink(Layout& l, const std::string& guest, const std::string& target) {
  add_parents(l, guest);
  Entry e{Entry::symlink, 0777};
  e.target = target;
  l[rel(guest)] = std::move(e);
}

}  // namespace ktstr::host
