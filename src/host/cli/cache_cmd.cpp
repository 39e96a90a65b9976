#include "cache_cmd.hpp"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "snapshot_cache.hpp"

namespace ktstr::host {
namespace {

std::string human(uint64_t bytes) {
  char buf[32];
  if (bytes < (1u << 20)) std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024.0);
  else if (bytes < (1ull << 30)) std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / double(1u << 20));
  else std::snprintf(buf, sizeof buf, "%.2f GiB", double(bytes) / double(1ull << 30));
  return buf;
}

std::string local_time(int64_t ns) {
  std::time_t t = std::time_t(ns / 1000000000);
  std::tm tm{};
  char buf[32];
  if (!localtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm)) return "?";
  return buf;
}

// A meta.json member as text for the table ("-" when absent).
std::string meta_text(const nlohmann::json& meta, const char* name) {
  if (!meta.is_object() || !meta.contains(name)) return "-";
  const nlohmann::json& v = meta[name];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string plural(size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

}  // namespace

int cache_list_command(bool json) {
  SnapshotCache cache;
  std::vector<SnapshotInfo> all = cache.list();
  uint64_t total = 0;
  for (const SnapshotInfo& i : all) total += i.bytes;
  if (json) {
    nlohmann::json out = {{"dir", cache.root()}, {"cap_bytes", cache.cap_bytes()}, {"total_bytes", total},
                          {"snapshots", nlohmann::json::array()}};
    for (const SnapshotInfo& i : all)
      out["snapshots"].push_back({{"key", i.key}, {"bytes", i.bytes}, {"last_used", i.last_used_ns / 1000000000},
                                  {"meta", i.meta}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (all.empty()) {
    std::cout << "no snapshots in " << cache.root() << "\n";
    return 0;
  }
  std::printf("%-12s  %10s  %-19s  %-26s  %s\n", "KEY", "SIZE", "LAST USED", "KERNEL", "SHAPE");
  for (const SnapshotInfo& i : all)
    std::printf("%-12s  %10s  %-19s  %-26s  %s\n", i.key.substr(0, 12).c_str(), human(i.bytes).c_str(),
                local_time(i.last_used_ns).c_str(), meta_text(i.meta, "kernel").c_str(), meta_text(i.meta, "shape").c_str());
  std::printf("%s, %s of the %s cap (KTSTR_SNAPSHOT_CACHE_MB), in %s\n", plural(all.size(), "snapshot", "snapshots").c_str(),
              human(total).c_str(), human(cache.cap_bytes()).c_str(), cache.root().c_str());
  return 0;
}

int cache_clear_command() {
  SnapshotCache cache(snapshot_cache_dir(), 0);  // the cap plays no part: clear works even if its setting is bad
  CacheRemoval r = cache.clear();
  if (r.snapshots == 0 && r.busy == 0 && r.leftovers == 0) {
    std::cout << "no snapshots in " << cache.root() << "\n";
    return 0;
  }
  std::string line = "removed " + plural(r.snapshots, "snapshot", "snapshots") + " (" + human(r.bytes) + ") from " +
                     cache.root();
  if (r.leftovers) line += ", and " + plural(r.leftovers, "leftover", "leftovers") + " of interrupted saves";
  std::cout << line << "\n";
  if (r.busy)
    std::cout << "kept " << plural(r.busy, "snapshot", "snapshots")
              << " in use by a running ktstr-vm (run `ktstr-vm cache clear` again once it ends)\n";
  return 0;
}

}  // namespace ktstr::host
