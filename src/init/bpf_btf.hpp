// BTF, just enough to name a BPF program in full: the kernel keeps only 15 characters of a
// program's name, but its BTF (the object's type information) has the function's whole name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ktstr::init::bpf {

// The raw BTF of object `btf_id` (BPF_BTF_GET_FD_BY_ID + BPF_OBJ_GET_INFO_BY_FD). False (errno
// set) if the kernel refused.
bool read_btf(uint32_t btf_id, std::string& out);
// The name of type `type_id` in raw BTF, or "" if the data is malformed, the id is out of range,
// or a kind on the way is unknown (and the BTF carries no layout section to skip it by).
std::string btf_type_name(std::string_view btf, uint32_t type_id);

}  // namespace ktstr::init::bpf
