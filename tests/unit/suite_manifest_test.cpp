// Suite manifests: parsing, defaults, matrix expansion, errors naming file:line:key; selection
// by filter and shard.
#include "suite_manifest.hpp"
#include "suite_select.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace ktstr::host;

namespace {

class SuiteManifestTest : public ::testing::Test {
 protected:
  // Files the manifests below name exist (they are checked at load), and the set-up cache is a
  // private one holding one scheduler name, scx_simple.
  void SetUp() override {
    fs::create_directories(dir_ / "cache" / "schedulers");
    fs::create_directories(dir_ / "data");
    fs::create_directories(dir_ / "out");
    std::ofstream(dir_ / "cache" / "schedulers" / "scx_simple") << "#!/bin/sh\n";
    fs::permissions(dir_ / "cache" / "schedulers" / "scx_simple", fs::perms::owner_all);
    std::ofstream(dir_ / "base.json") << R"({"programs": {"simple_enqueue": 42}})";
    if (const char* c = std::getenv("KTSTR_CACHE")) old_cache_ = c;
    setenv("KTSTR_CACHE", (dir_ / "cache").c_str(), 1);
  }
  void TearDown() override {
    if (old_cache_) setenv("KTSTR_CACHE", old_cache_->c_str(), 1);
    else unsetenv("KTSTR_CACHE");
  }
  std::string write(const std::string& text) {
    std::string p = (dir_ / "suite.toml").string();
    std::ofstream(p) << text;
    return p;
  }
  std::string error_of(const std::string& text) {
    try {
      load_manifest(write(text));
    } catch (const ManifestError& e) {
      return e.what();
    }
    return "(no error)";
  }
  ktstr::test::ScratchDir scratch_{"ktstr-manifest"};
  fs::path dir_ = scratch_.path();
  std::optional<std::string> old_cache_;
};

TEST_F(SuiteManifestTest, DefaultsApplyAndTestsOverride) {
  auto m = load_manifest(write(R"(
[defaults]
scheduler = "scx_simple"
timeout = 60
memory = 512

[[test]]
name = "dsp"
args = ["./runner", "-t", "dsp"]
sched_args = ["-v"]
include = ["data"]
expect_exit = 3

[[test]]
name = "plain"
args = ["true"]
scheduler = ""
smp = 4
)"));
  ASSERT_EQ(m.tests.size(), 2u);
  EXPECT_EQ(m.name, "suite");
  const auto& a = m.tests[0];
  EXPECT_EQ(a.name, "dsp");
  EXPECT_EQ(a.run.scheduler, "scx_simple");
  EXPECT_EQ(a.run.vm.timeout_s, 60u);
  EXPECT_EQ(a.run.vm.memory_mb, 512u);
  EXPECT_EQ(a.expect_exit, 3);
  EXPECT_EQ(a.run.pack.sched_args, std::vector<std::string>{"-v"});
  // Relative paths are relative to the manifest's folder; bare names stay names.
  EXPECT_EQ(a.run.pack.payload[0], (dir_ / "runner").string());
  EXPECT_EQ(a.run.pack.includes[0], (dir_ / "data").string());
  const auto& b = m.tests[1];
  EXPECT_EQ(b.run.scheduler, "");
  EXPECT_EQ(b.run.vm.smp, 4u);
  EXPECT_EQ(b.run.pack.payload[0], "true");
  EXPECT_EQ(b.expect_exit, 0);
}

TEST_F(SuiteManifestTest, MatrixExpandsToNamedVariantsInFileOrder) {
  auto m = load_manifest(write(R"(
[[test]]
name = "stress"
args = ["stress-ng", "--cpu", "4"]
sched_args = ["-x"]
[test.matrix]
topology = ["1,1,2,1", "2,4,2,1"]
sched_args = { plain = [], llc = ["--enable-llc-awareness"] }
)"));
  std::vector<std::string> names;
  for (const auto& t : m.tests) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"stress[1,1,2,1/plain]", "stress[1,1,2,1/llc]", "stress[2,4,2,1/plain]",
                                             "stress[2,4,2,1/llc]"}));
  EXPECT_EQ(m.tests[1].topology, "1,1,2,1");
  EXPECT_EQ(m.tests[1].run.pack.sched_args, (std::vector<std::string>{"-x", "--enable-llc-awareness"}));
  EXPECT_EQ(m.tests[2].run.pack.sched_args, std::vector<std::string>{"-x"});
  EXPECT_EQ(m.tests[3].base_name, "stress");
}

