// A CI guard on verifier budget: --write-verifier-baseline FILE keeps each BPF program's
// verified_insns of a run; --verifier-baseline FILE compares a later run with it and fails the
// run (125) when a program grew past --verifier-slack percent, naming it and both numbers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sched_telemetry.hpp"

namespace ktstr::host {

struct VerifierBaseline {
  std::string path;
  std::map<std::string, uint64_t> programs;  // program key -> verified_insns
};

// Reads a baseline file: {"programs": {"NAME": N, ...}, ...}. Throws std::runtime_error naming
// the file and the problem (before any VM boots).
VerifierBaseline load_verifier_baseline(const std::string& path);
// Writes the programs' verified_insns (with the kernel and scheduler for the reader). Throws
// std::runtime_error when there is nothing to write or the file cannot be written.
void write_verifier_baseline(const std::string& path, const std::vector<BpfProgram>& programs,
                             const std::string& kernel, const std::string& scheduler);

struct BaselineCheck {
  std::string failure;             // "" = within the slack; else the reason, every program past it
  std::vector<std::string> notes;  // programs new, gone or shrunk: said, not failed
};
BaselineCheck check_verifier_baseline(const VerifierBaseline& base, const std::vector<BpfProgram>& programs,
                                      double slack_pct);

}  // namespace ktstr::host
