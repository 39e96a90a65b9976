// The host's verdict (GuestRecord, src/host/verdict/guest_record.cpp) from frames alone, no VM: DONE or
// none, byte counts, COM2 damage, splats and sched_ext exits, crash, panic, watchdog, what ended a
// run without DONE, and guest JSON of any shape (untrusted input: never UB, never a throw).
#include "guest_record.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "ktstr/exit_codes.hpp"
#include "ktstr/kmsg_record.hpp"
#include "ktstr/wire.hpp"

namespace ktstr::host {
namespace {

namespace ec = exit_code;
using nlohmann::json;

// A session whose stdout goes nowhere and whose stderr is kept for assertions.
class Session {
 public:
  explicit Session(GuestRecord::Sinks sinks = {}) {
    err_ = memfd_create("verdict_err", 0);
    null_ = ::open("/dev/null", O_WRONLY);
    sinks.out_fd = null_;
    sinks.err_fd = err_;
    s_ = std::make_unique<GuestRecord>(sinks);
  }
  ~Session() {
    ::close(err_);
    ::close(null_);
  }
  GuestRecord& operator*() { return *s_; }
  GuestRecord* operator->() { return s_.get(); }

  Session& raw(wire::Tag type, const std::string& value) {
    wire::Frame f{type, seq_++, seq_ * 1000000ull,
                  {reinterpret_cast<const uint8_t*>(value.data()), value.size()}};
    s_->on_frame(f);
    stats_.frames++;
    if (type == wire::kDone) stats_.done = true;
    return *this;
  }
  Session& frame(wire::Tag type, const json& v) { return raw(type, v.dump()); }
  // The HELO init sends (src/init/boot.cpp send_helo, docs/protocol.md).
  Session& helo() {
    return frame(wire::kHelo,
                 {{"proto", wire::kProtocolVersion}, {"init", "test"}, {"kernel", "7.3.4-test"}, {"mode", "test"}});
  }
  Session& done(int code, uint64_t sout = 0) {
    return frame(wire::kDone, {{"exit_code", code}, {"bytes", {{"SOUT", sout}, {"SERR", 0}, {"SLOG", 0}}}});
  }
  // A kernel-facility record, as init forwards it.
  Session& kmsg(const std::string& msg, int prio = 4, int facility = 0) {
    KmsgRecord r;
    r.prio = prio;
    r.facility = facility;
    r.seq = kseq_++;
    r.ts_us = r.seq * 1000;
    r.flags = "-";
    r.msg = msg;
    return raw(wire::kKmsg, kmsg_record_json(r));
  }
  void skip_kernel_records(uint64_t n) { kseq_ += n; }

  Verdict verdict(const std::string& console = "", bool watchdog = false, const std::string& why = "") {
    HostFacts h;
    h.stats = stats_;
    h.console_tail = console;
    h.watchdog_fired = watchdog;
    h.watchdog_reason = why;
    return s_->verdict(h);
  }
  // The verdict with what the host saw around the frames (signals, Ctrl-A X, baseline, files).
  Verdict judged(HostFacts h) {
    h.stats = stats_;
    return s_->verdict(h);
  }
  wire::DecodeStats& stats() { return stats_; }
  std::string err() const {
    std::string out(size_t(lseek(err_, 0, SEEK_END)), '\0');
    pread(err_, out.data(), out.size(), 0);
    return out;
  }

 private:
  std::unique_ptr<GuestRecord> s_;
  wire::DecodeStats stats_;
  uint32_t seq_ = 0;
  uint64_t kseq_ = 0;
  int err_ = -1, null_ = -1;
};

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// --- DONE vs none --------------------------------------------------------------------------------

TEST(VerdictDone, PayloadStatusPassesThrough) {
  Session s;
  s.helo().raw(wire::kSout, "hi\n").done(3, 3);
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, 3);
  EXPECT_EQ(v.reason, "");
}

TEST(VerdictDone, GuestReasonIsKept) {
  Session s;
  s.helo().frame(wire::kDone, {{"exit_code", 125}, {"reason", "scheduler died during the test"}});
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, 125);
  EXPECT_EQ(v.reason, "scheduler died during the test");
}

TEST(VerdictNoDone, NoHeloSaysTheGuestNeverReachedInit) {
  Session s;
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_TRUE(has(v.reason, "no HELO")) << v.reason;
}

