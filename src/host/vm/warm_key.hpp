// What a warm guest's snapshot is keyed by (docs/warm.md): everything that shapes the booted,
// waiting guest. Two runs share a snapshot only when this text is the same, byte for byte.
#pragma once

#include <string>
#include <vector>

namespace ktstr::host {

// One file as the key sees it: its real path, size, modification time and inode. A rebuilt
// kernel or init changes it; reading whole files (a 60 MB vmlinux) on every run would not pay.
// "missing PATH" for a file that cannot be stat'ed (that key then matches no saved one).
std::string file_identity(const std::string& path);

struct WarmKeyInputs {
  std::vector<std::string> argv;  // QEMU's argv with placeholders for the per-run paths (sockets, initrd)
  std::string qemu_binary;        // the qemu-system-x86_64 that runs it
  std::string kernel, init, busybox, kernel_config;  // host paths (kernel_config, busybox may be empty)
  std::string self_exe;           // this ktstr-vm: its packer wrote the base initramfs
};

// The key text: one "name: value" line per input, the argv one word per line at the end.
std::string warm_key_text(const WarmKeyInputs& in);

// The placeholders the argv of a key holds where a run's own paths go.
inline constexpr const char* kKeyCom1 = "@com1";
inline constexpr const char* kKeyCom2 = "@com2";
inline constexpr const char* kKeyHvc = "@hvc";
inline constexpr const char* kKeyLane = "@lane";
inline constexpr const char* kKeyMonitor = "@monitor";
inline constexpr const char* kKeyInitrd = "@base.cpio";

}  // namespace ktstr::host
