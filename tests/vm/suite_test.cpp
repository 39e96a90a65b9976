// ktstr-vm suite: a real manifest of real VMs at -j2, its verdicts, reports, artifacts and Ctrl-C.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "vm_harness.hpp"

namespace fs = std::filesystem;
using ktstr::vmtest::make_temp_dir;
using ktstr::vmtest::run_captured;
using ktstr::vmtest::slurp;

namespace {

// Twelve tests, one per verdict a suite must get right. The flaky one fails on attempt 1 and
// passes on attempt 2 (KTSTR_ATTEMPT).
constexpr const char* kVerdictSuite = R"(
[defaults]
timeout = 60

[[test]]
name = "pass"
args = ["true"]

[[test]]
name = "pass_under_scx_simple"
scheduler = "scx_simple"
args = ["cat", "/sys/kernel/sched_ext/root/ops"]

[[test]]
name = "expected_nonzero"
args = ["sh", "-c", "exit 3"]
expect_exit = 3

[[test]]
name = "wrong_exit"
args = ["sh", "-c", "echo to-stderr >&2; exit 4"]

[[test]]
name = "timeout"
timeout = 2
args = ["sleep", "600"]

[[test]]
name = "scheduler_death"
scheduler = "scx_ktstr_test"
sched_args = ["--no-such-option"]
args = ["true"]

[[test]]
name = "not_found"
args = ["/no/such/program"]

[[test]]
name = "sleeps_then_passes"
args = ["sleep", "1"]

[[test]]
name = "killed_by_signal"
args = ["sh", "-c", "kill -9 $$"]
expect_exit = 137

[[test]]
name = "flaky"
args = ["sh", "-c", "echo attempt=$KTSTR_ATTEMPT; test \"$KTSTR_ATTEMPT\" = 2"]

[[test]]
name = "output"
args = ["sh", "-c", "echo hello; echo world >&2"]

[[test]]
name = "invalid_utf8_output"
args = ["printf", "\\377\\376 bytes\\n"]
)";

std::string write_manifest(const std::string& dir, const std::string& text) {
  std::string p = dir + "/suite.toml";
  std::ofstream(p) << text;
  return p;
}

nlohmann::json test_of(const nlohmann::json& report, const std::string& name) {
  for (const auto& t : report["tests"])
    if (t["name"] == name) return t;
  return nullptr;
}

