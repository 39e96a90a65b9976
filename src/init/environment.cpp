#include "environment.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <string>

#include "ktstr/initramfs.hpp"

namespace ktstr::init {
namespace {

constexpr const char* kSystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string include_dirs_path() {
  namespace fs = std::filesystem;
  std::set<std::string> dirs;  // sorted: PATH order does not depend on readdir order
  std::error_code ec;
  for (fs::recursive_directory_iterator it(initramfs::kIncludeDir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if ((it->status(ec).permissions() & fs::perms::owner_exec) != fs::perms::none)
      dirs.insert(it->path().parent_path().string());
  }
  std::string path;
  for (const auto& d : dirs) path += d + ":";
  return path;
}

}  // namespace

void set_environment(const Config& config) {
  std::string path = include_dirs_path() + kSystemPath;
  setenv("PATH", path.c_str(), 1);
  setenv("HOME", "/root", 1);
  setenv("TERM", config.term.c_str(), 1);
  if (!config.colorterm.empty()) setenv("COLORTERM", config.colorterm.c_str(), 1);
  setenv("KTSTR_GUEST_INIT", "1", 1);
  setenv(initramfs::kOutputEnv, initramfs::kOutputDir, 1);  // made by prepare_output_dir()
  // `ktstr-vm suite --retries`: the payload may want to know it is a rerun.
  if (config.attempt) setenv("KTSTR_ATTEMPT", std::to_string(config.attempt).c_str(), 1);
  ::mkdir("/root", 0700);
}

}  // namespace ktstr::init
