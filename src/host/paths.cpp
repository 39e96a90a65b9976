#include "paths.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "ktstr/exit_codes.hpp"
#include "status_error.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {

std::string cache_dir() {
  if (const char* c = std::getenv("KTSTR_CACHE"); c && *c) return c;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.cache/ktstr-init";
}

std::string self_dir() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : p.parent_path().string();
}

std::string resolve_scheduler(const std::string& spec) {
  if (spec.find('/') != std::string::npos || fs::is_regular_file(spec)) {
    if (fs::is_directory(spec))
      throw StatusError(exit_code::kNotExecutable, "scheduler " + spec + ": is a directory, not executable");
    if (!fs::is_regular_file(spec)) throw std::runtime_error("scheduler " + spec + ": no such file");
    if (access(spec.c_str(), X_OK) != 0) throw std::runtime_error("scheduler " + spec + ": not executable");
    return spec;
  }
  fs::path dir = fs::path(cache_dir()) / "schedulers";
  fs::path p = dir / spec;
  if (fs::is_regular_file(p)) return p.string();
  if (fs::is_directory(spec))  // a bare name that is no cached scheduler
    throw StatusError(exit_code::kNotExecutable, "scheduler " + spec + ": is a directory, not executable");
  std::string known;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) known += " " + e.path().filename().string();
  throw std::runtime_error("scheduler '" + spec + "': not a file and not a known name (known:" +
                           (known.empty() ? " none; run scripts/setup.sh" : known) + ")");
}

std::string resolve_init(const std::string& flag) {
  std::string p = flag.empty() ? self_dir() + "/init" : flag;
  if (!fs::is_regular_file(p))
    throw std::runtime_error("init " + p + ": no such file (build it with scripts/build.sh or pass --init)");
  return p;
}

}  // namespace ktstr::host