TEST(VmSuite, TwelveTestsAtJ2GetEveryVerdictAndReportItOnce) {
  std::string dir = make_temp_dir("/tmp/ktstr-suite-test");
  std::string manifest = write_manifest(dir, kVerdictSuite);
  std::string art = dir + "/artifacts";
  int rc = run_captured({KTSTR_VM_BIN, "suite", manifest, "-j2", "--retries", "1", "--junit", dir + "/junit.xml",
                         "--json", dir + "/suite.json", "--artifacts", art},
                        dir);
  std::string out = slurp(dir + "/out"), err = slurp(dir + "/err");
  EXPECT_EQ(rc, 1) << out << err;  // some tests fail by design

  auto report = nlohmann::json::parse(slurp(dir + "/suite.json"));
  ASSERT_EQ(report["tests"].size(), 12u) << report.dump(1);
  struct Want {
    const char* name;
    const char* status;
    int exit_code;
  };
  for (const Want& w : {Want{"pass", "passed", 0}, Want{"pass_under_scx_simple", "passed", 0},
                        Want{"expected_nonzero", "passed", 3}, Want{"wrong_exit", "failed", 4},
                        Want{"timeout", "failed", 124}, Want{"scheduler_death", "failed", 125},
                        Want{"not_found", "failed", 127}, Want{"sleeps_then_passes", "passed", 0},
                        Want{"killed_by_signal", "passed", 137}, Want{"flaky", "flaky", 0},
                        Want{"output", "passed", 0}, Want{"invalid_utf8_output", "passed", 0}}) {
    auto t = test_of(report, w.name);
    ASSERT_FALSE(t.is_null()) << w.name;
    EXPECT_EQ(t["status"], w.status) << w.name << ": " << t.dump(1).substr(0, 2000);
    EXPECT_EQ(t["exit_code"], w.exit_code) << w.name;
    // A failed test is retried once; others run once (the flaky one twice).
    size_t attempts = std::string(w.status) == "passed" ? 1 : 2;
    EXPECT_EQ(t["attempts"].size(), attempts) << w.name;
    // Failed and flaky tests keep their artifacts; passed ones leave none.
    bool kept = std::string(w.status) != "passed";
    EXPECT_EQ(fs::exists(fs::path(art) / w.name), kept) << w.name;
  }
  EXPECT_NE(test_of(report, "scheduler_death")["reason"].get<std::string>().find("scheduler"), std::string::npos);
  EXPECT_EQ(report["totals"]["passed"], 7);
  EXPECT_EQ(report["totals"]["flaky"], 1);
  EXPECT_EQ(report["totals"]["failed"], 4);

  // One line per finished test in a log, and the summary names the failures.
  EXPECT_NE(out.find("FLAKY flaky (passed on attempt 2)"), std::string::npos) << out;
  EXPECT_NE(out.find("FAIL timeout 124"), std::string::npos) << out;
  EXPECT_NE(out.find("PASS pass "), std::string::npos) << out;
  EXPECT_NE(out.find("8 passed, 4 failed (1 flaky)"), std::string::npos) << out;

  // The JUnit file parses as XML, holds every test, and agrees with the JSON.
  std::string check = dir + "/check.py";
  std::ofstream(check) << R"(import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall('./testsuite/testcase')
names = {c.get('name'): c for c in cases}
assert len(cases) == 12, len(cases)
assert names['flaky'].find('flakyFailure') is not None
assert names['flaky'].find('failure') is None
for n in ['wrong_exit', 'timeout', 'scheduler_death', 'not_found']:
    assert names[n].find('failure') is not None, n
    assert names[n].find('rerunFailure') is not None, n
assert names['pass'].find('failure') is None
assert root.find('testsuite').get('failures') == '4'
print('junit ok')
)";
  EXPECT_EQ(run_captured({"/usr/bin/python3", check, dir + "/junit.xml"}, dir), 0) << slurp(dir + "/err");

  // A failed test's artifacts: every file, and `decode` reads its capture as complete and clean.
  fs::path a = fs::path(art) / "wrong_exit" / "attempt-1";
  for (const char* f : {"com2.bin", "console.log", "sched.log", "stdout", "stderr", "report.json"})
    EXPECT_TRUE(fs::exists(a / f)) << f;
  EXPECT_NE(slurp((a / "stderr").string()).find("to-stderr"), std::string::npos);
  EXPECT_EQ(run_captured({KTSTR_VM_BIN, "decode", (a / "com2.bin").string()}, dir), 0) << slurp(dir + "/err");
  EXPECT_NE(slurp(dir + "/out").find("to-stderr"), std::string::npos);
  EXPECT_NE(slurp((fs::path(art) / "flaky" / "attempt-1" / "stdout").string()).find("attempt=1"), std::string::npos);
  EXPECT_NE(slurp((fs::path(art) / "flaky" / "attempt-2" / "stdout").string()).find("attempt=2"), std::string::npos);
  fs::remove_all(dir);
}

TEST(VmSuite, KeepAllKeepsPassedTestsArtifacts) {
  std::string dir = make_temp_dir("/tmp/ktstr-suite-test");
  std::string manifest = write_manifest(dir, "[[test]]\nname = \"hello\"\nargs = [\"echo\", \"hello\"]\n");
  int rc = run_captured({KTSTR_VM_BIN, "suite", manifest, "--keep-all", "--artifacts", dir + "/art"}, dir);
  EXPECT_EQ(rc, 0) << slurp(dir + "/out") << slurp(dir + "/err");
  EXPECT_EQ(slurp(dir + "/art/hello/attempt-1/stdout"), "hello\n");
  fs::remove_all(dir);
}

// Done-when 7 of issue 23: every attempt's output tree lands in ARTIFACTS/NAME/attempt-K/output/.
TEST(VmSuite, EveryAttemptsOutputTreeIsInItsFolder) {
  std::string dir = make_temp_dir("/tmp/ktstr-suite-test");
  std::string manifest = write_manifest(dir, "[[test]]\nname = \"files\"\nargs = [\"sh\", \"-c\", "
                                             "\"echo $KTSTR_ATTEMPT >$KTSTR_OUTPUT/attempt; [ $KTSTR_ATTEMPT = 2 ]\"]\n");
  std::string art = dir + "/art";
  int rc = run_captured({KTSTR_VM_BIN, "suite", manifest, "--retries", "1", "--keep-all", "--artifacts", art}, dir);
  EXPECT_EQ(rc, 0) << slurp(dir + "/out") << slurp(dir + "/err");
  EXPECT_EQ(slurp(art + "/files/attempt-1/output/attempt"), "1\n");
  EXPECT_EQ(slurp(art + "/files/attempt-2/output/attempt"), "2\n");
  auto report = nlohmann::json::parse(slurp(art + "/files/attempt-2/report.json"), nullptr, false);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["output"]["complete"], true) << report["output"].dump();
  EXPECT_EQ(report["output"]["dir"], art + "/files/attempt-2/output");
  fs::remove_all(dir);
}