TEST(VerdictNoDone, TruncatedStreamNamesTheLastPhase) {
  Session s;
  s.helo().frame(wire::kPhas, {{"phase", "payload_started"}});
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_TRUE(has(v.reason, "stream truncated")) << v.reason;
  EXPECT_TRUE(has(v.reason, "payload_started")) << v.reason;
}

// --- what the guest sent vs what arrived ---------------------------------------------------------

TEST(VerdictBytes, MismatchFailsTheRun) {
  Session s;
  s.helo().raw(wire::kSout, "abc").done(0, 4);
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_EQ(v.reason, "SOUT bytes: guest sent 4, host received 3");
}

TEST(VerdictBytes, CorruptOrLostFramesFailTheRun) {
  Session s;
  s.helo().done(0);
  s.stats().lost = 2;
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_TRUE(has(v.reason, "COM2 stream damaged")) << v.reason;
}

// The data lane and the output tree (HostFacts::data_error): rule 1, after COM2's own checks.
TEST(VerdictData, ADamagedTreeFailsAPassingRun) {
  Session s;
  s.helo().done(0);
  HostFacts h;
  h.data_error = "output tree: the path \"../x\" is a .. component";
  Verdict v = s.judged(h);
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_EQ(v.reason, h.data_error);
}

TEST(VerdictData, ADamagedTreeFailsAFailingPayloadToo) {
  Session s;
  s.helo().done(3);
  HostFacts h;
  h.data_error = "data lane: frames: the guest sent 5, the host received 4";
  EXPECT_EQ(s.judged(h).reason, h.data_error);
}

TEST(VerdictData, ComTwoDamageIsNamedFirst) {
  Session s;
  s.helo().raw(wire::kSout, "abc").done(0, 4);
  HostFacts h;
  h.data_error = "output tree: no tree arrived (no FEND)";
  EXPECT_EQ(s.judged(h).reason, "SOUT bytes: guest sent 4, host received 3");
}

TEST(VerdictData, WithoutDoneTheCrashKeepsItsReason) {
  Session s;
  s.helo();
  HostFacts h;
  h.data_error = "output tree: the tree ended without FEND after 2 entries";
  Verdict v = s.judged(h);
  EXPECT_TRUE(has(v.reason, "stream truncated")) << v.reason;
}

TEST(VerdictData, ADoneWithoutBytesStillChecksTheTree) {
  Session s;
  s.helo().frame(wire::kDone, {{"exit_code", 0}});
  HostFacts h;
  h.data_error = "output tree: x";
  EXPECT_EQ(s.judged(h).reason, "output tree: x");
}

TEST(VerdictData, TheCoreFlagOfExit) {
  Session s;
  s.helo().frame(wire::kExit, {{"signal", 11}, {"core", true}, {"timed_out", false}, {"exit_code", 139}});
  EXPECT_TRUE(s->payload_dumped_core());
  Session t;
  t.helo().frame(wire::kExit, {{"signal", 11}, {"core", "yes"}});
  EXPECT_FALSE(t->payload_dumped_core());
}

// --- kernel health -------------------------------------------------------------------------------

TEST(VerdictSplat, KernelWarningFailsAPassingRun) {
  Session s;
  s.helo().kmsg("WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 bar+0x1/0x2").done(0);
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_TRUE(has(v.reason, "kernel splat: WARNING: CPU: 0")) << v.reason;
}

TEST(VerdictSplat, WarnOnlyKeepsThePayloadStatus) {
  GuestRecord::Sinks sinks;
  sinks.splats_warn_only = true;
  Session s(sinks);
  s.helo().kmsg("BUG: unable to handle page fault").done(0);
  EXPECT_EQ(s.verdict().exit_code, 0);
  // Still detected and shown: only its effect on the status is gone.
  json splats = s->report()["splats"];
  ASSERT_EQ(splats.size(), 1u) << splats;
  EXPECT_EQ(splats[0]["rule"], "BUG");
  EXPECT_EQ(splats[0]["first_line"], "BUG: unable to handle page fault");
  EXPECT_TRUE(has(s.err(), "kernel splat (BUG): BUG: unable to handle page fault")) << s.err();
}

TEST(VerdictSplat, UserSpaceKmsgLinesNeverCount) {
  Session s;
  s.helo().kmsg("BUG: fake", 3, 1).done(0);
  EXPECT_EQ(s.verdict().exit_code, 0);
}

