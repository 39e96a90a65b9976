// The guest checks the machine it got (issue 15): the NUMA nodes, LLCs and SMT siblings sysfs
// shows, against the shape the host asked for in KTSTR_TOPO. A scheduler tested on the wrong
// shape proves nothing, so a difference is an infrastructure failure.
#pragma once

#include <string>

#include "com2.hpp"
#include "ktstr/cmdline.hpp"
#include "ktstr/topology.hpp"

namespace ktstr::init {

// What sysfs shows: node cpulists in node order; per online CPU its last-level cache's
// shared_cpu_list and its thread_siblings_list, each group once, ordered by its first CPU.
TopologyView read_topology_view();

// Reads sysfs, sends TOPO (what was asked, what was seen, the difference) and returns the
// difference as a failure reason ("topology: asked for 2 NUMA nodes ..."), empty if the shape
// matches or none was asked for (no KTSTR_TOPO: nothing to check, TOPO still says what is there).
std::string check_topology(const Config& config, Com2& com2);

}  // namespace ktstr::init
