// Kernel health classification (src/host/verdict/splat.cpp) on kernel log records. Records marked
// "recorded" were read from /dev/kmsg in a ktstr-vm guest (Debian 7.3.4 cloud kernel, scheduler
// scx_ktstr_test with -e 1500, with -s 500 -t 3000, and stopped with SIGINT); the others follow
// the kernel's printk formats (file named beside each).
#include "splat.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace ktstr::host {
namespace {

KmsgRecord rec(std::string_view raw) {
  auto r = parse_kmsg_record(raw);
  EXPECT_TRUE(r.has_value()) << raw;
  return r.value_or(KmsgRecord{});
}

// A kernel-facility record at level `prio` with the given message.
KmsgRecord kern(std::string msg, int prio = 4, uint64_t seq = 1, uint64_t ts_us = 1000) {
  KmsgRecord r;
  r.prio = prio;
  r.seq = seq;
  r.ts_us = ts_us;
  r.flags = "-";
  r.msg = std::move(msg);
  return r;
}

std::string rule_of(const SplatClassifier& c, const KmsgRecord& r) {
  const SplatRule* rule = c.match(r);
  return rule ? rule->name : "";
}

// Recorded: scx_ktstr_test -e 1500 (scx_bpf_error), first lines of its backtrace.
const char* const kErrorExit[] = {
    "6,354,2783769,-;sched_ext: BPF scheduler \"ktstr_test\" enabled\n",
    "3,355,4303614,-;sched_ext: BPF scheduler \"ktstr_test\" disabled (scx_bpf_error)\n",
    "3,356,4303705,-;sched_ext: ktstr_test: scx_ktstr_test.bpf.c:88: ktstr_test: injected error after 1500 ms\n",
    "4,357,4303759,-;   scx_exit_bstr+0xdd/0x110\n",
    "4,358,4303834,-;   scx_bpf_error_bstr+0x60/0xa0\n",
    "4,359,4303839,-;   bpf_prog_e6bbffacfdb1dd72_error_timerfn+0x90/0x9a\n",
    "4,360,4303858,-;   bpf_timer_cb+0x6d/0xc0\n",
};

// Recorded: scx_ktstr_test -s 500 -t 3000 with a busy "ktstr_stall" task; the payload also wrote
// two lines to /dev/kmsg (facility 1).
const char* const kStallExit[] = {
    "14,353,2437645,-;ktstr-init: clock reference boottime_ns=2423874369\n",
    "4,354,2974345,-;sched_ext: ktstr_test: watchdog timeout 3000ms <= rescue overload threshold 4096ms\n",
    "6,355,3032387,-;sched_ext: BPF scheduler \"ktstr_test\" enabled\n",
    "12,356,3066310,-;WARNING: fake from userspace\n",
    "11,357,3067348,-;BUG: user with bytes \\x5c \\x09 \\xc3\\xa9\n",
    "3,358,7652432,-;sched_ext: BPF scheduler \"ktstr_test\" disabled (runnable task stall)\n",
    "3,359,7652515,-;sched_ext: ktstr_test: ktstr_stall[106] failed to run for 4.020s\n",
    "4,360,7652561,-;   scx_vexit+0x6d/0xa0\n",
    "4,361,7652636,-;   __scx_exit+0x4f/0x70\n",
    "4,362,7652642,-;   scx_watchdog_workfn+0x1b6/0x260\n",
    "4,363,7652648,-;   process_one_work+0x1cd/0x3c0\n",
    "4,364,7652655,-;   worker_thread+0x1af/0x320\n",
    "4,365,7652661,-;   kthread+0xe5/0x120\n",
    "4,366,7652666,-;   ret_from_fork+0x2bc/0x350\n",
    "4,367,7652674,-;   ret_from_fork_asm+0x1a/0x30\n",
};

// Recorded: a clean boot's records of every level, including the only warning-level one and
// tab-escaped RCU notes; none is a splat.
const char* const kCleanBoot[] = {
    "5,0,0,-;Linux version 7.3.4+deb13-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 7.3.4-1~bpo13+1 (2026-11-15)\n",
    "5,82,47226,-;Kernel command line: console=ttyS0 reboot=k panic=-1 loglevel=4 quiet\n",
    "6,95,111497,-;rcu: \\x09RCU restricting CPUs from NR_CPUS=8192 to nr_cpu_ids=2.\n",
    "6,97,111602,-;\\x09Rude variant of Tasks RCU enabled.\n",
    "6,174,852660,-;PCI: Using host bridge windows from ACPI; if necessary, use \"pci=nocrs\" and report a bug\n",
    "4,178,871919,-;acpi PNP0A03:00: fail to add MMCONFIG information, can't access extended configuration space under this bridge\n SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A03:00\n",
    "6,346,2128994,-;x86/mm: Checked W+X mappings: passed, no W+X pages found.\n",
    "6,347,2129197,-;Run /init as init process\n",
    "7,348,2129262,-;  with arguments:\n",
    "6,354,2905280,-;sched_ext: BPF scheduler \"ktstr_test\" enabled\n",
    "6,355,4002193,-;sched_ext: BPF scheduler \"ktstr_test\" disabled (unregistered from user space)\n",
};

// Each built-in deny rule, on a line in the kernel's format.
TEST(SplatClassifier, MatchesEachDenyPattern) {
  SplatClassifier c;
  struct Case {
    const char* msg;
    const char* rule;
  };
  const Case cases[] = {
      {"WARNING: kernel/sched/ext/ext.c:4321 at scx_root_disable+0x5a/0x330, CPU#1: kworker/u8:2/87",
       "WARNING"},                                                          // panic.c __warn()
      {"WARNING: at scx_root_disable+0x5a/0x330, CPU#1: kworker/u8:2/87", "WARNING"},
      {"WARNING: possible circular locking dependency detected", "WARNING"},  // lockdep
      {"BUG: kernel NULL pointer dereference, address: 0000000000000008", "BUG"},  // x86 fault.c
      {"BUG: sleeping function called from invalid context at kernel/sched/ext.c:123", "BUG"},
      {"BUG: KCSAN: data-race in scx_tick / scx_enqueue", "BUG"},
      {"kernel BUG at mm/slub.c:435!", "kernel BUG"},                        // lib/bug.c
      {"Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI", "Oops"},                  // x86 dumpstack.c
      {"Oops: int3: 0000 [#1] PREEMPT SMP NOPTI", "Oops"},
      {"invalid opcode: 0000 [#1] PREEMPT SMP NOPTI", "Oops"},              // before 6.9
      {"Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP", "Oops"},  // arm64
      {"Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 "
       "[#1] PREEMPT SMP NOPTI",
       "general protection fault"},
      {"UBSAN: array-index-out-of-bounds in kernel/sched/ext/ext.c:1234:5", "UBSAN"},  // lib/ubsan.c
      {"BUG: KASAN: slab-use-after-free in scx_task_iter_next+0x3c/0x90", "KASAN"},
      {"KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]", "KASAN"},
      {"watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [ktstr_stall:106]", "soft lockup"},
      {"watchdog: CPU1: Watchdog detected hard LOCKUP on cpu 1", "hard LOCKUP"},
      {"rcu: INFO: rcu_sched self-detected stall on CPU", "RCU stall"},
      {"rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "RCU stall"},
      {"rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21 jiffies s: 285", "RCU stall"},
      {"INFO: rcu_tasks detected stalls on tasks:", "RCU stall"},
      {"INFO: task kworker/0:1:12 blocked for more than 122 seconds.", "hung task"},  // hung_task.c
      {"INFO: task sync:123 blocked in I/O wait for more than 245 seconds.", "hung task"},
      {"Kernel panic - not syncing: Fatal exception", "Kernel panic"},     // panic.c
      {"sched_ext: BPF scheduler \"ktstr_test\" disabled (runnable task stall)", "sched_ext stall"},
      {"sched_ext: BPF scheduler \"ktstr_test\" disabled (scx_bpf_error)", "sched_ext error"},
      {"sched_ext: BPF scheduler \"ktstr_test\" disabled (runtime error)", "sched_ext error"},
      {"sched_ext: BPF scheduler \"ktstr_test\" disabled (reenqueue limit)", "sched_ext error"},
      {"sched_ext: BPF sub-scheduler \"child\" disabled (rescue bandwidth overload)", "sched_ext error"},
      {"sched_ext: BPF scheduler \"ktstr_test\" disabled (<UNKNOWN>)", "sched_ext error"},
      {"sched_ext: ops error detected without ops (stall)", "sched_ext error"},
  };
  for (const Case& k : cases) EXPECT_EQ(rule_of(c, kern(k.msg)), k.rule) << k.msg;
}

// Lines that resemble splats but are not: clean sched_ext exits, the end and context lines of a
// report ("Call Trace:" alone is not a splat), advisories that only contain a keyword.
TEST(SplatClassifier, IgnoresLookAlikes) {
  SplatClassifier c;
  for (const char* msg : {
           "sched_ext: BPF scheduler \"ktstr_test\" disabled (unregistered from user space)",
           "sched_ext: BPF scheduler \"ktstr_test\" disabled (unregistered from BPF)",
           "sched_ext: BPF scheduler \"ktstr_test\" disabled (unregistered from the main kernel)",
           "sched_ext: BPF scheduler \"ktstr_test\" disabled (disabled by sysrq-S)",
           "sched_ext: BPF sub-scheduler \"child\" disabled (parent exiting)",
           "sched_ext: BPF sub-scheduler \"child\" disabled (killed by parent scheduler)",
           "sched_ext: BPF scheduler \"ktstr_test\" enabled",
           "sched_ext: ktstr_test: ktstr_stall[106] failed to run for 4.020s",  // detail of the exit
           "Call Trace:",
           " <TASK>",
           "------------[ cut here ]------------",
           "---[ end trace 0000000000000000 ]---",
           "---[ end Kernel panic - not syncing: Fatal exception ]---",
           "Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via "
           "Spectre v2 BHB attacks!",
           "=====\nWARNING: The mand mount option has been deprecated",  // embedded line, not the start
           "PCI: Using host bridge windows from ACPI; if necessary, use \"pci=nocrs\" and report a bug",
       }) {
    EXPECT_EQ(rule_of(c, kern(msg)), "") << msg;
  }
  for (const char* raw : kCleanBoot) EXPECT_FALSE(c.classify(rec(raw)).has_value()) << raw;
}

// The classifier and the exit parser share one list of clean reasons: a "disabled" record is a
// splat exactly when parse_sched_ext_exit calls it an error exit, for every reason the kernel
// prints and for an ops name that itself contains '" disabled ('.
TEST(SplatClassifier, CallsADisabledRecordASplatExactlyWhenTheParserCallsItAnError) {
  SplatClassifier c;
  for (const char* reason : {"unregistered from user space", "unregistered from BPF",
                             "unregistered from the main kernel", "disabled by sysrq-S", "parent exiting",
                             "killed by parent scheduler", "runtime error", "scx_bpf_error", "runnable task stall",
                             "reenqueue limit",
                             "rescue bandwidth overload", "<UNKNOWN>", "unregistered from user spaces",
                             "parent exiting) (x"}) {
    for (const char* ops : {"ktstr_test", "a\" disabled (runtime error"}) {
      KmsgRecord r = kern(std::string("sched_ext: BPF scheduler \"") + ops + "\" disabled (" + reason + ")");
      auto exit = parse_sched_ext_exit(r);
      ASSERT_TRUE(exit.has_value()) << r.msg;
      EXPECT_EQ(exit->error, is_clean_sched_ext_reason(reason) == false) << r.msg;
      EXPECT_EQ(rule_of(c, r).empty(), !exit->error) << r.msg;
    }
  }
}

// Lines written to /dev/kmsg from user space have facility 1 (or another non-zero one): never
// kernel splats, whatever they say.
TEST(SplatClassifier, IgnoresUserspaceRecords) {
  SplatClassifier c;
  KmsgRecord warn = rec(kStallExit[3]);
  KmsgRecord bug = rec(kStallExit[4]);
  ASSERT_EQ(warn.facility, 1);
  EXPECT_FALSE(c.classify(warn).has_value());
  EXPECT_FALSE(c.classify(bug).has_value());
  KmsgRecord local0 = kern("Kernel panic - not syncing: from a daemon");
  local0.facility = 16;  // LOG_LOCAL0
  EXPECT_FALSE(c.classify(local0).has_value());
  // The same text from the kernel does count.
  warn.facility = 0;
  EXPECT_EQ(rule_of(c, warn), "WARNING");
}

// The recorded rescue-threshold advisory stays allowed even under a broad user deny rule.
TEST(SplatClassifier, AllowListWinsOverDeny) {
  SplatClassifier c;
  KmsgRecord advisory = rec(kStallExit[1]);
  EXPECT_FALSE(c.classify(advisory).has_value());
  c.add_deny("^sched_ext: ", "any sched_ext line");
  EXPECT_FALSE(c.classify(advisory).has_value());
  EXPECT_FALSE(c.classify(kern("sched_ext: x: rescue funding period 50ms > overload threshold 64ms / 2"))
                   .has_value());
  EXPECT_EQ(rule_of(c, rec(kErrorExit[2])), "any sched_ext line");
  // A user allow rule exempts a built-in deny match.
  c.add_allow("^WARNING: .* at known_noise\\+");
  EXPECT_FALSE(c.classify(kern("WARNING: a.c:1 at known_noise+0x1/0x2, CPU#0: sh/1")).has_value());
  EXPECT_TRUE(c.classify(kern("WARNING: a.c:1 at other+0x1/0x2, CPU#0: sh/1")).has_value());
}

// A user deny rule turns a recorded warning-level line into a splat named after its pattern.
TEST(SplatClassifier, UserDenyRule) {
  SplatClassifier c;
  KmsgRecord mmconfig = rec(kCleanBoot[5]);
  EXPECT_FALSE(c.classify(mmconfig).has_value());
  c.add_deny("fail to add MMCONFIG");
  auto s = c.classify(mmconfig);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->rule, "fail to add MMCONFIG");
  EXPECT_EQ(s->seq, 178u);
  EXPECT_EQ(s->ts_us, 871919u);
  EXPECT_EQ(s->lines, std::vector<std::string>{s->first_line});
  EXPECT_THROW(c.add_deny("(unclosed"), std::runtime_error);
}

class SplatRuleFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/splat_rules_XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
  }
  void TearDown() override { unlink(path_.c_str()); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::string path_;
};

