#include "topology_check.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "fd.hpp"
#include "ktstr/json_str.hpp"

namespace ktstr::init {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNodeDir = "/sys/devices/system/node";
constexpr const char* kCpuDir = "/sys/devices/system/cpu";

// Entries named PREFIX<number> in a sysfs directory, by number.
std::map<uint32_t, std::string> numbered(const char* dir, std::string_view prefix) {
  std::map<uint32_t, std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with(prefix) || name.size() == prefix.size() || name.size() > prefix.size() + 7 ||
        name.find_first_not_of("0123456789", prefix.size()) != std::string::npos)
      continue;
    out[uint32_t(std::stoul(name.substr(prefix.size())))] = e.path().string();
  }
  return out;
}

// A sysfs CPU list in canonical form; "?" + the raw text if it does not parse (kept visible:
// it can never match an expected list).
std::string cpulist_at(const std::string& path) {
  std::string text;
  if (!read_file(path.c_str(), text)) return "";
  auto cpus = parse_cpulist(text);
  return cpus ? format_cpulist(*cpus) : "?" + text;
}

// The highest cache level sysfs lists for a CPU: index3 on x86 when there is an L3, but found by
// its `level`, not by its index.
std::string llc_list(const std::string& cpu_dir) {
  std::string best;
  int best_level = 0;
  for (const auto& [i, dir] : numbered((cpu_dir + "/cache").c_str(), "index")) {
    std::string level;
    if (!read_file((dir + "/level").c_str(), level)) continue;
    int l = std::atoi(level.c_str());
    if (l > best_level) {
      best_level = l;
      best = cpulist_at(dir + "/shared_cpu_list");
    }
  }
  return best_level >= 3 ? best : "";  // an L2 shared by one core is no LLC a scheduler groups by
}

uint32_t first_cpu(const std::string& list) {
  auto cpus = parse_cpulist(list);
  return cpus && !cpus->empty() ? cpus->front() : UINT32_MAX;
}

std::vector<std::string> by_first_cpu(const std::set<std::string>& groups) {
  std::vector<std::string> v(groups.begin(), groups.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return first_cpu(a) < first_cpu(b); });
  return v;
}

std::string json_list(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + json_str(v[i]);
  return s + "]";
}

}  // namespace

TopologyView read_topology_view() {
  TopologyView v;
  for (const auto& [n, dir] : numbered(kNodeDir, "node")) v.nodes.push_back(cpulist_at(dir + "/cpulist"));
  std::set<std::string> llcs, cores;
  std::string online_text;
  read_file((std::string(kCpuDir) + "/online").c_str(), online_text);
  auto online = parse_cpulist(online_text).value_or(std::vector<uint32_t>{});
  for (const auto& [n, dir] : numbered(kCpuDir, "cpu")) {
    if (!std::binary_search(online.begin(), online.end(), n)) continue;
    if (std::string l = llc_list(dir); !l.empty()) llcs.insert(l);
    if (std::string c = cpulist_at(dir + "/topology/thread_siblings_list"); !c.empty()) cores.insert(c);
  }
  v.llcs = by_first_cpu(llcs);
  v.cores = by_first_cpu(cores);
  return v;
}

std::string check_topology(const Config& config, Com2& com2) {
  TopologyView seen = read_topology_view();
  std::string diff = config.topo.set() ? topology_difference(config.topo, seen) : "";
  com2.send(wire::kTopo, "{\"asked\":" + json_str(config.topo.set() ? topo_csv(config.topo) : "") +
                             ",\"nodes\":" + json_list(seen.nodes) + ",\"llcs\":" + json_list(seen.llcs) +
                             ",\"cores\":" + json_list(seen.cores) + ",\"difference\":" + json_str(diff) + "}");
  spdlog::info("topology: {}{}", describe_view(seen),
               config.topo.set() ? " (asked for " + topo_compact(config.topo) + ")" : "");
  if (diff.empty()) return "";
  return "topology: " + diff;
}

}  // namespace ktstr::init
