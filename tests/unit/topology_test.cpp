// Topology shapes: the three text forms, the checks before boot, the expected sysfs view and
// the difference a guest reports.
#include "ktstr/topology.hpp"

#include <gtest/gtest.h>

using namespace ktstr;

namespace {
Topology parse_ok(std::string_view text) {
  std::string err;
  auto t = parse_topology(text, err);
  EXPECT_TRUE(t) << text << ": " << err;
  return t.value_or(Topology{});
}
std::string parse_error(std::string_view text) {
  std::string err;
  EXPECT_FALSE(parse_topology(text, err)) << text;
  return err;
}
}  // namespace

// N,L,C,T and ktstr's compact NnLlCcTt name the same shape; L is the total LLC count.
TEST(Topology, CsvAndCompactForms) {
  Topology t = parse_ok("2,4,2,1");
  EXPECT_EQ(t, (Topology{2, 4, 2, 1}));
  EXPECT_EQ(parse_ok("2n4l2c1t"), t);
  EXPECT_EQ(t.cpus(), 8u);
  EXPECT_EQ(t.llcs_per_node(), 2u);
  EXPECT_EQ(t.cpus_per_node(), 4u);
  EXPECT_EQ(t.cpus_per_llc(), 2u);
  EXPECT_EQ(topo_csv(t), "2,4,2,1");
  EXPECT_EQ(topo_compact(t), "2n4l2c1t");
  EXPECT_EQ(parse_ok("2n4l4c2t").cpus(), 32u);  // ktstr's own example
}

// A preset name is the same shape as its compact form; all 24 of ktstr's x86_64 presets exist.
TEST(Topology, PresetsMatchTheirCompactForm) {
  EXPECT_EQ(topology_presets().size(), 24u);
  EXPECT_EQ(parse_ok("tiny-2llc"), parse_ok("1n2l2c1t"));
  EXPECT_EQ(parse_ok("smt-2llc"), parse_ok("1n2l2c2t"));
  EXPECT_EQ(parse_ok("numa2-4llc"), parse_ok("2n4l4c1t"));
  EXPECT_EQ(parse_ok("numa4-12llc"), parse_ok("4n12l8c2t"));
  for (const auto& p : topology_presets()) EXPECT_TRUE(topology_shape_error(p.topo).empty()) << p.name;
}

// Bad text and impossible shapes are refused with a message naming the problem.
TEST(Topology, RefusesBadShapes) {
  EXPECT_NE(parse_error("2,4,0,1").find("1..4096"), std::string::npos);
  EXPECT_NE(parse_error("0n1l1c1t").find("1..4096"), std::string::npos);
  EXPECT_NE(parse_error("2,3,2,1").find("3 LLCs do not divide among 2 nodes"), std::string::npos);
  for (const char* bad : {"", "2,4,2", "2,4,2,1,1", "2,4,2,x", "2n4l2c", "2n4l2c1", "2n4l2c1tt", "-1,1,1,1",
                          " 1,1,1,1", "1,1,1,99999", "tiny-9llc", "2N4L2C1T"})
    EXPECT_NE(parse_error(bad).find("expected N,L,C,T"), std::string::npos) << bad;
  EXPECT_NE(parse_error("4096,4096,4096,4096").find("more than"), std::string::npos);
}

// Red-team N59: a mistyped preset name gets the closest preset suggested; text that is no preset's
// typo gets none.
TEST(Topology, SuggestsTheClosestPreset) {
  EXPECT_EQ(ktstr::closest_preset("numa2-4lcc"), "numa2-4llc");  // two letters swapped
  EXPECT_EQ(ktstr::closest_preset("NUMA2-4LLC"), "numa2-4llc");
  EXPECT_EQ(ktstr::closest_preset("tiny-llc"), "tiny-1llc");
  EXPECT_EQ(ktstr::closest_preset("medium-4llc-nosm"), "medium-4llc-nosmt");
  EXPECT_EQ(ktstr::closest_preset("2,4,2"), "");
  EXPECT_EQ(ktstr::closest_preset("quantum"), "");
  EXPECT_EQ(ktstr::closest_preset(""), "");
  EXPECT_NE(parse_error("numa2-4lcc").find("did you mean 'numa2-4llc'?"), std::string::npos);
  EXPECT_EQ(parse_error("2,4,2").find("did you mean"), std::string::npos);
}

// QEMU's pc machine: at most 255 vCPUs, xAPIC IDs up to 254 (fields rounded to powers of two),
// memory split evenly into nodes.
TEST(Topology, ApicIdsGiveEachFieldAPowerOfTwo) {
  EXPECT_EQ(topology_max_apic_id({2, 4, 2, 1}), 7u);
  EXPECT_EQ(topology_max_apic_id({1, 3, 3, 1}), 10u);  // 3 cores take 2 bits: LLC 2 starts at 8
}

TEST(Topology, PcMachineTakesAtMost255Vcpus) {
  EXPECT_EQ(topology_machine_error({2, 4, 2, 1}, 1024), "");
  EXPECT_NE(topology_machine_error({1, 16, 16, 2}, 1024).find("512 vCPUs"), std::string::npos);
}

