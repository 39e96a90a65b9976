#include "motd.hpp"

#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "fd.hpp"
#include "ktstr/initramfs.hpp"

namespace ktstr::init {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFiles = 24;  // the greeting must fit a screen

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string sysfs(const std::string& path) {
  std::string s;
  return read_file(path.c_str(), s) ? trimmed(s) : "";
}

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

// Distinct values of one sysfs file across the online CPUs (packages, cores, LLCs).
size_t distinct(const std::string& rel) {
  std::set<std::string> seen;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/devices/system/cpu", ec)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with("cpu") || name.find_first_not_of("0123456789", 3) != std::string::npos) continue;
    std::string v = sysfs(e.path().string() + "/" + rel);
    if (!v.empty()) seen.insert(v);
  }
  return seen.size();
}

std::string topology_line(const Config& config) {
  std::string online = sysfs("/sys/devices/system/cpu/online");
  std::string s = "vCPUs    " + std::to_string(get_nprocs()) + " online (" + (online.empty() ? "?" : online) + ")";
  if (config.topo.set()) {
    const Topology& t = config.topo;
    s += ": " + std::to_string(t.nodes) + " node(s) x " + std::to_string(t.llcs) + " LLC(s) x " +
         std::to_string(t.cores) + " core(s) x " + std::to_string(t.threads) + " thread(s)";
  } else {
    size_t pkgs = distinct("topology/physical_package_id");
    size_t cores = distinct("topology/core_cpus_list");
    size_t llcs = distinct("cache/index3/shared_cpu_list");
    s += ": " + std::to_string(pkgs) + " package(s), " + std::to_string(llcs) + " LLC(s), " +
         std::to_string(cores) + " core(s)";
  }
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