// deny/allow lines, comments, blank lines, CRLF and surrounding blanks.
TEST_F(SplatRuleFile, LoadsRules) {
  write("# kernel health rules\n\n  deny   fail to add MMCONFIG  \r\nallow ^acpi PNP0A03:00: fail\n"
        "deny ^Out of memory: Killed process\n");
  SplatClassifier c;
  size_t deny = c.deny_rules().size(), allow = c.allow_rules().size();
  c.load_file(path_);
  EXPECT_EQ(c.deny_rules().size(), deny + 2);
  EXPECT_EQ(c.allow_rules().size(), allow + 1);
  EXPECT_EQ(c.deny_rules()[deny].name, "fail to add MMCONFIG");
  EXPECT_FALSE(c.classify(rec(kCleanBoot[5])).has_value());  // allowed
  EXPECT_EQ(rule_of(c, kern("Out of memory: Killed process 123 (stress)")), "^Out of memory: Killed process");
}

// A bad regex or keyword names file:line; a missing file names the file.
TEST_F(SplatRuleFile, ReportsErrorsWithLocation) {
  auto message = [&](const std::string& text) -> std::string {
    write(text);
    SplatClassifier c;
    try {
      c.load_file(path_);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message("# ok\ndeny (unclosed\n").rfind(path_ + ":2: bad regex '(unclosed'", 0), 0u);
  EXPECT_EQ(message("deny a\nblock b\n").rfind(path_ + ":2: expected 'deny REGEX' or 'allow REGEX'", 0), 0u);
  EXPECT_EQ(message("deny\n").rfind(path_ + ":1: expected", 0), 0u);
  SplatClassifier c;
  try {
    c.load_file(path_ + ".missing");
    FAIL() << "no error for a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path_ + ".missing: cannot open", 0), 0u);
  }
}

// Recorded runs: the disabled line opens the splat; message and backtrace join it; the payload's
// facility-1 lines and the allowed advisory do not appear.
TEST(SplatCollector, GroupsRecordedSchedExtExits) {
  SplatClassifier c;
  SplatCollector stall(c);
  for (const char* raw : kStallExit) stall.feed(rec(raw));
  ASSERT_EQ(stall.splats().size(), 1u);
  const Splat& s = stall.splats()[0];
  EXPECT_EQ(s.rule, "sched_ext stall");
  EXPECT_EQ(s.first_line, "sched_ext: BPF scheduler \"ktstr_test\" disabled (runnable task stall)");
  EXPECT_EQ(s.seq, 358u);
  EXPECT_EQ(s.ts_us, 7652432u);
  ASSERT_EQ(s.lines.size(), 10u);
  EXPECT_EQ(s.lines[1], "sched_ext: ktstr_test: ktstr_stall[106] failed to run for 4.020s");
  EXPECT_EQ(s.lines[9], "   ret_from_fork_asm+0x1a/0x30");
  EXPECT_TRUE(stall.collecting());

  SplatCollector error(c);
  for (const char* raw : kErrorExit) error.feed(rec(raw));
  ASSERT_EQ(error.splats().size(), 1u);
  EXPECT_EQ(error.splats()[0].rule, "sched_ext error");
  EXPECT_EQ(error.splats()[0].lines.size(), 6u);

  SplatCollector clean(c);
  for (const char* raw : kCleanBoot) clean.feed(rec(raw));
  EXPECT_TRUE(clean.splats().empty());
  EXPECT_FALSE(clean.collecting());
}

// A WARN report from "cut here" to "end trace" is one splat; what follows is not part of it.
TEST(SplatCollector, EndsAtEndTrace) {
  SplatClassifier c;
  SplatCollector col(c);
  const char* const report[] = {
      "------------[ cut here ]------------",
      "WARNING: kernel/sched/ext/ext.c:4321 at scx_root_disable+0x5a/0x330, CPU#1: kworker/u8:2/87",
      "Modules linked in:",
      "CPU: 1 UID: 0 PID: 87 Comm: kworker/u8:2 Not tainted 7.3.4+deb13-cloud-amd64 #1",
      "RIP: 0010:scx_root_disable+0x5a/0x330",
      "Call Trace:",
      " <TASK>",
      " process_one_work+0x1cd/0x3c0",
      " </TASK>",
      "---[ end trace 0000000000000000 ]---",
      "sched_ext: BPF scheduler \"ktstr_test\" disabled (unregistered from user space)",
  };
  uint64_t seq = 10;
  for (const char* msg : report) {
    col.feed(kern(msg, 4, seq, 5000 + seq));
    ++seq;
  }
  ASSERT_EQ(col.splats().size(), 1u);
  const Splat& s = col.splats()[0];
  EXPECT_EQ(s.rule, "WARNING");
  EXPECT_EQ(s.seq, 11u);
  EXPECT_EQ(s.lines.size(), 9u);
  EXPECT_EQ(s.lines.back(), "---[ end trace 0000000000000000 ]---");
  EXPECT_FALSE(col.collecting());
  ASSERT_EQ(col.sched_exits().size(), 1u);
  EXPECT_FALSE(col.sched_exits()[0].error);
}

// Bounded collection: at most kMaxLines lines, nothing later than kMaxSpanUs after the first.
TEST(SplatCollector, BoundsLinesAndTime) {
  SplatClassifier c;
  SplatCollector lines(c);
  lines.feed(kern("BUG: kernel NULL pointer dereference, address: 0000000000000008", 1, 1, 0));
  for (uint64_t i = 0; i < 100; ++i) lines.feed(kern(" frame+0x1/0x2", 4, 2 + i, 10 + i));
  ASSERT_EQ(lines.splats().size(), 1u);
  EXPECT_EQ(lines.splats()[0].lines.size(), SplatCollector::kMaxLines);
  EXPECT_FALSE(lines.collecting());

  SplatCollector time(c);
  time.feed(kern("UBSAN: shift-out-of-bounds in kernel/x.c:1:2", 3, 1, 1'000'000));
  time.feed(kern("shift exponent 64 is too large", 3, 2, 1'000'100));
  time.feed(kern("later, unrelated", 6, 3, 1'000'000 + SplatCollector::kMaxSpanUs + 1));
  ASSERT_EQ(time.splats().size(), 1u);
  EXPECT_EQ(time.splats()[0].lines.size(), 2u);
  EXPECT_FALSE(time.collecting());
}

// A second deny match opens its own splat (an Oops followed by the panic it causes); user-space
// records in between are skipped.
TEST(SplatCollector, NextSplatStartsNewOne) {
  SplatClassifier c;
  SplatCollector col(c);
  col.feed(kern("Oops: int3: 0000 [#1] PREEMPT SMP NOPTI", 4, 1, 100));
  col.feed(rec("12,2,150,-;WARNING: fake from userspace\n"));
  col.feed(kern("RIP: 0010:__static_call_return0+0x0/0x10", 4, 3, 200));
  col.feed(kern("Kernel panic - not syncing: Fatal exception in interrupt", 0, 4, 300));
  col.feed(kern("---[ end Kernel panic - not syncing: Fatal exception in interrupt ]---", 0, 5, 400));
  ASSERT_EQ(col.splats().size(), 2u);
  EXPECT_EQ(col.splats()[0].rule, "Oops");
  EXPECT_EQ(col.splats()[0].lines.size(), 2u);
  EXPECT_EQ(col.splats()[1].rule, "Kernel panic");
  EXPECT_EQ(col.splats()[1].lines.size(), 2u);
  EXPECT_FALSE(col.collecting());
}

// The recorded exits map to their kind, with the message from the following record.
TEST(SplatSchedExit, ParsesRecordedExits) {
  SplatClassifier c;
  SplatCollector error(c), stall(c);
  for (const char* raw : kErrorExit) error.feed(rec(raw));
  for (const char* raw : kStallExit) stall.feed(rec(raw));
  ASSERT_EQ(error.sched_exits().size(), 1u);
  const SchedExitInfo& e = error.sched_exits()[0];
  EXPECT_EQ(e.ops, "ktstr_test");
  EXPECT_EQ(e.kind, "runtime error");
  EXPECT_EQ(e.reason, "scx_bpf_error");
  EXPECT_EQ(e.message, "scx_ktstr_test.bpf.c:88: ktstr_test: injected error after 1500 ms");
  EXPECT_TRUE(e.error);
  EXPECT_EQ(e.seq, 355u);
  EXPECT_EQ(e.ts_us, 4303614u);
  ASSERT_EQ(stall.sched_exits().size(), 1u);
  EXPECT_EQ(stall.sched_exits()[0].kind, "watchdog stall");
  EXPECT_EQ(stall.sched_exits()[0].message, "ktstr_stall[106] failed to run for 4.020s");

  auto unreg = parse_sched_ext_exit(rec(kCleanBoot[10]));
  ASSERT_TRUE(unreg.has_value());
  EXPECT_EQ(unreg->kind, "unregistered from user space");
  EXPECT_FALSE(unreg->error);
  EXPECT_TRUE(unreg->message.empty());
}

// Other reasons pass through raw; sub-schedulers and odd ops names; non-exit records give nullopt.
TEST(SplatSchedExit, ParsesOtherForms) {
  auto rescue = parse_sched_ext_exit(kern("sched_ext: BPF sub-scheduler \"a\"b\" disabled (rescue bandwidth overload)"));
  ASSERT_TRUE(rescue.has_value());
  EXPECT_EQ(rescue->ops, "a\"b");
  EXPECT_EQ(rescue->kind, "rescue bandwidth overload");
  EXPECT_TRUE(rescue->sub_scheduler);
  EXPECT_TRUE(rescue->error);
  auto sysrq = parse_sched_ext_exit(kern("sched_ext: BPF scheduler \"s\" disabled (disabled by sysrq-S)"));
  ASSERT_TRUE(sysrq.has_value());
  EXPECT_FALSE(sysrq->error);
  EXPECT_EQ(sysrq->kind, "disabled by sysrq-S");

  EXPECT_FALSE(parse_sched_ext_exit(rec(kErrorExit[0])).has_value());  // enabled
  EXPECT_FALSE(parse_sched_ext_exit(rec(kErrorExit[2])).has_value());  // the message
  KmsgRecord user = rec(kErrorExit[1]);
  user.facility = 1;
  EXPECT_FALSE(parse_sched_ext_exit(user).has_value());

  SchedExitInfo info = *rescue;
  EXPECT_FALSE(add_sched_ext_message(info, kern("sched_ext: other: message")));
  EXPECT_TRUE(add_sched_ext_message(info, kern("sched_ext: a\"b: overloaded")));
  EXPECT_EQ(info.message, "overloaded");
}

// The KMSG frame value, as the host receives it, back into a record: non-ASCII bytes are restored
// when they are UTF-8, otherwise kept as U+00XX so the report stays valid JSON.
TEST(SplatJson, FrameValueGivesBackTheRecordWithItsUtf8AndContinuationLines) {
  KmsgRecord orig = rec("4,178,871919,-;bytes \\xc3\\xa9 \\x5c\\x09\n SUBSYSTEM=acpi\n");
  auto back = kmsg_record_from_json(nlohmann::json::parse(kmsg_record_json(orig)));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->msg, orig.msg);
  EXPECT_EQ(back->cont, orig.cont);
  EXPECT_EQ(back->seq, 178u);
  EXPECT_EQ(back->ts_us, 871919u);
  EXPECT_EQ(back->prio, 4);
  EXPECT_EQ(back->facility, 0);
}