// The kernel's sched_ext selftests make their own schedulers exit with errors: only the scheduler
// under test decides the verdict.
TEST(VerdictSchedExt, ExitOfAPayloadsOwnSchedulerIsReportedNotAFailure) {
  Session s;
  s.helo()
      .kmsg("sched_ext: BPF scheduler \"ddsp_bogus_dsq_fail\" enabled", 6)
      .kmsg("sched_ext: BPF scheduler \"ddsp_bogus_dsq_fail\" disabled (runtime error)", 3)
      .kmsg("sched_ext: ddsp_bogus_dsq_fail: invalid DSQ ID 0x0", 3)
      .done(0);
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, 0) << v.reason;
  json r = s->report();
  ASSERT_EQ(r["sched_ext_exits"].size(), 1u) << r.dump();
  EXPECT_EQ(r["sched_ext_exits"][0]["ops"], "ddsp_bogus_dsq_fail");
  EXPECT_EQ(r["sched_ext_exits"][0]["message"], "invalid DSQ ID 0x0");
  ASSERT_EQ(r["splats"].size(), 1u);
  EXPECT_EQ(r["splats"][0]["fails_run"], false);
  EXPECT_TRUE(has(s.err(), "not the scheduler under test")) << s.err();
  EXPECT_TRUE(has(s->summary_notes(), "sched_ext exit")) << s->summary_notes();
}

TEST(VerdictSchedExt, ExitOfTheSchedulerUnderTestFails) {
  Session s;
  s.helo()
      .frame(wire::kSchd, {{"event", "attached"}, {"ops", "ktstr_test"}})
      .kmsg("sched_ext: BPF scheduler \"ktstr_test\" disabled (runnable task stall)", 3)
      .frame(wire::kDone, {{"exit_code", 125}, {"reason", "scheduler died during the test"}});
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_TRUE(has(v.reason, "runnable task stall")) << v.reason;
}

TEST(VerdictSchedExt, UserDenyStillFailsAnyExit) {
  SplatClassifier rules;
  rules.add_deny("^sched_ext: BPF scheduler .* disabled");
  GuestRecord::Sinks sinks;
  sinks.splat_rules = &rules;
  Session s(sinks);
  s.helo().kmsg("sched_ext: BPF scheduler \"other\" disabled (runtime error)", 3).done(0);
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_TRUE(has(v.reason, "kernel splat: sched_ext")) << v.reason;
}

// Item 18: a kernel-log overrun is counted, said once, and carried by the summary and the report;
// it does not change the status.
TEST(VerdictKernelLog, DroppedRecordsAreCountedAndSaidOnce) {
  Session s;
  s.helo().kmsg("a");
  s.skip_kernel_records(40);
  s.kmsg("b");
  s.skip_kernel_records(2);
  s.kmsg("c").done(0);
  EXPECT_EQ(s.verdict().exit_code, 0);
  EXPECT_EQ(s->kernel_records_dropped(), 42u);
  EXPECT_EQ(s->report()["kernel_log"]["dropped"], 42);
  EXPECT_TRUE(has(s->summary_notes(), "kernel log: 42 records dropped")) << s->summary_notes();
  std::string err = s.err();
  EXPECT_TRUE(has(err, "42 kernel log records dropped")) << err;
  EXPECT_EQ(err.find("dropped"), err.rfind("dropped")) << "one line, not one per gap:\n" << err;
}

// --- crash, panic, watchdog ----------------------------------------------------------------------

TEST(VerdictCrash, InitCrashWins) {
  Session s;
  s.helo().frame(wire::kCrsh, {{"signal", 11}, {"phase", "payload_started"}});
  Verdict v = s.verdict("Kernel panic - not syncing: Attempted to kill init!\r\n");
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_TRUE(v.reason.starts_with("init crashed:")) << v.reason;
}

// Item 12: the console's CR LF does not leak into the reason.
TEST(VerdictPanic, ReasonIsThePanicLineWithoutCarriageReturn) {
  Session s;
  s.helo();
  Verdict v = s.verdict("[    3.1] sysrq: Trigger a crash\r\n[    3.2] Kernel panic - not syncing: sysrq triggered crash\r\n[  3.3] CPU: 0\r\n");
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_EQ(v.reason, "kernel panic: Kernel panic - not syncing: sysrq triggered crash");
  v = s.verdict("Kernel panic - not syncing: at the very end\r");
  EXPECT_EQ(v.reason, "kernel panic: Kernel panic - not syncing: at the very end");
}

