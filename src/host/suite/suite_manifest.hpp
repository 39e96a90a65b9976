// `ktstr-vm suite` manifests: a TOML file of tests, each one `ktstr-vm run` with its options,
// expanded over `[test.matrix]` into named variants (docs/suite.md).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "session_options.hpp"

namespace ktstr::host {

// A syntax or schema error: names the file, the line and the key. `ktstr-vm suite` exits 2.
struct ManifestError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One runnable variant of a manifest test.
struct SuiteTest {
  std::string name;       // unique: "dsp", or "stress[2,4,2,1/llc]" for a matrix variant
  std::string base_name;  // the [[test]] name it came from
  int line = 0;           // where its [[test]] starts in the manifest
  RunOptions run;         // exactly what `ktstr-vm run` would get; paths resolved
  std::string topology;   // as written ("" = none): "N,L,C,T", "NnLlCcTt" or a preset name
  int expect_exit = 0;    // the run's exit status that counts as a pass
};

struct SuiteManifest {
  std::string path;  // as given
  std::string name;  // the file's stem: JUnit's classname and testsuite name
  std::vector<SuiteTest> tests;  // in manifest order, matrix variants in expansion order
};

// A test's artifacts folder name (DIR/NAME, docs/suite.md): its name with '/' (a matrix
// variant's topology/profile) made '+', and anything unprintable '_'.
std::string artifact_folder_name(const std::string& test_name);

// Reads and validates a manifest; relative paths in it are relative to its folder. Everything
// that can be known without a VM is checked here, so a bad manifest boots nothing (and is never a
// per-test failure that --retries would retry): test names (one folder name each, never `.` or
// `..`), value types and ranges (non-finite numbers refused), the files it names (scheduler,
// include, kernel, sched_enable/disable, splat rules, baselines), smp beside topology, verifier
// options without a scheduler or baseline. Throws ManifestError.
SuiteManifest load_manifest(const std::string& path);

}  // namespace ktstr::host