TEST(Topology, PcMachineTakesApicIdsUpTo254) {
  // max-cpu (1n14l9c2t): 252 vCPUs, but 9 cores take 4 bits: IDs reach 433.
  std::string e = topology_machine_error(parse_ok("max-cpu"), 1024);
  EXPECT_NE(e.find("APIC IDs up to 433"), std::string::npos) << e;
  EXPECT_EQ(topology_machine_error(parse_ok("near-max-llc"), 1024), "");  // 240 vCPUs, IDs to 239
}

TEST(Topology, MemorySplitsEvenlyIntoNodesOfAtLeast64MiB) {
  EXPECT_NE(topology_machine_error({4, 8, 4, 1}, 1026).find("multiple of 4"), std::string::npos);
  EXPECT_NE(topology_machine_error({4, 8, 4, 1}, 128).find("less than 64 MiB"), std::string::npos);
}

// sysfs CPU lists round-trip; malformed ones are refused.
TEST(Topology, CpuListsRoundTripAndMalformedOnesAreRefused) {
  EXPECT_EQ(parse_cpulist("0-3,8-11\n"), (std::vector<uint32_t>{0, 1, 2, 3, 8, 9, 10, 11}));
  EXPECT_EQ(parse_cpulist(""), std::vector<uint32_t>{});
  EXPECT_EQ(format_cpulist(*parse_cpulist("5,0-1,2,7")), "0-2,5,7");
  EXPECT_EQ(format_cpulist({}), "");
  for (const char* bad : {"a", "1-", "-1", "3-1", "1,", "1,,2", "0-99999999"})
    EXPECT_FALSE(parse_cpulist(bad)) << bad;
}

// The view a guest must show, CPUs numbered sequentially with threads innermost.
TEST(Topology, ExpectedViewNumbersCpusWithThreadsInnermost) {
  TopologyView v = expected_view({2, 4, 2, 1});
  EXPECT_EQ(v.nodes, (std::vector<std::string>{"0-3", "4-7"}));
  EXPECT_EQ(v.llcs, (std::vector<std::string>{"0-1", "2-3", "4-5", "6-7"}));
  EXPECT_EQ(v.cores, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7"}));
  v = expected_view({1, 2, 2, 2});
  EXPECT_EQ(v.nodes, (std::vector<std::string>{"0-7"}));
  EXPECT_EQ(v.llcs, (std::vector<std::string>{"0-3", "4-7"}));
  EXPECT_EQ(v.cores, (std::vector<std::string>{"0-1", "2-3", "4-5", "6-7"}));
}

// A guest that got a different machine is told so, naming the first difference.
TEST(Topology, DifferenceNamesWhatTheGuestLacks) {
  Topology want{2, 4, 2, 1};
  TopologyView got = expected_view(want);
  EXPECT_EQ(topology_difference(want, got), "");

  TopologyView flat = got;  // numa=off: one node holds every CPU
  flat.nodes = {"0-7"};
  EXPECT_EQ(topology_difference(want, flat), "asked for 2 NUMA nodes (0-3 | 4-7), the guest has 1 (0-7)");

  TopologyView no_numa = got;  // a kernel without CONFIG_NUMA
  no_numa.nodes = {};
  EXPECT_EQ(topology_difference(want, no_numa), "asked for 2 NUMA nodes (0-3 | 4-7), the guest has 0");
  EXPECT_EQ(topology_difference({1, 4, 2, 1}, no_numa), "");  // one node needs no NUMA

  TopologyView one_l3 = got;
  one_l3.llcs = {"0-3", "4-7"};
  EXPECT_EQ(topology_difference(want, one_l3), "asked for 4 LLCs (0-1 | 2-3 | 4-5 | 6-7), the guest has 2 (0-3 | 4-7)");

  TopologyView fewer = got;
  fewer.cores = {"0", "1", "2", "3"};
  EXPECT_EQ(topology_difference(want, fewer), "asked for 8 vCPUs, the guest has 4 online (0-3)");

  Topology smt{1, 2, 2, 2};
  TopologyView no_smt = expected_view(smt);
  no_smt.cores = expected_view({1, 2, 4, 1}).cores;
  EXPECT_EQ(topology_difference(smt, no_smt),
            "SMT siblings, 2 threads per core: asked for 4 cores (0-1 | 2-3 | 4-5 | 6-7), the guest has 8 "
            "(0 | 1 | 2 | 3 | 4 | 5 | 6 | 7)");

  TopologyView moved = got;  // same counts, other CPUs
  moved.nodes = {"0-2", "3-7"};
  EXPECT_EQ(topology_difference(want, moved), "NUMA nodes: asked for 0-3 | 4-7, the guest has 0-2 | 3-7");
}

// What a view says to a person: counts, the CPUs of each node and LLC, and SMT siblings.
TEST(Topology, DescriptionNamesNodesLlcsAndSmt) {
  EXPECT_EQ(describe_view(expected_view({2, 4, 2, 1})),
            "8 vCPUs, 2 nodes (0-3 | 4-7), 4 LLCs (0-1 | 2-3 | 4-5 | 6-7), no SMT");
  EXPECT_EQ(describe_view(expected_view({1, 2, 2, 2})),
            "8 vCPUs, 1 node (0-7), 2 LLCs (0-3 | 4-7), SMT (0-1 | 2-3 | 4-5 | 6-7)");
  EXPECT_EQ(describe_view({{}, {}, {"0"}}), "1 vCPU, no NUMA, no LLC in sysfs, no SMT");
}
