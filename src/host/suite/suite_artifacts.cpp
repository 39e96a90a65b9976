#include "suite_artifacts.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace ktstr::host {

bool is_artifact_folder(const std::string& folder) {
  std::error_code ec;
  return fs::is_directory(fs::symlink_status(folder, ec)) &&
         fs::is_regular_file(fs::symlink_status(fs::path(folder) / kArtifactMarker, ec));
}

std::string prepare_artifacts_dir(const std::string& dir, const std::vector<std::string>& names) {
  std::error_code ec;
  auto st = fs::status(dir, ec);
  if (fs::exists(st) && !fs::is_directory(st)) return "--artifacts " + dir + ": not a folder";
  if (!fs::exists(st) && (fs::create_directories(dir, ec), ec))
    return "--artifacts " + dir + ": cannot create it: " + ec.message();
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return "--artifacts " + dir + ": " + std::strerror(errno);
  std::string theirs;
  for (const auto& name : names) {
    fs::path p = fs::path(dir) / name;
    if (!fs::exists(fs::symlink_status(p, ec)) || is_artifact_folder(p.string())) continue;
    theirs += "\n  " + p.string();
  }
  if (theirs.empty()) return "";
  return "--artifacts " + dir + ": these are in the way of tests' artifact folders and were not made by "
         "ktstr-vm (no " + std::string(kArtifactMarker) + " in them), so they are left alone:" + theirs +
         "\nMove them, or give another --artifacts folder; nothing was run";
}

void make_artifact_folder(const std::string& folder) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(folder, ec))) {
    if (!is_artifact_folder(folder))
      throw std::runtime_error(folder + ": exists and was not made by ktstr-vm (no " + std::string(kArtifactMarker) +
                               "); left alone");
    fs::remove_all(folder, ec);
    if (ec) throw std::runtime_error("cannot remove the old artifacts " + folder + ": " + ec.message());
  }
  fs::create_directories(folder, ec);
  if (ec) throw std::runtime_error("cannot create " + folder + ": " + ec.message());
  std::ofstream mark(fs::path(folder) / kArtifactMarker);
  mark << "Made by `ktstr-vm suite`: the next suite run that runs this test replaces this folder.\n";
  mark.close();
  if (!mark) throw std::runtime_error("cannot write " + (fs::path(folder) / kArtifactMarker).string());
}

bool remove_artifact_folder(const std::string& folder) {
  if (!is_artifact_folder(folder)) return false;
  std::error_code ec;
  fs::remove_all(folder, ec);
  return !ec;
}

}  // namespace ktstr::host