// Each artifact folder carries ktstr-vm's marker; the next run replaces a marked folder, and a
// folder of the user's in the same place stops the suite before any VM boots, untouched.
TEST(VmSuite, ArtifactFoldersAreMarkedAndOnlyOursAreReplaced) {
  std::string dir = make_temp_dir("/tmp/ktstr-suite-test");
  std::string manifest = write_manifest(dir, "[[test]]\nname = \"hello\"\nargs = [\"echo\", \"hello\"]\n");
  std::string art = dir + "/art";
  int rc = run_captured({KTSTR_VM_BIN, "suite", manifest, "--keep-all", "--artifacts", art}, dir);
  ASSERT_EQ(rc, 0) << slurp(dir + "/out") << slurp(dir + "/err");
  EXPECT_TRUE(fs::is_regular_file(art + "/hello/.ktstr-vm-artifacts"));
  std::ofstream(art + "/hello/stale") << "from an older run";
  // Ours: replaced by the next run.
  rc = run_captured({KTSTR_VM_BIN, "suite", manifest, "--keep-all", "--artifacts", art}, dir);
  EXPECT_EQ(rc, 0) << slurp(dir + "/out") << slurp(dir + "/err");
  EXPECT_FALSE(fs::exists(art + "/hello/stale"));
  EXPECT_TRUE(fs::is_regular_file(art + "/hello/.ktstr-vm-artifacts"));
  EXPECT_EQ(slurp(art + "/hello/attempt-1/stdout"), "hello\n");
  // The user's: named, left alone, nothing boots (no attempt folder appears).
  fs::remove_all(art + "/hello");
  fs::create_directories(art + "/hello");
  std::ofstream(art + "/hello/precious.txt") << "mine";
  rc = run_captured({KTSTR_VM_BIN, "suite", manifest, "--artifacts", art}, dir);
  EXPECT_EQ(rc, 2) << slurp(dir + "/out") << slurp(dir + "/err");
  EXPECT_NE(slurp(dir + "/err").find(art + "/hello"), std::string::npos) << slurp(dir + "/err");
  EXPECT_EQ(slurp(art + "/hello/precious.txt"), "mine");
  EXPECT_FALSE(fs::exists(art + "/hello/attempt-1"));
  fs::remove_all(dir);
}

// A program that is a host directory or missing ends 126/127 before boot, as in `run`.
TEST(VmSuite, SetupErrorsKeepRunsExitStatus) {
  std::string dir = make_temp_dir("/tmp/ktstr-suite-test");
  std::string manifest = write_manifest(dir, "[[test]]\nname = \"dir\"\nargs = [\"/proc\"]\n"
                                             "[[test]]\nname = \"tool\"\nargs = [\"no-such-tool-anywhere\"]\n");
  int rc = run_captured({KTSTR_VM_BIN, "suite", manifest, "--json", dir + "/suite.json", "--artifacts", dir + "/art"}, dir);
  EXPECT_EQ(rc, 1) << slurp(dir + "/out") << slurp(dir + "/err");
  auto report = nlohmann::json::parse(slurp(dir + "/suite.json"));
  EXPECT_EQ(test_of(report, "dir")["exit_code"], 126) << report.dump(1);
  EXPECT_EQ(test_of(report, "tool")["exit_code"], 127) << report.dump(1);
  fs::remove_all(dir);
}

