// Which of a suite's tests this invocation runs: --filter globs, then --shard I/N.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "suite_manifest.hpp"

namespace ktstr::host {

struct Shard {
  unsigned index = 1, count = 1;  // this machine runs shard `index` of `count` (1-based)
};

// "I/N" with 1 <= I <= N. Throws std::invalid_argument naming the value.
Shard parse_shard(const std::string& text);

// The indices of the tests to run, in manifest order. A test passes the filters when any glob
// (fnmatch) matches its name, or equals it (names hold '[' ']'); no filter passes all. The tests
// that pass are then dealt round-robin: the k-th (0-based) goes to shard k % N + 1. Every machine
// computes the same assignment from the same manifest and filters, and the N shards together
// run each of those tests exactly once. Filters that match no test at all are most likely a typo
// (a CI job would pass with nothing run): std::invalid_argument naming them. An empty shard (more
// shards than tests) is no error: the result is empty.
std::vector<std::size_t> select_tests(const std::vector<SuiteTest>& tests, const std::vector<std::string>& filters,
                                      Shard shard);

}  // namespace ktstr::host