TEST(VerdictWatchdog, ReasonIsTheWatchdogs) {
  Session s;
  s.helo();
  Verdict v = s.verdict("", true, "watchdog: no frame for 30 s; hung in payload_started");
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_EQ(v.reason, "watchdog: no frame for 30 s; hung in payload_started");
}

// --- what ended a run without DONE ---------------------------------------------------------------

TEST(VerdictNoDone, QemuExitingOnItsOwnIsNamed) {
  Session s;
  s.helo().frame(wire::kPhas, {{"phase", "payload_started"}});
  s->note_qemu_exit(SIGKILL);  // a wait status: killed by signal 9
  Verdict v = s.verdict();
  EXPECT_TRUE(has(v.reason, "QEMU exited on its own (killed by signal 9")) << v.reason;
  Session t;
  t.helo();
  t->note_qemu_exit(1 << 8);  // exit status 1
  EXPECT_TRUE(has(t.verdict().reason, "QEMU exited on its own (exit status 1)")) << t.verdict().reason;
}

TEST(VerdictNoDone, GuestRebootIsNamed) {
  Session s;
  s.helo().frame(wire::kPhas, {{"phase", "payload_started"}});
  s->note_qemu_exit(0);
  Verdict v = s.verdict("[    4.2] reboot: Restarting system\r\n");
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_TRUE(has(v.reason, "the guest rebooted in phase payload_started")) << v.reason;
  EXPECT_TRUE(has(v.reason, "reboot -f")) << v.reason;
}

TEST(VerdictOom, OomKillOfThePayloadIsNamed) {
  Session s;
  s.helo()
      .kmsg("Out of memory: Killed process 123 (hog) total-vm:1000kB, anon-rss:900kB", 3)
      .frame(wire::kDone, {{"exit_code", 137}});
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, 137);
  EXPECT_TRUE(has(v.reason, "OOM killer")) << v.reason;
  EXPECT_TRUE(has(v.reason, "Killed process 123 (hog)")) << v.reason;
  EXPECT_EQ(s->report()["oom_kills"].size(), 1u);
}

// --- the scheduler's last words without -v -------------------------------------------------------

TEST(VerdictScheduler, DeathShowsTheEndOfItsOutput) {
  Session s;
  s.helo();
  for (int i = 0; i < 30; ++i) s.raw(wire::kSlog, "line " + std::to_string(i) + "\n");
  s.frame(wire::kSchd, {{"event", "died"}, {"status", {{"code", 3}}}})
      .frame(wire::kDone, {{"exit_code", 125}, {"reason", "scheduler died during the test"}});
  std::string err = s.err();
  EXPECT_TRUE(has(err, "sched| line 29\n")) << err;
  EXPECT_TRUE(has(err, "sched| line 10\n")) << err;
  EXPECT_FALSE(has(err, "sched| line 9\n")) << "only the last 20 lines:\n" << err;
}

TEST(VerdictScheduler, NeverAttachedShowsTheEndOfItsOutput) {
  Session s;
  s.helo().raw(wire::kSlog, "libbpf: failed to load program\n");
  s.frame(wire::kSchd, {{"event", "not_attached"}, {"waited_ms", 10000}})
      .frame(wire::kDone, {{"exit_code", 125}, {"reason", "scheduler did not attach"}});
  EXPECT_TRUE(has(s.err(), "sched| libbpf: failed to load program\n")) << s.err();
}

TEST(VerdictScheduler, HealthyRunShowsNoSchedulerOutput) {
  Session s;
  s.helo().raw(wire::kSlog, "all good\n").done(0);
  EXPECT_FALSE(has(s.err(), "all good")) << s.err();
}

// --- a scheduler that won't stop -----------------------------------------------------------------

TEST(VerdictScheduler, OneThatIgnoresSigintFailsTheRun) {
  Session s;
  s.helo()
      .frame(wire::kSchd, {{"event", "attached"}, {"ops", "simple"}})
      .frame(wire::kSchd, {{"event", "stopped"}, {"status", {{"signal", 9}, {"core", false}}},
                           {"kernel_state", "enabled"}})
      .done(0);
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_TRUE(has(v.reason, "did not stop on SIGINT")) << v.reason;
  EXPECT_TRUE(has(v.reason, "still enabled")) << v.reason;
}

TEST(VerdictScheduler, CleanStopPasses) {
  Session s;
  s.helo()
      .frame(wire::kSchd, {{"event", "stopped"}, {"status", {{"code", 0}}}, {"kernel_state", "disabled"}})
      .done(0);
  EXPECT_EQ(s.verdict().exit_code, 0);
}

