// Topology shapes, their text forms and their sysfs view. Text may come from a user or from the
// kernel cmdline: every number is bounded before anything is multiplied.
#include "ktstr/topology.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

namespace ktstr {
namespace {

constexpr uint32_t kMaxCount = 4096;       // per field
constexpr uint64_t kMaxShapeCpus = 65536;  // keeps cpus() and CPU numbers far from overflow
constexpr uint32_t kMaxCpuNumber = 1u << 20;  // a sysfs CPU list beyond this is garbage
constexpr size_t kShownGroups = 8;  // a difference names at most this many groups per side

// ktstr's x86_64 presets (its guide's topology chapter), in its order.
constexpr std::array<TopologyPreset, 24> kPresets = {{
    {"tiny-1llc", {1, 1, 4, 1}},           {"tiny-2llc", {1, 2, 2, 1}},
    {"odd-3llc", {1, 3, 3, 1}},            {"odd-5llc", {1, 5, 3, 1}},
    {"odd-7llc", {1, 7, 2, 1}},            {"smt-2llc", {1, 2, 2, 2}},
    {"smt-3llc", {1, 3, 2, 2}},            {"medium-4llc", {1, 4, 4, 2}},
    {"medium-8llc", {1, 8, 4, 2}},         {"large-4llc", {1, 4, 16, 2}},
    {"large-8llc", {1, 8, 8, 2}},          {"near-max-llc", {1, 15, 8, 2}},
    {"max-cpu", {1, 14, 9, 2}},            {"medium-4llc-nosmt", {1, 4, 8, 1}},
    {"medium-8llc-nosmt", {1, 8, 8, 1}},   {"large-4llc-nosmt", {1, 4, 32, 1}},
    {"large-8llc-nosmt", {1, 8, 16, 1}},   {"near-max-llc-nosmt", {1, 15, 16, 1}},
    {"max-cpu-nosmt", {1, 14, 18, 1}},     {"numa2-4llc", {2, 4, 4, 1}},
    {"numa2-8llc", {2, 8, 8, 2}},          {"numa2-8llc-nosmt", {2, 8, 16, 1}},
    {"numa4-8llc", {4, 8, 4, 1}},          {"numa4-12llc", {4, 12, 8, 2}},
}};

// A decimal count 0..kMaxCount (zero is refused by the shape check, with a better message).
bool parse_count(std::string_view s, uint32_t& out) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > kMaxCount) return false;
  out = v;
  return true;
}

// "N,L,C,T" or "NnLlCcTt": four counts, each ended by its separator.
bool parse_fields(std::string_view s, const char (&seps)[5], Topology& out) {
  uint32_t* fields[] = {&out.nodes, &out.llcs, &out.cores, &out.threads};
  for (size_t i = 0; i < 4; ++i) {
    size_t end = seps[i] ? s.find(seps[i]) : s.size();
    if (end == std::string_view::npos || !parse_count(s.substr(0, end), *fields[i])) return false;
    s.remove_prefix(seps[i] ? end + 1 : end);
  }
  return s.empty();
}

// Bits QEMU gives a field of n values in the APIC ID: ceil(log2(n)).
uint32_t id_bits(uint32_t n) {
  uint32_t b = 0;
  while ((1u << b) < n) ++b;
  return b;
}

std::string group_text(const std::vector<std::string>& groups) {
  std::string s;
  for (size_t i = 0; i < groups.size() && i < kShownGroups; ++i)
    s += (i ? " | " : "") + (groups[i].empty() ? std::string("no CPUs") : groups[i]);
  if (groups.size() > kShownGroups) s += " | ...";
  return s;
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Groups of `size` consecutive CPUs covering 0..cpus-1.
std::vector<std::string> runs(uint32_t cpus, uint32_t size) {
  std::vector<std::string> out;
  for (uint32_t first = 0; first < cpus; first += size)
    out.push_back(size == 1 ? std::to_string(first)
                            : std::to_string(first) + "-" + std::to_string(first + size - 1));
  return out;
}

// "asked for 4 LLCs (0-1 | ...), the guest has 2 (0-3 | 4-7)", or the lists alone when the
// counts agree.
std::string differ(const char* what_one, const char* what_many, const std::vector<std::string>& want,
                   const std::vector<std::string>& got) {
  if (want.size() != got.size())
    return "asked for " + plural(want.size(), what_one, what_many) + " (" + group_text(want) +
           "), the guest has " + std::to_string(got.size()) + (got.empty() ? "" : " (" + group_text(got) + ")");
  return std::string(what_many) + ": asked for " + group_text(want) + ", the guest has " + group_text(got);
}

}  // namespace