TEST_F(SuiteManifestTest, MatrixOfOneDimensionNamesOnlyIt) {
  auto m = load_manifest(write(R"(
[[test]]
name = "t"
args = ["true"]
matrix = { topology = ["tiny-2llc", "2n4l2c1t"] }
)"));
  ASSERT_EQ(m.tests.size(), 2u);
  EXPECT_EQ(m.tests[0].name, "t[tiny-2llc]");
  EXPECT_EQ(m.tests[1].name, "t[2n4l2c1t]");
}

TEST_F(SuiteManifestTest, TopologyIsTheRunShapeAndSmpReplacesIt) {
  auto m = load_manifest(write(R"(
[defaults]
topology = "2n4l2c1t"

[[test]]
name = "shaped"
args = ["true"]

[[test]]
name = "flat"
args = ["true"]
smp = 3

[[test]]
name = "m"
args = ["true"]
matrix = { topology = ["tiny-2llc", "1,2,2,2"] }
)"));
  ASSERT_EQ(m.tests.size(), 4u);
  EXPECT_EQ(m.tests[0].run.vm.topology, (ktstr::Topology{2, 4, 2, 1}));
  EXPECT_FALSE(m.tests[1].run.vm.topology.set());
  EXPECT_EQ(m.tests[1].run.vm.smp, 3u);
  EXPECT_EQ(m.tests[2].run.vm.topology, (ktstr::Topology{1, 2, 2, 1}));  // the preset's shape
  EXPECT_EQ(m.tests[3].run.vm.topology, (ktstr::Topology{1, 2, 2, 2}));
}

TEST_F(SuiteManifestTest, TelemetryAndVerifierBaselineKeys) {
  auto m = load_manifest(write(R"(
[defaults]
scheduler = "scx_simple"
verifier_baseline = "base.json"
verifier_slack = 5

[[test]]
name = "a"
args = ["true"]
telemetry = false
stats_ms = 250
verifier_slack = 2.5
write_verifier_baseline = "out/base.json"
)"));
  const auto& r = m.tests[0].run;
  EXPECT_EQ(r.verifier_baseline, (dir_ / "base.json").string());
  EXPECT_EQ(r.write_verifier_baseline, (dir_ / "out/base.json").string());
  EXPECT_DOUBLE_EQ(r.verifier_slack_pct, 2.5);
  EXPECT_TRUE(r.no_telemetry);
  EXPECT_EQ(r.stats_ms, 250);
}

TEST_F(SuiteManifestTest, ErrorsNameFileLineAndKey) {
  std::string p = (dir_ / "suite.toml").string();
  EXPECT_EQ(error_of("[[test]]\nname = \"a\"\nargs = [\"true\"]\ntimeuot = 5\n"), p + ":4: 'timeuot': unknown key");
  EXPECT_EQ(error_of("[[test]]\nname = \"a\"\nargs = [\"true\"]\ntimeout = \"5\"\n"),
            p + ":4: 'timeout': expected an integer");
  EXPECT_EQ(error_of("[[test]]\nname = \"a\"\n"), p + ":1: 'args': test 'a' needs args = [PROGRAM, ARG...]");
  EXPECT_EQ(error_of("[[test]]\nargs = [\"true\"]\n"), p + ":1: 'name': every [[test]] needs a name");
  EXPECT_EQ(error_of("[[test]]\nname = \"a\"\nargs = [\"x\"]\n[[test]]\nname = \"a\"\nargs = [\"y\"]\n"),
            p + ":4: 'name': 'a' is already used by the test at line 1");
  EXPECT_EQ(error_of("[defaults]\nmemory = 1\n[[test]]\nname = \"a\"\nargs = [\"x\"]\n"),
            p + ":2: 'memory': 1 is out of range 128..65536");
  EXPECT_EQ(error_of("[[test]]\nname = \"a b\"\nargs = [\"x\"]\n"),
            p + ":2: 'name': 'a b': use letters, digits, '_', '-' and '.' only");
  EXPECT_EQ(error_of("[[test]]\nname = \"a\"\nargs = [\"x\"]\n[test.matrix]\nsmp = [1]\n"),
            p + ":5: 'matrix.smp': unknown key (the matrix takes topology and sched_args)");
  EXPECT_TRUE(error_of("[[test]]\nname = \"a\"\nargs = [\"x\"]\ntopology = \"2,3,1,1\"\n").starts_with(p + ":4: 'topology': "))
      << error_of("[[test]]\nname = \"a\"\nargs = [\"x\"]\ntopology = \"2,3,1,1\"\n");
  EXPECT_TRUE(error_of("[[test]]\nname = \"a\"\nargs = [\"x\"]\nmatrix = { topology = [\"huge\"] }\n")
                  .starts_with(p + ":4: 'matrix.topology': "));
  // A shape the memory cannot be split into: refused at the test, as `run` refuses it.
  EXPECT_TRUE(error_of("[[test]]\nname = \"a\"\nargs = [\"x\"]\nmemory = 128\ntopology = \"4,4,1,1\"\n")
                  .starts_with(p + ":1: 'a': --topology: ")) << error_of("[[test]]\nname = \"a\"\nargs = [\"x\"]\nmemory = 128\ntopology = \"4,4,1,1\"\n");
  EXPECT_EQ(error_of("[[test]]\nname = \"a\"\nargs = [\"x\"]\ntelemetry = 1\n"), p + ":4: 'telemetry': expected true or false");
  EXPECT_EQ(error_of("[defaults]\nscheduler = \"scx_simple\"\nwrite_verifier_baseline = \"b.json\"\n[[test]]\n"
                     "name = \"a\"\nargs = [\"x\"]\n[[test]]\nname = \"b\"\nargs = [\"x\"]\n"),
            p + ":7: 'write_verifier_baseline': tests 'a' and 'b' would both write " + (dir_ / "b.json").string() +
                "; give each test its own file");
  EXPECT_EQ(error_of(""), p + ": no [[test]] in the manifest");
  // A TOML syntax error carries the parser's line.
  EXPECT_TRUE(error_of("[[test]]\nname = \"a\nargs = []\n").starts_with(p + ":2: ")) << error_of("[[test]]\nname = \"a\n");
  EXPECT_EQ(error_of(std::string()), p + ": no [[test]] in the manifest");
}

TEST_F(SuiteManifestTest, MissingFileIsNamed) {
  try {
    load_manifest((dir_ / "nope.toml").string());
    FAIL();
  } catch (const ManifestError& e) {
    EXPECT_EQ(std::string(e.what()), (dir_ / "nope.toml").string() + ": no such file");
  }
}

// A test's name is its folder under --artifacts, which is replaced when the test starts: `..`
// was the artifacts folder's parent (the working directory by default) and was wiped.
TEST_F(SuiteManifestTest, NamesThatAreNotOneFolderNameAreRefused) {
  std::string p = (dir_ / "suite.toml").string();
  EXPECT_EQ(error_of("[[test]]\nname = \"..\"\nargs = [\"true\"]\n"),
            p + ":2: 'name': '..': a test name is a folder name under --artifacts; '.' and '..' are not");
  EXPECT_EQ(error_of("[[test]]\nname = \".\"\nargs = [\"true\"]\n"),
            p + ":2: 'name': '.': a test name is a folder name under --artifacts; '.' and '..' are not");
  EXPECT_EQ(error_of("[[test]]\nname = \"a/b\"\nargs = [\"true\"]\n"),
            p + ":2: 'name': 'a/b': use letters, digits, '_', '-' and '.' only");
  EXPECT_EQ(error_of("[[test]]\nname = \"" + std::string(300, 'x') + "\"\nargs = [\"true\"]\n"),
            p + ":1: 'name': '" + std::string(300, 'x') + "' is longer than a folder name may be (255 bytes)");
  // Names with dots that are still one folder are fine.
  auto m = load_manifest(write("[[test]]\nname = \"...\"\nargs = [\"true\"]\n[[test]]\nname = \".a\"\nargs = [\"true\"]\n"));
  EXPECT_EQ(artifact_folder_name(m.tests[0].name), "...");
  // Variant names map '/' to '+' in their folder: two that would share one are refused.
  EXPECT_EQ(error_of("[[test]]\nname = \"t\"\nargs = [\"true\"]\nmatrix = { sched_args = { \"x/y\" = [], \"x+y\" = [] } }\n"),
            p + ":1: 'name': tests 't[x/y]' and 't[x+y]' would share the artifacts folder t[x+y]");
}

// NaN passed the old range check (every comparison with it is false) and turned the verifier
// guard off; infinities are refused with it.
TEST_F(SuiteManifestTest, NonFiniteNumbersAreRefused) {
  std::string p = (dir_ / "suite.toml").string();
  std::string head = "[defaults]\nscheduler = \"scx_simple\"\nverifier_baseline = \"base.json\"\n[[test]]\n"
                     "name = \"a\"\nargs = [\"true\"]\n";
  for (const char* v : {"nan", "+nan", "-nan", "inf", "-inf"}) {
    std::string e = error_of(head + "verifier_slack = " + v + "\n");
    EXPECT_TRUE(e.starts_with(p + ":7: 'verifier_slack': expected a finite number 0..10000, not ")) << v << ": " << e;
  }
  EXPECT_EQ(error_of(head + "verifier_slack = \"5\"\n"), p + ":7: 'verifier_slack': expected a number 0..10000");
  EXPECT_TRUE(error_of(head + "verifier_slack = 10001.5\n").starts_with(p + ":7: 'verifier_slack': 10001.5"))
      << error_of(head + "verifier_slack = 10001.5\n");
  EXPECT_TRUE(error_of("[defaults]\nverifier_slack = nan\n[[test]]\nname = \"a\"\nargs = [\"true\"]\n")
                  .starts_with(p + ":2: 'verifier_slack': expected a finite number"));
  auto m = load_manifest(write(head + "verifier_slack = 0\n"));
  EXPECT_DOUBLE_EQ(m.tests[0].run.verifier_slack_pct, 0.0);
}

// Files the manifest names are checked at load: a missing one is a manifest error at its line
// (exit 2, nothing boots), never a per-test 125 that --retries would retry.
TEST_F(SuiteManifestTest, MissingFilesAreManifestErrorsAtTheirLine) {
  std::string p = (dir_ / "suite.toml").string();
  std::string d = dir_.string();
  std::string head = "[[test]]\nname = \"a\"\nargs = [\"true\"]\n";
  struct Case {
    std::string line, want;
  };
  for (const Case& c : std::vector<Case>{
           {"scheduler = \"./nope\"", ":4: 'scheduler': scheduler " + d + "/nope: no such file"},
           {"scheduler = \"scx_nonexistent\"", ":4: 'scheduler': scheduler 'scx_nonexistent': not a file and not a known name"},
           {"include = [\"data\", \"nope\"]", ":4: 'include': " + d + "/nope: no such file or directory"},
           {"kernel = \"/nonexistent/vmlinux\"", ":4: 'kernel': /nonexistent/vmlinux: no such file or directory"},
           {"kernel = \"base.json\"", ":4: 'kernel': "},
           {"sched_enable = \"nope\"", ":4: 'sched_enable': " + d + "/nope: no such file or directory"},
           {"sched_disable = \"data\"", ":4: 'sched_disable': " + d + "/data: not a regular file"},
           {"splat_rules = \"nope\"", ":4: 'splat_rules': " + d + "/nope: no such file or directory"},
           {"splat_rules = \"base.json\"", ":4: 'splat_rules': "},
           {"deny = [\"(\"]", ":4: 'deny': "},
           {"scheduler = \"scx_simple\"\nverifier_baseline = \"nope.json\"",
            ":5: 'verifier_baseline': " + d + "/nope.json: no such file or directory"},
           {"scheduler = \"scx_simple\"\nverifier_baseline = \"data/../suite.toml\"", ":5: 'verifier_baseline': verifier baseline "},
           {"scheduler = \"scx_simple\"\nwrite_verifier_baseline = \"no/dir/b.json\"",
            ":5: 'write_verifier_baseline': " + d + "/no/dir/b.json: No such file or directory"},
           {"scheduler = \"scx_simple\"\nwrite_verifier_baseline = \"data\"",
            ":5: 'write_verifier_baseline': " + d + "/data: Is a directory"},
       }) {
    std::string e = error_of(head + c.line + "\n");
    EXPECT_TRUE(e.starts_with(p + c.want)) << c.line << "\n  got: " << e;
  }
  // The same in [defaults], at the default's line.
  EXPECT_EQ(error_of("[defaults]\ninclude = [\"gone\"]\n" + head), p + ":2: 'include': " + d + "/gone: no such file or directory");
  // Checking writability leaves nothing behind.
  load_manifest(write(head + "scheduler = \"scx_simple\"\nwrite_verifier_baseline = \"out/new.json\"\n"));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "new.json"));
}

TEST_F(SuiteManifestTest, SmpBesideTopologyInOneTableIsRefused) {
  std::string p = (dir_ / "suite.toml").string();
  EXPECT_EQ(error_of("[[test]]\nname = \"a\"\nargs = [\"true\"]\nsmp = 2\ntopology = \"1,1,2,1\"\n"),
            p + ":4: 'smp': beside 'topology' in one table; give one (smp = N is topology 1,1,N,1)");
  EXPECT_EQ(error_of("[defaults]\ntopology = \"1,1,2,1\"\nsmp = 2\n[[test]]\nname = \"a\"\nargs = [\"true\"]\n"),
            p + ":3: 'smp': beside 'topology' in one table; give one (smp = N is topology 1,1,N,1)");
}

TEST_F(SuiteManifestTest, VerifierOptionsNeedASchedulerAndSlackNeedsABaseline) {
  std::string p = (dir_ / "suite.toml").string();
  std::string head = "[[test]]\nname = \"a\"\nargs = [\"true\"]\n";
  EXPECT_EQ(error_of(head + "verifier_baseline = \"base.json\"\n"),
            p + ":4: 'verifier_baseline': test 'a' has no scheduler: without one no BPF programs are loaded to compare");
  EXPECT_EQ(error_of(head + "write_verifier_baseline = \"out/b.json\"\n"),
            p + ":4: 'write_verifier_baseline': test 'a' has no scheduler: without one no BPF programs are loaded to "
                "compare");
  EXPECT_EQ(error_of("[defaults]\nscheduler = \"scx_simple\"\nverifier_baseline = \"base.json\"\n" + head +
                     "scheduler = \"\"\n"),
            p + ":4: 'verifier_baseline': test 'a' has no scheduler: without one no BPF programs are loaded to compare");
  EXPECT_EQ(error_of(head + "scheduler = \"scx_simple\"\nverifier_slack = 5\n"),
            p + ":5: 'verifier_slack': test 'a' has no verifier_baseline to allow slack against");
  // A slack in [defaults] may serve the tests that have a baseline.
  auto m = load_manifest(write("[defaults]\nscheduler = \"scx_simple\"\nverifier_slack = 5\n" + head +
                               "[[test]]\nname = \"b\"\nargs = [\"true\"]\nverifier_baseline = \"base.json\"\n"));
  EXPECT_DOUBLE_EQ(m.tests[1].run.verifier_slack_pct, 5.0);
}

TEST_F(SuiteManifestTest, DirectoryAsManifestIsNamedAsADirectory) {
  try {
    load_manifest(dir_.string());
    FAIL();
  } catch (const ManifestError& e) {
    EXPECT_EQ(std::string(e.what()), dir_.string() + ": is a directory; give the manifest's TOML file");
  }
}

std::vector<SuiteTest> named(std::initializer_list<const char*> names) {
  std::vector<SuiteTest> out;
  for (const char* n : names) out.push_back(SuiteTest{.name = n});
  return out;
}

TEST(SuiteSelect, ShardsAreDisjointAndCoverTheSuite) {
  std::vector<SuiteTest> tests;
  for (int i = 0; i < 13; ++i) tests.push_back(SuiteTest{.name = "t" + std::to_string(i)});
  std::multiset<std::size_t> all;
  for (unsigned i = 1; i <= 3; ++i) {
    auto part = select_tests(tests, {}, Shard{i, 3});
    EXPECT_GE(part.size(), 4u);
    EXPECT_LE(part.size(), 5u);
    all.insert(part.begin(), part.end());
  }
  EXPECT_EQ(all.size(), 13u);
  EXPECT_EQ(std::set<std::size_t>(all.begin(), all.end()).size(), 13u);
}

TEST(SuiteSelect, FiltersAreGlobsOrExactNamesAndApplyBeforeSharding) {
  auto tests = named({"a", "stress[1,1,2,1/llc]", "stress[2,4,2,1/llc]", "b"});
  EXPECT_EQ(select_tests(tests, {"stress*"}, {}), (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(select_tests(tests, {"stress[2,4,2,1/llc]"}, {}), (std::vector<std::size_t>{2}));
  EXPECT_EQ(select_tests(tests, {"a", "b"}, {}), (std::vector<std::size_t>{0, 3}));
  EXPECT_EQ(select_tests(tests, {"stress*"}, Shard{2, 2}), (std::vector<std::size_t>{2}));
}

// A filter that matches nothing is most likely a typo: refused, where it used to pass a CI job
// with nothing run. An empty shard (more shards than tests) is fair and empty.
TEST(SuiteSelect, FiltersMatchingNoTestAreRefusedAnEmptyShardIsNot) {
  auto tests = named({"a", "b"});
  try {
    select_tests(tests, {"zzz", "y*"}, {});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "--filter 'zzz', 'y*' matches no test of the 2 in the manifest (--list shows their names)");
  }
  EXPECT_TRUE(select_tests(tests, {}, Shard{3, 3}).empty());
  EXPECT_TRUE(select_tests(tests, {"a"}, Shard{2, 2}).empty());  // the filter matched; the shard is empty
}

TEST(SuiteSelect, ShardTextIsChecked) {
  EXPECT_EQ(parse_shard("2/3").index, 2u);
  EXPECT_EQ(parse_shard("2/3").count, 3u);
  for (const char* bad : {"0/3", "4/3", "1/0", "x/3", "1/", "/2", "1-3", "1/3x", ""})
    EXPECT_THROW(parse_shard(bad), std::invalid_argument) << bad;
}

}  // namespace

// boot_timeout: the first-frame deadline of `run --boot-timeout`, per test or in [defaults].
TEST_F(SuiteManifestTest, BootTimeoutKey) {
  auto m = load_manifest(write("[defaults]\nboot_timeout = 400\n[[test]]\nname = \"a\"\nargs = [\"true\"]\n"
                               "[[test]]\nname = \"b\"\nargs = [\"true\"]\nboot_timeout = 900\n"));
  ASSERT_EQ(m.tests.size(), 2u);
  EXPECT_EQ(m.tests[0].run.boot_timeout_s, 400u);
  EXPECT_EQ(m.tests[1].run.boot_timeout_s, 900u);
  EXPECT_EQ(error_of("[[test]]\nname = \"a\"\nargs = [\"true\"]\nboot_timeout = 0\n"),
            write("") + ":4: 'boot_timeout': 0 is out of range 1..604800");
}

// on_failure and on_failure_timeout at both levels reach the run options; expect_exit reaches
// them too (the guest runs the hook for a status other than it).
TEST_F(SuiteManifestTest, OnFailureAtBothLevelsReachesTheRunOptions) {
  auto m = load_manifest(write(R"(
[defaults]
on_failure = "cat /sys/kernel/sched_ext/root/ops"
on_failure_timeout = 7

[[test]]
name = "inherits"
args = ["true"]
expect_exit = 3

[[test]]
name = "own"
args = ["true"]
on_failure = "dmesg"
on_failure_timeout = 60
)"));
  ASSERT_EQ(m.tests.size(), 2u);
  EXPECT_EQ(m.tests[0].run.pack.on_failure, "cat /sys/kernel/sched_ext/root/ops");
  EXPECT_EQ(m.tests[0].run.on_failure_timeout_s, 7u);
  EXPECT_EQ(m.tests[0].run.expect_exit, 3);
  EXPECT_EQ(m.tests[1].run.pack.on_failure, "dmesg");
  EXPECT_EQ(m.tests[1].run.on_failure_timeout_s, 60u);
  EXPECT_EQ(m.tests[1].run.expect_exit, 0);
  EXPECT_NE(error_of("[[test]]\nname = \"t\"\nargs = [\"true\"]\non_failure_timeout = 0\n").find("on_failure_timeout"),
            std::string::npos);
  EXPECT_NE(error_of("[[test]]\nname = \"t\"\nargs = [\"true\"]\non_failure = 3\n").find("on_failure"),
            std::string::npos);
}

// A manifest named relative to the working directory (`suite m.toml`, `suite ./m.toml`) resolves
// `./prog` beside it, as an absolute path would: not the bare name `prog` (a guest PATH lookup).
TEST_F(SuiteManifestTest, RelativeManifestKeepsDotSlashProgramsAsHostPaths) {
  std::ofstream(dir_ / "prog.sh") << "#!/bin/sh\n";
  write("[[test]]\nname = \"t\"\nargs = [\"./prog.sh\", \"x\"]\n");
  fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  for (const char* name : {"suite.toml", "./suite.toml"}) {
    auto m = load_manifest(name);
    ASSERT_EQ(m.tests.size(), 1u);
    EXPECT_EQ(m.tests[0].run.pack.payload[0], (dir_ / "prog.sh").string()) << name;
  }
  fs::current_path(cwd);
}