TEST(SplatJson, InvalidUtf8StaysAsU00XXSoTheReportStaysValidJson) {
  KmsgRecord bad = kern("invalid \xff utf8");
  auto kept = kmsg_record_from_json(nlohmann::json::parse(kmsg_record_json(bad)));
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->msg, "invalid \xc3\xbf utf8");  // U+00FF
  EXPECT_NO_THROW((void)splat_json(Splat{"r", kept->msg, 1, 2, {kept->msg}}).dump());
}

TEST(SplatJson, AFrameValueWithAMissingOrMistypedFieldIsRefused) {
  for (const char* v : {R"([])", R"({"prio":4})", R"({"prio":8,"facility":0,"seq":1,"ts_us":2,"msg":"m"})",
                        R"({"prio":4,"facility":-1,"seq":1,"ts_us":2,"msg":"m"})",
                        R"({"prio":4,"facility":0,"seq":1,"ts_us":2,"msg":3})",
                        R"({"prio":4,"facility":0,"seq":1,"ts_us":2,"msg":"m","cont":[1]})"})
    EXPECT_FALSE(kmsg_record_from_json(nlohmann::json::parse(v)).has_value()) << v;
}

// An error exit in the report: the splat with its rule, seq and backtrace lines, and the exit with
// its kind, ops name and the kernel's message.
TEST(SplatJson, ErrorExitReportsTheSplatAndTheExitWithItsMessage) {
  SplatClassifier c;
  SplatCollector col(c);
  for (const char* raw : kErrorExit) col.feed(rec(raw));
  nlohmann::json s = splat_json(col.splats().at(0));
  EXPECT_EQ(s["rule"], "sched_ext error");
  EXPECT_EQ(s["seq"], 355);
  EXPECT_EQ(s["lines"].size(), 6u);
  nlohmann::json e = sched_exit_json(col.sched_exits().at(0));
  EXPECT_EQ(e["kind"], "runtime error");
  EXPECT_EQ(e["ops"], "ktstr_test");
  EXPECT_EQ(e["error"], true);
  EXPECT_EQ(e["message"], "scx_ktstr_test.bpf.c:88: ktstr_test: injected error after 1500 ms");
}

}  // namespace
}  // namespace ktstr::host