std::string topo_csv(const Topology& t) {
  return std::to_string(t.nodes) + "," + std::to_string(t.llcs) + "," + std::to_string(t.cores) + "," +
         std::to_string(t.threads);
}

std::string topo_compact(const Topology& t) {
  return std::to_string(t.nodes) + "n" + std::to_string(t.llcs) + "l" + std::to_string(t.cores) + "c" +
         std::to_string(t.threads) + "t";
}

std::span<const TopologyPreset> topology_presets() { return kPresets; }

namespace {

// Edits (insert, delete, substitute, swap two neighbours) from a to b, ASCII case ignored;
// stops counting past `cap` (names are short, text may not be).
size_t edit_distance(std::string_view a, std::string_view b, size_t cap) {
  if (a.size() > b.size() + cap || b.size() > a.size() + cap) return cap + 1;
  auto low = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      bool same = low(a[i - 1]) == low(b[j - 1]);
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && low(a[i - 1]) == low(b[j - 2]) && low(a[i - 2]) == low(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::string_view closest_preset(std::string_view text) {
  // A typo, not another word: at most 3 edits, and at most a third of the name.
  std::string_view best;
  size_t best_d = SIZE_MAX;
  for (const auto& p : kPresets) {
    size_t cap = std::min<size_t>(3, std::max<size_t>(1, p.name.size() / 3));
    size_t d = edit_distance(text, p.name, cap);
    if (d <= cap && d < best_d) best = p.name, best_d = d;
  }
  return best;
}

std::string topology_shape_error(const Topology& t) {
  for (uint32_t v : {t.nodes, t.llcs, t.cores, t.threads})
    if (v == 0 || v > kMaxCount)
      return "every count must be 1.." + std::to_string(kMaxCount) + " (nodes, LLCs, cores per LLC, threads per core)";
  if (t.llcs % t.nodes != 0)
    return std::to_string(t.llcs) + " LLCs do not divide among " + plural(t.nodes, "node", "nodes") +
           ": the LLC count is the total and must be a multiple of the node count";
  if (uint64_t(t.llcs) * t.cores * t.threads > kMaxShapeCpus)
    return "more than " + std::to_string(kMaxShapeCpus) + " CPUs";
  return "";
}

std::optional<Topology> parse_topology(std::string_view text, std::string& error) {
  Topology t;
  bool parsed = false;
  for (const auto& p : kPresets)
    if (p.name == text) {
      t = p.topo;
      parsed = true;
    }
  if (!parsed) parsed = parse_fields(text, ",,,\0", t) || parse_fields(text, "nlct", t);
  if (!parsed) {
    error = "topology '" + std::string(text) +
            "': expected N,L,C,T (nodes, total LLCs, cores per LLC, threads per core), its compact "
            "form NnLlCcTt (e.g. 2n4l2c1t), or a preset name";
    if (std::string_view near = closest_preset(text); !near.empty())
      error += "; did you mean '" + std::string(near) + "'?";
    return std::nullopt;
  }
  if (std::string why = topology_shape_error(t); !why.empty()) {
    error = "topology '" + std::string(text) + "': " + why;
    return std::nullopt;
  }
  return t;
}

uint32_t topology_max_apic_id(const Topology& t) {
  uint32_t thread_bits = id_bits(t.threads), core_bits = id_bits(t.cores);
  return ((t.llcs - 1) << (core_bits + thread_bits)) | ((t.cores - 1) << thread_bits) | (t.threads - 1);
}

std::string topology_machine_error(const Topology& t, uint32_t memory_mb) {
  std::string shape = topo_compact(t);
  if (t.cpus() > kMaxPcCpus)
    return shape + " has " + std::to_string(t.cpus()) + " vCPUs; the QEMU machine (pc) holds at most " +
           std::to_string(kMaxPcCpus);
  if (uint32_t id = topology_max_apic_id(t); id > kMaxXapicId)
    return shape + " needs APIC IDs up to " + std::to_string(id) + " (QEMU rounds cores and threads per LLC up "
           "to powers of two); the QEMU machine (pc, xAPIC) takes at most " + std::to_string(kMaxXapicId);
  if (memory_mb % t.nodes != 0)
    return std::to_string(memory_mb) + " MiB of memory does not split evenly into " +
           plural(t.nodes, "NUMA node", "NUMA nodes") + ": give --memory a multiple of " + std::to_string(t.nodes);
  if (memory_mb / t.nodes < kMinNodeMemoryMb)
    return std::to_string(memory_mb) + " MiB of memory leaves less than " + std::to_string(kMinNodeMemoryMb) +
           " MiB per NUMA node (" + plural(t.nodes, "node", "nodes") + ")";
  return "";
}

std::optional<std::vector<uint32_t>> parse_cpulist(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::vector<uint32_t> cpus;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    if (comma != std::string_view::npos && text.empty()) return std::nullopt;  // trailing comma
    size_t dash = item.find('-');
    uint32_t lo = 0, hi = 0;
    auto num = [](std::string_view s, uint32_t& v) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return !s.empty() && ec == std::errc() && p == s.data() + s.size() && v < kMaxCpuNumber;
    };
    if (!num(item.substr(0, dash), lo)) return std::nullopt;
    hi = lo;
    if (dash != std::string_view::npos && !num(item.substr(dash + 1), hi)) return std::nullopt;
    if (hi < lo || cpus.size() + (hi - lo) >= kMaxCpuNumber) return std::nullopt;
    for (uint32_t c = lo; c <= hi; ++c) cpus.push_back(c);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string format_cpulist(const std::vector<uint32_t>& cpus) {
  std::string s;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    s += (s.empty() ? "" : ",") + std::to_string(cpus[i]);
    if (j > i) s += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return s;
}

TopologyView expected_view(const Topology& t) {
  return {runs(t.cpus(), t.cpus_per_node()), runs(t.cpus(), t.cpus_per_llc()), runs(t.cpus(), t.threads)};
}

std::string topology_difference(const Topology& want, const TopologyView& got) {
  TopologyView w = expected_view(want);
  // A kernel without NUMA support has no node directory: the same as one node. Without an L3
  // in sysfs, one LLC is what a scheduler assumes. Anything else must match exactly.
  bool nodes_ok = got.nodes == w.nodes || (got.nodes.empty() && want.nodes == 1);
  bool llcs_ok = got.llcs == w.llcs || (got.llcs.empty() && want.llcs == 1);
  if (got.cores != w.cores) {
    std::vector<uint32_t> all;
    for (const auto& c : got.cores)
      if (auto l = parse_cpulist(c)) all.insert(all.end(), l->begin(), l->end());
    std::sort(all.begin(), all.end());
    if (all.size() != want.cpus())
      return "asked for " + plural(want.cpus(), "vCPU", "vCPUs") + ", the guest has " +
             std::to_string(all.size()) + " online (" + format_cpulist(all) + ")";
  }
  if (!nodes_ok) return differ("NUMA node", "NUMA nodes", w.nodes, got.nodes);
  if (!llcs_ok) return differ("LLC", "LLCs", w.llcs, got.llcs);
  if (got.cores != w.cores)
    return "SMT siblings, " + plural(want.threads, "thread", "threads") + " per core: " +
           differ("core", "cores", w.cores, got.cores);
  return "";
}

std::string describe_view(const TopologyView& v) {
  size_t cpus = 0;
  bool smt = false;
  for (const auto& c : v.cores)
    if (auto l = parse_cpulist(c)) {
      cpus += l->size();
      smt |= l->size() > 1;
    }
  std::string s = plural(cpus, "vCPU", "vCPUs") + ", ";
  s += v.nodes.empty() ? std::string("no NUMA") : plural(v.nodes.size(), "node", "nodes") + " (" + group_text(v.nodes) + ")";
  s += ", ";
  s += v.llcs.empty() ? std::string("no LLC in sysfs") : plural(v.llcs.size(), "LLC", "LLCs") + " (" + group_text(v.llcs) + ")";
  s += smt ? ", SMT (" + group_text(v.cores) + ")" : ", no SMT";
  return s;
}

}  // namespace ktstr
