// Kernel module auto-loading (request_module) in a VM that has no modules to load.
#pragma once

#include <string>

namespace ktstr::init {

// With no /lib/modules/<release> in the initramfs every request_module() the kernel makes (the
// bpf mount asks for bpf_preload; sockets, crypto and filesystems ask for more) spawns a
// usermode modprobe that can only fail: ~20 ms each under TCG. In that case this empties
// /proc/sys/kernel/modprobe, which makes the kernel fail such requests at once. Needs /proc.
// Returns false with the error in `note`; true with what it did in `note` ("" if nothing).
[[nodiscard]] bool disable_futile_module_loading(std::string& note);

}  // namespace ktstr::init
