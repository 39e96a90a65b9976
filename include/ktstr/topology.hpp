// vCPU topology: NUMA nodes, LLCs, cores per LLC, threads per core, in ktstr's terms, so its
// users' shapes carry over unchanged. Pure logic shared by the host (parse --topology, map to
// QEMU) and init (KTSTR_TOPO, compare with what sysfs shows).
//
// CPUs are numbered sequentially, threads innermost: CPU = ((llc * C) + core) * T + thread, and
// node n holds LLCs [n*L/N, (n+1)*L/N). QEMU gives exactly this with one socket per LLC.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ktstr {

struct Topology {
  uint32_t nodes = 0, llcs = 0, cores = 0, threads = 0;  // llcs: TOTAL, a multiple of nodes
  bool set() const { return nodes != 0; }
  uint32_t cpus() const { return llcs * cores * threads; }
  uint32_t llcs_per_node() const { return llcs / nodes; }
  uint32_t cpus_per_node() const { return cpus() / nodes; }
  uint32_t cpus_per_llc() const { return cores * threads; }
  bool operator==(const Topology&) const = default;
};

// "N,L,C,T" (the KTSTR_TOPO value) and ktstr's compact "NnLlCcTt".
std::string topo_csv(const Topology& t);
std::string topo_compact(const Topology& t);

// One of ktstr's named shapes (x86_64 presets).
struct TopologyPreset {
  std::string_view name;
  Topology topo;
};
std::span<const TopologyPreset> topology_presets();

// The preset name `text` is most likely a typo of (a few edits away, case ignored), for a
// "did you mean"; empty if none is close.
std::string_view closest_preset(std::string_view text);

// Parses "N,L,C,T", "NnLlCcTt" or a preset name, then checks the shape (see topology_shape_error).
// Returns nullopt with a message in `error` if the text is none of these or the shape is bad.
std::optional<Topology> parse_topology(std::string_view text, std::string& error);

// Why the shape is impossible, empty if it is fine: a zero, or LLCs that do not divide among
// the nodes. Every count is at most 4096 (untrusted text must not overflow cpus()).
std::string topology_shape_error(const Topology& t);

// Why QEMU's `-machine pc` cannot hold this shape with this much memory, empty if it can: more
// than 255 vCPUs, or an xAPIC ID above 254 (QEMU packs socket/core/thread into ID bit fields,
// each rounded up to a power of two), or memory that does not split evenly into nodes of at
// least kMinNodeMemoryMb.
inline constexpr uint32_t kMaxPcCpus = 255;
inline constexpr uint32_t kMaxXapicId = 254;
inline constexpr uint32_t kMinNodeMemoryMb = 64;
uint32_t topology_max_apic_id(const Topology& t);
std::string topology_machine_error(const Topology& t, uint32_t memory_mb);

// CPU lists as sysfs writes them ("0-3,8-11"): parsed into sorted CPU numbers, written back in
// the canonical form. parse_cpulist returns nullopt for malformed text.
std::optional<std::vector<uint32_t>> parse_cpulist(std::string_view text);
std::string format_cpulist(const std::vector<uint32_t>& cpus);

// What a guest sees, as CPU lists: one per NUMA node (in node order), one per LLC and one per
// core (SMT siblings), groups ordered by their first CPU.
struct TopologyView {
  std::vector<std::string> nodes, llcs, cores;
  bool operator==(const TopologyView&) const = default;
};

// The view a guest must show for this shape.
TopologyView expected_view(const Topology& t);

// The first difference between what was asked for and what the guest saw, as a sentence
// ("asked for 2 NUMA nodes (0-3 | 4-7), the guest has 1 (0-7)"); empty if they match.
std::string topology_difference(const Topology& want, const TopologyView& got);

// "2 nodes (0-3 | 4-7), 4 LLCs (0-1 | 2-3 | 4-5 | 6-7), no SMT": for MOTD and logs.
std::string describe_view(const TopologyView& v);

}  // namespace ktstr
