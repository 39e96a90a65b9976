// The verifier budget guard: a baseline written from a run, the same run passes against it, a
// program past the slack fails naming itself and both numbers; bad baseline files are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "verifier_baseline.hpp"

using namespace ktstr::host;

namespace {

std::vector<BpfProgram> run_programs() {
  BpfProgram a, b;
  a.name = a.key = "simple_enqueue";
  a.verified_insns = 110;
  b.name = b.key = "simple_dispatch";
  b.verified_insns = 40;
  return {a, b};
}

std::string temp_path(const char* name) { return ::testing::TempDir() + name; }

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST(VerifierBaseline, OwnBaselinePassesAndLoweredOneFails) {
  std::string path = temp_path("vb_own.json");
  write_verifier_baseline(path, run_programs(), "7.3", "scx_simple");
  VerifierBaseline base = load_verifier_baseline(path);
  EXPECT_EQ(base.programs.at("simple_enqueue"), 110u);
  auto ok = check_verifier_baseline(base, run_programs(), 10);
  EXPECT_TRUE(ok.failure.empty()) << ok.failure;
  EXPECT_TRUE(ok.notes.empty());
  base.programs["simple_enqueue"] = 100;  // 110 is exactly +10 %: still within
  EXPECT_TRUE(check_verifier_baseline(base, run_programs(), 10).failure.empty());
  base.programs["simple_enqueue"] = 99;
  auto bad = check_verifier_baseline(base, run_programs(), 10);
  EXPECT_NE(bad.failure.find("simple_enqueue verified 110 insns, baseline 99"), std::string::npos) << bad.failure;
  EXPECT_EQ(bad.failure.find("simple_dispatch"), std::string::npos) << bad.failure;
  EXPECT_TRUE(check_verifier_baseline(base, run_programs(), 20).failure.empty());
}

// NaN passed the old option range check, and every comparison with it is false: the guard let
// any growth through. The check itself now fails closed.
TEST(VerifierBaseline, NonFiniteSlackFailsClosed) {
  VerifierBaseline base{"b", {{"simple_enqueue", 10}, {"simple_dispatch", 40}}};
  for (double slack : {std::nan(""), HUGE_VAL, -HUGE_VAL})
    EXPECT_NE(check_verifier_baseline(base, run_programs(), slack).failure.find("not a finite percentage"),
              std::string::npos) << slack;
}

TEST(VerifierBaseline, NewGoneAndShrunkProgramsAreNotesNotFailures) {
  VerifierBaseline base{"b", {{"simple_enqueue", 200}, {"old_prog", 5}}};
  auto c = check_verifier_baseline(base, run_programs(), 10);
  EXPECT_TRUE(c.failure.empty());
  ASSERT_EQ(c.notes.size(), 3u);  // dispatch new, enqueue shrunk, old_prog gone
  EXPECT_FALSE(check_verifier_baseline(base, {}, 10).failure.empty());  // nothing to compare: fail
}

TEST(VerifierBaseline, BadFilesAreRefused) {
  std::string path = temp_path("vb_bad.json");
  for (const char* text : {"", "[]", "{\"programs\":{}}", "{\"programs\":{\"a\":-1}}", "{\"programs\":{\"a\":\"1\"}}"}) {
    write(path, text);
    EXPECT_THROW(load_verifier_baseline(path), std::runtime_error) << text;
  }
  EXPECT_THROW(load_verifier_baseline(temp_path("vb_missing.json")), std::runtime_error);
  EXPECT_THROW(write_verifier_baseline(path, {}, "k", "s"), std::runtime_error);
}
