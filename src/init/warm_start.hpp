// A warm start (KTSTR_WARM=1, docs/protocol.md "Warm starts"): init has booted, mounted and
// opened its ports, says WAIT and blocks until the host hands it a test: a SPEC frame on COM2
// (the test's cmdline words, the real time, fresh entropy, the archive's size) and the run archive
// on the data lane. A snapshot of the guest is taken while it waits; every restore of it then
// gets its own test, clock and random state, and continues on the cold boot's path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "com2.hpp"
#include "ktstr/cmdline.hpp"

namespace ktstr::init {

// SPEC's value, parsed.
struct Spec {
  std::vector<std::string> words;  // KTSTR_* cmdline words of the test
  uint64_t realtime_ns = 0;        // the host's CLOCK_REALTIME when it sent SPEC
  std::string entropy;             // raw bytes (sent as hex)
  uint64_t archive_bytes = 0;
  uint32_t archive_frames = 0;
};

// Parses SPEC's JSON object (untrusted: every member is checked; unknown members of a plain type
// are ignored). False with `error` naming what is wrong.
bool parse_spec(std::string_view json, Spec& spec, std::string& error);

struct WarmStart {
  bool warm = false;            // KTSTR_WARM=1: this boot waited for a SPEC
  std::string error;            // why the run fails (after HELO: FATL, DONE 125); empty = ready
  uint64_t spec_ms = 0;         // SPEC arrived -> applied (clock, entropy, Config)
  uint64_t archive_ms = 0;      // SPEC applied -> archive unpacked
  uint64_t archive_bytes = 0;
  std::vector<std::string> notes, warnings;  // for the log once HELO is out
};

// Sends WAIT, waits (no time limit) for SPEC and applies it: the clock, the entropy, COM2's stream
// restarted (seq 0, counts zeroed), `cmdline` replaced by the SPEC's words (and the log level
// re-applied), the run archive taken from the lane into /, the lane kept open for the output tree
// (data_lane.hpp). Never fails the boot itself: a problem is returned in `error`.
WarmStart warm_start(Com2& com2, CmdlineResult& cmdline);

// HELO's members that say how this boot started: ,"start":"cold" or ,"start":"warm","spec_ms":X,
// "archive_ms":Y,"archive_bytes":N.
std::string helo_start_members(const WarmStart& w);

}  // namespace ktstr::init
