// Helpers shared by the unit tests (host and init): a private scratch directory that is removed
// with everything in it, and reading a whole file.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ktstr::test {

// A new private directory TMPDIR/PREFIX.XXXXXX, removed when the object goes.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    std::string t = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
    if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp " + t + " failed");
    path_ = t;
  }
  ~ScratchDir() {
    std::error_code ec;  // best effort: a test's leftovers must not throw from a destructor
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A whole file's bytes ("" if it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace ktstr::test