// --- guest JSON of any shape ---------------------------------------------------------------------

TEST(VerdictGuestJson, EmptyDoneIsAnInfrastructureFailure) {
  Session s;
  s.helo().raw(wire::kDone, "{}");
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_EQ(v.reason, "DONE frame carries no valid exit_code");
}

TEST(VerdictGuestJson, WrongTypesNeverThrow) {
  const char* const frames[][2] = {
      {"DONE", R"({"exit_code":"0"})"},
      {"DONE", R"({"exit_code":-1})"},
      {"DONE", R"({"exit_code":256})"},
      {"DONE", R"({"exit_code":0,"reason":7,"bytes":{"SOUT":"x"}})"},
      {"DONE", R"({"exit_code":0,"bytes":[1,2]})"},
      {"SCHD", R"({"event":5,"ops":[],"status":"x"})"},
      {"SCHD", R"({"event":"stopped","status":{"signal":"9"},"kernel_state":1})"},
      {"SCHD", R"({"event":"attached","ops":{"a":1}})"},
      {"PHAS", R"({"phase":null})"},
      {"KMSG", R"({"seq":"x","prio":"4","msg":1})"},
      {"KMSG", R"({"seq":1,"prio":4,"facility":0,"ts_us":1,"msg":"x","cont":"y"})"},
      {"KMSG", R"({"seq":18446744073709551615,"prio":7,"facility":0,"ts_us":1,"msg":"BUG: x"})"},
      {"HELO", "[]"},
      {"CRSH", "null"},
  };
  for (const auto& [type, value] : frames) {
    Session s;
    wire::Tag tag{{type[0], type[1], type[2], type[3]}};
    EXPECT_NO_THROW({
      s.helo().raw(tag, value);
      Verdict v = s.verdict("", false, "");
      (void)s->report().dump();
      (void)s->summary_notes();
      if (std::string(type) == "DONE") {
        EXPECT_EQ(v.exit_code, ec::kInfrastructure) << value;
      }
    }) << type << " " << value;
  }
}

}  // namespace
}  // namespace ktstr::host

namespace ktstr::host {
namespace {

// --- the host's own rules, after the frames' (docs/exit-codes.md, rules 5-8) -----------------

HostFacts signalled(int signo) {
  HostFacts h;
  h.signal = signo;
  return h;
}

// A signal after DONE takes its status; the guest's reason stays.
TEST(VerdictHost, SignalAfterDoneKeepsTheGuestsReason) {
  Session s;
  s.helo().frame(wire::kDone, {{"exit_code", 130}, {"reason", "stopped by the host (interrupted)"}});
  Verdict v = s.judged(signalled(SIGTERM));
  EXPECT_EQ(v.exit_code, 143);
  EXPECT_EQ(v.reason, "stopped by the host (interrupted)");
}

// The signal rule comes after the splat rule: the splat's reason stays, with the signal's status.
TEST(VerdictHost, SignalComesAfterTheSplatRule) {
  Session s;
  s.helo().kmsg("WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 bar+0x1/0x2").done(0);
  Verdict v = s.judged(signalled(SIGINT));
  EXPECT_EQ(v.exit_code, 130);
  EXPECT_TRUE(has(v.reason, "kernel splat: WARNING")) << v.reason;
}

// Without DONE a signal says only that the run was interrupted.
TEST(VerdictHost, SignalWithoutDoneIsInterrupted) {
  Session s;
  s.helo();
  Verdict v = s.judged(signalled(SIGHUP));
  EXPECT_EQ(v.exit_code, 129);
  EXPECT_EQ(v.reason, "interrupted");
}

// Ctrl-A X outranks whatever the guest said, a signal included.
TEST(VerdictHost, CtrlAXOutranksTheGuestAndSignals) {
  Session s;
  s.helo().done(0);
  HostFacts h = signalled(SIGINT);
  h.vm_killed = true;
  Verdict v = s.judged(h);
  EXPECT_EQ(v.exit_code, 137);
  EXPECT_EQ(v.reason, "VM killed (Ctrl-A X)");
}

// The verifier baseline fails only a run that would pass; a failing run keeps its own status.
TEST(VerdictHost, VerifierBaselineFailsOnlyAPassingRun) {
  HostFacts h;
  h.verifier_failure = "verifier budget past the baseline + 10%: p verified 9 insns, baseline 1";
  Session pass;
  pass.helo().done(0);
  Verdict v = pass.judged(h);
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_EQ(v.reason, h.verifier_failure);
  Session fail;
  fail.helo().done(3);
  v = fail.judged(h);
  EXPECT_EQ(v.exit_code, 3);
  EXPECT_EQ(v.reason, "");
}

// A file that could not be written is the last rule: it outranks every other reason.
TEST(VerdictHost, OutputFileErrorIsTheLastWord) {
  HostFacts h;
  h.vm_killed = true;
  h.output_error = "--json /dev/full: write failed: No space left on device";
  Session s;
  s.helo();
  Verdict v = s.judged(h);
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_EQ(v.reason, h.output_error);
}

}  // namespace
}  // namespace ktstr::host

