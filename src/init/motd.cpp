#include "motd.hpp"

#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "fd.hpp"
#include "ktstr/initramfs.hpp"
#include "topology_check.hpp"

namespace ktstr::init {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFiles = 24;  // the greeting must fit a screen

std::string kernel_line() {
  utsname u{};
  uname(&u);
  return std::string("kernel   ") + u.release + " (" + u.machine + ")\n";
}

std::string memory_line() {
  struct sysinfo si{};
  if (sysinfo(&si) != 0) return "memory   ?\n";
  auto mib = [&](unsigned long v) { return std::to_string(uint64_t(v) * si.mem_unit >> 20); };
  return "memory   " + mib(si.totalram) + " MiB, " + mib(si.freeram) + " MiB free\n";
}

// What a scheduler sees (nodes, LLCs, SMT siblings), and the shape the host asked for.
std::string topology_line(const Config& config) {
  std::string s = "vCPUs    " + describe_view(read_topology_view());
  if (config.topo.set()) s += "\n         as asked: " + topo_compact(config.topo) + " (KTSTR_TOPO=" + topo_csv(config.topo) + ")";
  return s + "\n";
}

std::string files_lines() {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(initramfs::kIncludeDir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    bool exec = (it->status(ec).permissions() & fs::perms::owner_exec) != fs::perms::none;
    files.push_back(it->path().string() + (exec ? "*" : ""));
  }
  if (files.empty()) return "";
  std::sort(files.begin(), files.end());
  std::string s = "files    (* executable, in PATH)\n";
  for (size_t i = 0; i < files.size() && i < kMaxFiles; ++i) s += "  " + files[i] + "\n";
  if (files.size() > kMaxFiles) s += "  ... and " + std::to_string(files.size() - kMaxFiles) + " more\n";
  return s;
}

std::string mounts_line() {
  std::string text;
  if (!read_file("/proc/mounts", text)) return "";
  std::istringstream in(text);
  std::string s = "mounts  ", line;
  size_t width = 8;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string dev, dir, type;
    f >> dev >> dir >> type;
    if (dir == "/" || type == "rootfs") continue;
    std::string item = " " + dir + "(" + type + ")";
    if (width + item.size() > 100) {
      s += "\n        ";
      width = 8;
    }
    s += item;
    width += item.size();
  }
  return s + "\n";
}

}  // namespace

std::string motd(const Config& config, const std::string& scheduler_line) {
  std::string s = "\nktstr-init " KTSTR_VERSION " shell\n";
  s += kernel_line() + memory_line() + topology_line(config);
  if (!scheduler_line.empty()) s += "sched    " + scheduler_line + "\n";
  s += files_lines() + mounts_line();
  s += "leave    `exit` (or Ctrl-D) ends the VM; Ctrl-A X kills it at once\n";
  return s;
}

}  // namespace ktstr::init
