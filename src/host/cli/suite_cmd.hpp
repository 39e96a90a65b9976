// `ktstr-vm suite`: every test of a TOML manifest, each one VM with `run`'s exact semantics and
// verdict, up to -j at a time in this one process (docs/suite.md).
#pragma once

#include <string>
#include <vector>

namespace ktstr::host {

struct SuiteOptions {
  std::string manifest;
  unsigned jobs = 0;                  // -j; 0 = the number of host CPUs
  std::string shard;                  // "I/N", empty = the whole suite
  std::vector<std::string> filters;   // --filter GLOB (repeatable)
  unsigned retries = 0;               // --retries: reruns of a failed test
  bool fail_fast = false;             // start no test after the first failure
  std::string junit, json;            // report files
  std::string artifacts = "ktstr-artifacts";  // one folder per test below it
  bool keep_all = false;              // keep the folders of passed tests too
  bool list = false;                  // print the expanded test names, run nothing
  unsigned boot_timeout_s = 0;        // --boot-timeout for every test (over the manifest's); 0 = theirs
  bool cold = false;                  // --cold: every test boots cold (docs/warm.md)
};

// Returns 0 all passed (flaky included), 1 any failed, 2 usage or manifest error, 130 on Ctrl-C.
int suite_command(const SuiteOptions& opts);

}  // namespace ktstr::host