// --- the on-failure hook (HOOK, HEND) ------------------------------------------------------------

namespace ktstr::host {
namespace {

// The hook's output and end reach the report and one stderr line; the payload's status stays.
TEST(VerdictHook, HookOutputAndEndAreReportedAndTheStatusStays) {
  Session s;
  s.helo().raw(wire::kHook, "simple\n").frame(wire::kHend, {{"code", 0}, {"timed_out", false}, {"ms", 12}});
  s.frame(wire::kDone, {{"exit_code", 3}, {"bytes", {{"HOOK", 7}}}});
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, 3);
  EXPECT_EQ(v.reason, "");
  json r = s->hook().report("cat /sys/kernel/sched_ext/root/ops");
  EXPECT_EQ(r["ran"], true);
  EXPECT_EQ(r["exit_code"], 0);
  EXPECT_EQ(r["timed_out"], false);
  EXPECT_EQ(r["output"], "simple\n");
  EXPECT_EQ(r["output_cut"], 0);
  EXPECT_TRUE(has(s.err(), "ktstr-vm: on-failure hook: exit 0 in 12 ms, 7 bytes of output")) << s.err();
}

// HOOK bytes are counted against DONE like SOUT: a lost one is a damaged stream.
TEST(VerdictHook, HookBytesAreCheckedAgainstDone) {
  Session s;
  s.helo().raw(wire::kHook, "abc");
  s.frame(wire::kDone, {{"exit_code", 1}, {"bytes", {{"HOOK", 5}}}});
  Verdict v = s.verdict();
  EXPECT_EQ(v.exit_code, ec::kInfrastructure);
  EXPECT_TRUE(has(v.reason, "HOOK bytes: guest sent 5, host received 3")) << v.reason;
}

// No hook asked for and none sent: null. A guest that sends hook frames anyway is reported as
// such; a hook that was asked for and did not run says so.
TEST(VerdictHook, UnaskedFramesAndAHookThatDidNotRun) {
  Session quiet;
  EXPECT_TRUE(quiet->hook().report("").is_null());
  EXPECT_EQ(quiet->hook().report("dmesg")["ran"], false);
  Session s;
  s.helo().raw(wire::kHook, "x").frame(wire::kHend, {{"code", "bad"}}).frame(wire::kHend, {{"code", 1}});
  json r = s->hook().report("");
  EXPECT_EQ(r["unasked"], true);
  EXPECT_EQ(r["ran"], true);
  EXPECT_TRUE(r["exit_code"].is_null());  // the first HEND counts, and its code is no number
  EXPECT_EQ(r["extra_ends"], 1);
  Session half;
  half.helo().raw(wire::kHook, "x");
  EXPECT_TRUE(has(half->hook().report("dmesg")["error"].get<std::string>(), "no HEND"));
}

// A huge output keeps its first and last 64 KiB and says how much was cut between them.
TEST(VerdictHook, HugeOutputIsBounded) {
  Session s;
  s.helo();
  const size_t chunk = 8192, chunks = 64;  // 512 KiB
  for (size_t i = 0; i < chunks; ++i) s.raw(wire::kHook, std::string(chunk, char('a' + i % 26)));
  json r = s->hook().report("yes");
  const size_t keep = HookRecord::kKeep;
  EXPECT_EQ(r["output_bytes"], chunk * chunks);
  EXPECT_EQ(r["output_cut"], chunk * chunks - 2 * keep);
  std::string out = r["output"];
  EXPECT_LT(out.size(), 2 * keep + 100);
  EXPECT_EQ(out.substr(0, 3), "aaa");
  EXPECT_EQ(out.back(), char('a' + (chunks - 1) % 26));
  EXPECT_TRUE(has(out, "bytes cut ...]"));
}

}  // namespace
}  // namespace ktstr::host
