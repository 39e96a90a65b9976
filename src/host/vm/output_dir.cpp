#include "output_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

// True when the directory open at `fd` holds nothing but . and ..
bool empty_dir(int fd) {
  int copy = ::dup(fd);
  if (copy < 0) return false;
  DIR* d = ::fdopendir(copy);
  if (!d) {
    ::close(copy);
    return false;
  }
  bool empty = true;
  while (dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) empty = false;
  ::closedir(d);
  return empty;
}

}  // namespace

std::string output_dir_error(const std::string& dir) {
  if (dir.empty()) return "--output: an empty path";
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return "--output " + dir + ": exists and is not a directory";
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return "--output " + dir + ": " + std::strerror(errno);
    if (!empty_dir(fd.get()))
      return "--output " + dir + ": not empty (ktstr-vm writes only into an empty or a new directory)";
    if (::access(dir.c_str(), W_OK | X_OK) != 0) return "--output " + dir + ": " + std::strerror(errno);
    return "";
  }
  if (errno != ENOENT) return "--output " + dir + ": " + std::strerror(errno);
  // Absent: the nearest existing ancestor must be a directory we may write into.
  fs::path p = fs::absolute(dir).parent_path();
  while (::stat(p.c_str(), &st) != 0) {
    if (errno != ENOENT || p == p.parent_path()) return "--output " + dir + ": " + std::strerror(errno);
    p = p.parent_path();
  }
  if (!S_ISDIR(st.st_mode)) return "--output " + dir + ": " + p.string() + " is not a directory";
  if (::access(p.c_str(), W_OK | X_OK) != 0) return "--output " + dir + ": " + p.string() + ": " + std::strerror(errno);
  return "";
}

UniqueFd open_output_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("--output " + dir + ": cannot create it: " + ec.message());
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) throw std::runtime_error("--output " + dir + ": " + std::strerror(errno));
  if (!empty_dir(fd.get())) throw std::runtime_error("--output " + dir + ": not empty");
  return fd;
}

}  // namespace ktstr::host
