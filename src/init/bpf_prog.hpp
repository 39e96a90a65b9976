// The few bpf() commands telemetry needs, as raw syscalls (no libbpf in init): walk the loaded
// programs' ids, open one by id, read its bpf_prog_info.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fd.hpp"

union bpf_attr;

namespace ktstr::init::bpf {

// bpf(cmd, &attr, sizeof attr): the raw syscall every command here goes through.
long syscall_bpf(int cmd, bpf_attr& attr);

// What telemetry reports of one program; the counters need kernel.bpf_stats_enabled=1.
struct ProgInfo {
  uint32_t id = 0, type = 0;
  std::string name;  // the kernel keeps at most 15 characters (bpf_btf.hpp has the whole one)
  uint32_t verified_insns = 0, jited_len = 0, xlated_len = 0;
  uint64_t run_cnt = 0, run_time_ns = 0, recursion_misses = 0;
  uint32_t btf_id = 0, func_type_id = 0;  // the main function's BTF type (with_func), 0 = none
};

// The id after `id` (0: the first), or 0 at the end or on error (errno set; ENOENT = the end).
uint32_t next_prog_id(uint32_t id);
// An fd holding the program, or an invalid one (errno set): it may have been unloaded meanwhile.
UniqueFd prog_fd_by_id(uint32_t id);
// Fills `out` from the program behind fd; with_func also asks for its main function's BTF type
// (for full_name()). False (errno set) if the kernel refused.
bool prog_info(int fd, ProgInfo& out, bool with_func = false);
// A readable name for a BPF_PROG_TYPE_* value ("struct_ops", "syscall", ...; "type N" otherwise).
std::string prog_type_name(uint32_t type);
// Ids of the programs a process holds fds of (from /proc/PID/fdinfo "prog_id:" lines).
std::vector<uint32_t> prog_ids_held_by(pid_t pid);

}  // namespace ktstr::init::bpf
