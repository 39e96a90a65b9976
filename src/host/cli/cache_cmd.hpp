// `ktstr-vm cache list` and `ktstr-vm cache clear`: the snapshot cache of warm runs
// (vm/snapshot_cache.hpp, docs/warm.md) shown and emptied.
#pragma once

namespace ktstr::host {

// Prints the snapshots, most recently used first: a table, or with `json` one JSON object.
// Returns 0.
int cache_list_command(bool json);
// Removes every snapshot no other process is using, and what interrupted saves left, and says
// what went and how much space it freed. Returns 0.
int cache_clear_command();

}  // namespace ktstr::host
