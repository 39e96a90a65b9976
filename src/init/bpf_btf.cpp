#include "bpf_btf.hpp"

#include <linux/bpf.h>

#include <algorithm>
#include <cstring>

#include "bpf_prog.hpp"
#include "fd.hpp"

namespace ktstr::init::bpf {
namespace {

constexpr size_t kMaxBtf = 64 << 20;  // a scheduler's BTF is KBs to a few MBs

uint32_t u32_at(std::string_view d, size_t off) {
  uint32_t v = 0;
  if (off + 4 <= d.size()) std::memcpy(&v, d.data() + off, 4);  // BTF is in the host's byte order
  return v;
}

// Bytes after the 12-byte btf_type header for kinds 1..19 (linux/btf.h): fixed part and per-vlen
// element.
bool kind_layout(uint32_t kind, uint32_t& info_sz, uint32_t& elem_sz) {
  switch (kind) {
    case 1: info_sz = 4, elem_sz = 0; return true;                      // INT
    case 2: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 18:
      info_sz = 0, elem_sz = 0; return true;                            // PTR FWD TYPEDEF quals FUNC FLOAT TYPE_TAG
    case 3: info_sz = 12, elem_sz = 0; return true;                     // ARRAY
    case 4: case 5: info_sz = 0, elem_sz = 12; return true;             // STRUCT UNION
    case 6: info_sz = 0, elem_sz = 8; return true;                      // ENUM
    case 13: info_sz = 0, elem_sz = 8; return true;                     // FUNC_PROTO
    case 14: info_sz = 4, elem_sz = 0; return true;                     // VAR
    case 15: info_sz = 0, elem_sz = 12; return true;                    // DATASEC
    case 17: info_sz = 4, elem_sz = 0; return true;                     // DECL_TAG
    case 19: info_sz = 0, elem_sz = 12; return true;                    // ENUM64
    default: return false;
  }
}

}  // namespace

bool read_btf(uint32_t btf_id, std::string& out) {
  bpf_attr attr{};
  attr.btf_id = btf_id;
  UniqueFd fd(int(syscall_bpf(BPF_BTF_GET_FD_BY_ID, attr)));
  if (!fd.valid()) return false;
  bpf_btf_info info{};
  attr = {};
  attr.info.bpf_fd = uint32_t(fd.get());
  attr.info.info_len = sizeof info;
  attr.info.info = reinterpret_cast<uintptr_t>(&info);
  if (syscall_bpf(BPF_OBJ_GET_INFO_BY_FD, attr) != 0) return false;  // first: the size
  if (info.btf_size == 0 || info.btf_size > kMaxBtf) {
    errno = EFBIG;
    return false;
  }
  out.assign(info.btf_size, '\0');
  uint32_t size = info.btf_size;
  info = {};
  info.btf = reinterpret_cast<uintptr_t>(out.data());
  info.btf_size = size;
  attr.info.info_len = sizeof info;
  if (syscall_bpf(BPF_OBJ_GET_INFO_BY_FD, attr) != 0) return false;
  out.resize(std::min(size, info.btf_size));
  return true;
}

std::string btf_type_name(std::string_view d, uint32_t type_id) {
  // Header: magic u16, version u8, flags u8, hdr_len, type_off, type_len, str_off, str_len,
  // and since 7.x optionally layout_off, layout_len (sizes per kind, for kinds a reader lacks).
  if (d.size() < 24 || static_cast<uint8_t>(d[0]) != 0x9f || static_cast<uint8_t>(d[1]) != 0xeb) return "";
  uint32_t hdr = u32_at(d, 4);
  if (hdr < 24 || hdr > d.size()) return "";
  uint64_t types = uint64_t(hdr) + u32_at(d, 8), types_end = types + u32_at(d, 12);
  uint64_t strs = uint64_t(hdr) + u32_at(d, 16), strs_end = strs + u32_at(d, 20);
  if (types_end > d.size() || strs_end > d.size()) return "";
  std::string_view layout;
  if (hdr >= 32) {
    uint64_t lo = uint64_t(hdr) + u32_at(d, 24), le = lo + u32_at(d, 28);
    if (le <= d.size()) layout = d.substr(size_t(lo), size_t(le - lo));
  }
  uint64_t at = types;
  for (uint32_t id = 1; at + 12 <= types_end; ++id) {
    uint32_t name_off = u32_at(d, size_t(at)), info = u32_at(d, size_t(at) + 4);
    if (id == type_id) {
      if (strs + name_off >= strs_end) return "";
      const char* s = d.data() + strs + name_off;
      return std::string(s, strnlen(s, size_t(strs_end - strs - name_off)));
    }
    uint32_t kind = (info >> 24) & 0x7f, vlen = info & 0xffffff, info_sz = 0, elem_sz = 0;
    if (!kind_layout(kind, info_sz, elem_sz)) {
      if ((kind + 1) * 4 > layout.size()) return "";
      info_sz = static_cast<uint8_t>(layout[kind * 4]);
      elem_sz = static_cast<uint8_t>(layout[kind * 4 + 1]);
    }
    at += 12 + info_sz + uint64_t(vlen) * elem_sz;
  }
  return "";
}

}  // namespace ktstr::init::bpf
