// The guest kernel: which image QEMU boots (an uncompressed vmlinux through its PVH entry, or a
// bzImage), its release and its config, found from --kernel, $KTSTR_KERNEL or the set-up cache.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ktstr::host {

enum class KernelFormat { bzimage, pvh_vmlinux };

struct KernelImage {
  std::string path;     // what QEMU's -kernel gets
  KernelFormat format = KernelFormat::bzimage;
  std::string release;  // e.g. 7.3.4+deb13-cloud-amd64
  std::string config;   // kernel config file, empty if none found
  std::string setting;  // where the choice came from: "--kernel", "KTSTR_KERNEL" or "cache"
  std::string given;    // the path as the setting gave it (a file or a build directory)
};

// "bzImage" or "vmlinux (PVH)".
const char* format_name(KernelFormat f);

// --kernel, else $KTSTR_KERNEL, else the set-up script's cached Debian kernel (its vmlinux when it
// has a PVH entry, else its bzImage). Throws std::runtime_error naming the setting and the path
// when the given path is no bootable kernel.
KernelImage resolve_kernel(const std::string& flag);

// The same for one setting's path (a bzImage, a vmlinux with a PVH entry, a kernel build
// directory, or an installed /boot/vmlinuz-X); `setting` names it in error messages.
KernelImage kernel_from_setting(const std::string& setting, const std::string& path);

// Reads the version string from a bzImage's setup header. Empty if it is not a bzImage.
std::string bzimage_release(const std::string& path);

// What an ELF file says of itself as a kernel. `elf` false: not an ELF file at all.
struct ElfKernel {
  bool elf = false;
  bool x86_64 = false;
  bool pvh = false;     // has the XEN_ELFNOTE_PHYS32_ENTRY note QEMU boots it through
  std::string release;  // from the "Linux version " banner in .rodata; empty if none
};
ElfKernel inspect_elf_kernel(const std::string& path);

// One line for -v: "vmlinux (PVH) PATH, release R, config C (from --kernel DIR)".
std::string describe(const KernelImage& k);

// For --json: {"path", "format", "release", "config", "setting", "given"}.
nlohmann::json kernel_json(const KernelImage& k);

}  // namespace ktstr::host
