// Sending $KTSTR_OUTPUT back at teardown (docs/protocol.md, "The output tree"): on the data lane
// when the guest has one, else on COM2, bounded by a deadline; DONE's "lane" object follows.
#pragma once

#include "com2.hpp"
#include "ktstr/cmdline.hpp"
#include "run_result.hpp"

namespace ktstr::init {

// Only when config.output_limit > 0 (the host takes a tree): PHAS "output", the tree's frames,
// and result.lane_json when the lane was written. Never fails the run: every problem is logged,
// and what the host gets (a damaged or incomplete stream) says the rest.
void send_output_tree(const Config& config, Com2& com2, RunResult& result);

}  // namespace ktstr::init