// A matrix of 2 topologies x 2 sched_args profiles: 4 named variants, each of which sees its own
// shape (NUMA nodes and LLCs from sysfs) and its own scheduler arguments inside the guest.
TEST(VmSuite, MatrixVariantsGetTheirShapeAndArgumentsInTheGuest) {
  std::string dir = make_temp_dir("/tmp/ktstr-suite-test");
  std::string manifest = write_manifest(dir, R"TOML(
[[test]]
name = "shape"
scheduler = "scx_simple"
args = ["sh", "-c", "echo nodes=$(cat /sys/devices/system/node/node*/cpulist | tr '\n' ' '); echo llcs=$(cat /sys/devices/system/cpu/cpu*/cache/index3/shared_cpu_list | sort -u | tr '\n' ' '); echo args=$(cat /sched_args | tr '\n' ' ')"]
[test.matrix]
topology = ["1,1,2,1", "2,2,1,1"]
sched_args = { plain = [], fifo = ["-f"] }
)TOML");
  int rc = run_captured({KTSTR_VM_BIN, "suite", manifest, "-j2", "--keep-all", "--artifacts", dir + "/art",
                         "--json", dir + "/suite.json"},
                        dir);
  EXPECT_EQ(rc, 0) << slurp(dir + "/out") << slurp(dir + "/err");
  struct Want {
    const char* folder;
    const char* nodes;
    const char* llcs;
    const char* args;
  };
  for (const Want& w : {Want{"shape[1,1,2,1+plain]", "nodes=0-1", "llcs=0-1", "args="},
                        Want{"shape[1,1,2,1+fifo]", "nodes=0-1", "llcs=0-1", "args=-f"},
                        Want{"shape[2,2,1,1+plain]", "nodes=0 1", "llcs=0 1", "args="},
                        Want{"shape[2,2,1,1+fifo]", "nodes=0 1", "llcs=0 1", "args=-f"}}) {
    std::string out = slurp(dir + "/art/" + w.folder + "/attempt-1/stdout");
    EXPECT_NE(out.find(std::string(w.nodes) + "\n"), std::string::npos) << w.folder << ": " << out;
    EXPECT_NE(out.find(std::string(w.llcs) + "\n"), std::string::npos) << w.folder << ": " << out;
    EXPECT_NE(out.find(std::string(w.args) + "\n"), std::string::npos) << w.folder << ": " << out;
  }
  auto report = nlohmann::json::parse(slurp(dir + "/suite.json"));
  ASSERT_EQ(report["tests"].size(), 4u);
  EXPECT_EQ(report["tests"][3]["name"], "shape[2,2,1,1/fifo]");
  fs::remove_all(dir);
}

// pids of the processes whose parent is `pid`.
std::set<pid_t> children_of(pid_t pid) {
  std::set<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string stat = slurp((e.path() / "stat").string());
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 2, "%*c %d", &ppid) == 1 && ppid == pid)
      out.insert(pid_t(std::stoi(e.path().filename().string())));
  }
  return out;
}

// Ctrl-C while two VMs run: both are stopped gracefully, the third test never starts, the summary
// so far is printed, the status is 130 and no QEMU is left behind.
TEST(VmSuite, CtrlCStopsEveryVmAndPrintsTheSummarySoFar) {
  std::string dir = make_temp_dir("/tmp/ktstr-suite-test");
  std::string manifest = write_manifest(dir, R"(
[[test]]
name = "a"
args = ["sh", "-c", "echo started; sleep 600"]
[[test]]
name = "b"
args = ["sh", "-c", "echo started; sleep 600"]
[[test]]
name = "c"
args = ["true"]
)");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen((dir + "/out").c_str(), "w", stdout);
    std::freopen((dir + "/err").c_str(), "w", stderr);
    execl(KTSTR_VM_BIN, KTSTR_VM_BIN, "suite", manifest.c_str(), "-j2", "--artifacts", (dir + "/art").c_str(),
          "--json", (dir + "/suite.json").c_str(), nullptr);
    _exit(127);
  }
  auto started = [&](const char* t) {
    return slurp(dir + "/art/" + t + "/attempt-1/stdout").find("started") != std::string::npos;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while (!(started("a") && started("b")) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(started("a") && started("b")) << slurp(dir + "/out") << slurp(dir + "/err");
  std::set<pid_t> qemus = children_of(pid);
  EXPECT_EQ(qemus.size(), 2u);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 130);
  std::string out = slurp(dir + "/out");
  EXPECT_NE(out.find("INTERRUPTED"), std::string::npos) << out;
  EXPECT_NE(out.find("1 not run"), std::string::npos) << out;
  for (pid_t q : qemus) EXPECT_NE(kill(q, 0), 0) << "QEMU " << q << " is still running";
  // Graceful: each guest got STOP and said DONE with 130.
  auto report = nlohmann::json::parse(slurp(dir + "/suite.json"));
  for (const char* t : {"a", "b"}) {
    auto tj = test_of(report, t);
    EXPECT_EQ(tj["exit_code"], 130) << t;
    EXPECT_FALSE(tj["attempts"][0]["report"].value("done", nlohmann::json()).is_null()) << tj.dump(1).substr(0, 2000);
  }
  EXPECT_EQ(test_of(report, "c")["status"], "not_run");
  fs::remove_all(dir);
}

}  // namespace
