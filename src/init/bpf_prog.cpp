#include "bpf_prog.hpp"

#include <dirent.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace ktstr::init::bpf {

long syscall_bpf(int cmd, bpf_attr& attr) { return ::syscall(__NR_bpf, cmd, &attr, sizeof attr); }

uint32_t next_prog_id(uint32_t id) {
  bpf_attr attr{};
  attr.start_id = id;
  return syscall_bpf(BPF_PROG_GET_NEXT_ID, attr) == 0 ? attr.next_id : 0;
}

UniqueFd prog_fd_by_id(uint32_t id) {
  bpf_attr attr{};
  attr.prog_id = id;
  return UniqueFd(int(syscall_bpf(BPF_PROG_GET_FD_BY_ID, attr)));
}

bool prog_info(int fd, ProgInfo& out, bool with_func) {
  // Pointer fields stay 0 (the kernel then copies no arrays), but for the first func_info record
  // when asked: the main function's, at instruction 0.
  bpf_prog_info info{};
  bpf_func_info func{};
  if (with_func) {
    info.nr_func_info = 1;
    info.func_info_rec_size = sizeof func;
    info.func_info = reinterpret_cast<uintptr_t>(&func);
  }
  bpf_attr attr{};
  attr.info.bpf_fd = uint32_t(fd);
  attr.info.info_len = sizeof info;
  attr.info.info = reinterpret_cast<uintptr_t>(&info);
  if (syscall_bpf(BPF_OBJ_GET_INFO_BY_FD, attr) != 0) return false;
  out.id = info.id;
  out.type = info.type;
  out.name.assign(info.name, strnlen(info.name, sizeof info.name));
  out.verified_insns = info.verified_insns;
  out.jited_len = info.jited_prog_len;
  out.xlated_len = info.xlated_prog_len;
  out.run_cnt = info.run_cnt;
  out.run_time_ns = info.run_time_ns;
  out.recursion_misses = info.recursion_misses;
  if (with_func) {
    out.btf_id = info.btf_id;
    out.func_type_id = info.nr_func_info && func.insn_off == 0 ? func.type_id : 0;
  }
  return true;
}

std::string prog_type_name(uint32_t type) {
  switch (type) {
    case BPF_PROG_TYPE_STRUCT_OPS: return "struct_ops";
    case BPF_PROG_TYPE_SYSCALL: return "syscall";
    case BPF_PROG_TYPE_TRACING: return "tracing";
    case BPF_PROG_TYPE_KPROBE: return "kprobe";
    case BPF_PROG_TYPE_TRACEPOINT: return "tracepoint";
    case BPF_PROG_TYPE_RAW_TRACEPOINT: return "raw_tracepoint";
    case BPF_PROG_TYPE_PERF_EVENT: return "perf_event";
    case BPF_PROG_TYPE_LSM: return "lsm";
    case BPF_PROG_TYPE_EXT: return "ext";
    default: return "type " + std::to_string(type);
  }
}

std::vector<uint32_t> prog_ids_held_by(pid_t pid) {
  std::vector<uint32_t> ids;
  std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return ids;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string text;
    if (!read_file((dir + "/" + e->d_name).c_str(), text)) continue;  // closed meanwhile
    size_t at = text.find("prog_id:");
    if (at == std::string::npos) continue;
    at += 8;
    while (at < text.size() && (text[at] == '\t' || text[at] == ' ')) ++at;
    uint32_t id = 0;
    auto [p, ec] = std::from_chars(text.data() + at, text.data() + text.size(), id);
    if (ec == std::errc() && id) ids.push_back(id);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace ktstr::init::bpf
