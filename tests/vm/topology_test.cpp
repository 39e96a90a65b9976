// Topology-shaped VMs: the guest gets the NUMA nodes, LLCs and SMT siblings asked for, init's
// TOPO frame reports them, a scheduler attaches on them, and a machine that is not the shape
// asked for fails the run. 8 vCPUs boot slowly under TCG: these tests are few on purpose.
#include <gtest/gtest.h>

#include "vm_harness.hpp"

using ktstr::vmtest::run_vm;

namespace {

// What a scheduler reads: one line per node, then each CPU's LLC and SMT siblings.
constexpr const char* kSysfsView =
    "for n in /sys/devices/system/node/node*; do echo \"${n##*/}=$(cat $n/cpulist)\"; done; "
    "cd /sys/devices/system/cpu; "
    "echo llc $(for c in cpu[0-9]*; do cat $c/cache/index3/shared_cpu_list; done | sort -n | uniq); "
    "echo smt $(for c in cpu[0-9]*; do cat $c/topology/thread_siblings_list; done | sort -n | uniq); "
    "cat /sys/kernel/sched_ext/root/ops";

std::vector<std::string> list(const nlohmann::json& j) { return j.get<std::vector<std::string>>(); }

// scx_simple on the shape, the payload printing kSysfsView.
ktstr::vmtest::VmResult run_shape(const std::string& topology) {
  return run_vm({"--topology", topology, "--scheduler", "scx_simple", "--", "sh", "-c", kSysfsView});
}

// The one TOPO frame init sent (null if not exactly one).
nlohmann::json topo_frame(const ktstr::vmtest::VmResult& r) {
  auto t = r.of("TOPO");
  return t.size() == 1 ? t[0]->json : nlohmann::json();
}

}  // namespace

// 2n4l2c1t: two nodes of two LLCs of two cores; scx_simple attaches on it.
TEST(VmTopology, TwoNodesFourLlcs) {
  auto r = run_shape("2n4l2c1t");
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "node0=0-3\nnode1=4-7\nllc 0-1 2-3 4-5 6-7\nsmt 0 1 2 3 4 5 6 7\nsimple\n");
  auto topo = topo_frame(r);
  ASSERT_TRUE(topo.is_object()) << r.describe();
  EXPECT_EQ(topo["asked"], "2,4,2,1");
  EXPECT_EQ(list(topo["nodes"]), (std::vector<std::string>{"0-3", "4-7"}));
  EXPECT_EQ(list(topo["llcs"]), (std::vector<std::string>{"0-1", "2-3", "4-5", "6-7"}));
  EXPECT_EQ(topo["difference"], "");
  EXPECT_EQ(r.report["topology"]["asked"], "2,4,2,1");
  EXPECT_NE(r.event("SCHD", "attached"), nullptr) << r.describe();
}

// The preset smt-2llc is 1n2l2c2t (= 1,2,2,2): two LLCs of two cores with two threads each.
TEST(VmTopology, SmtPresetIsItsCompactShape) {
  auto r = run_shape("smt-2llc");
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "node0=0-7\nllc 0-3 4-7\nsmt 0-1 2-3 4-5 6-7\nsimple\n");
  auto topo = topo_frame(r);
  ASSERT_TRUE(topo.is_object()) << r.describe();
  EXPECT_EQ(topo["asked"], "1,2,2,2");
  EXPECT_EQ(list(topo["cores"]), (std::vector<std::string>{"0-1", "2-3", "4-5", "6-7"}));
}

// numa=off folds two nodes into one: the run fails with 125 naming the difference, and the
// payload never runs on the wrong machine.
TEST(VmTopology, MachineOfAnotherShapeFails) {
  auto r = run_vm({"--topology", "2,2,1,1", "--append", "numa=off", "--", "echo", "ran"});
  ASSERT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.report["reason"], "topology: asked for 2 NUMA nodes (0 | 1), the guest has 1 (0-1)") << r.describe();
  auto topo = topo_frame(r);
  ASSERT_TRUE(topo.is_object()) << r.describe();
  EXPECT_EQ(list(topo["nodes"]), std::vector<std::string>{"0-1"});
}

// Bad shapes never boot: ktstr-vm refuses them with a message naming the problem.
TEST(VmTopology, BadShapesAreRefusedBeforeBoot) {
  auto r = run_vm({"--topology", "2,3,2,1", "--", "true"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("3 LLCs do not divide among 2 nodes"), std::string::npos) << r.err;
  EXPECT_TRUE(r.frames.empty());
  r = run_vm({"--topology", "2,2,1,1", "--memory", "1025", "--", "true"});
  EXPECT_NE(r.err.find("does not split evenly into 2 NUMA nodes"), std::string::npos) << r.err;
  EXPECT_TRUE(r.frames.empty());
}
