// The QEMU command line (docs/architecture.md) and the accelerator choice.
#pragma once

#include <string>
#include <vector>

#include "ktstr/topology.hpp"
#include "paths.hpp"

namespace ktstr::host {

struct VmOptions {
  std::string kernel;           // --kernel (else $KTSTR_KERNEL, else the cached kernel)
  unsigned smp = 2;             // --smp: shorthand for the topology 1,1,smp,1
  Topology topology;            // --topology (unset: 1,1,smp,1)
  unsigned memory_mb = 1024;    // --memory
  unsigned timeout_s = 0;       // --timeout: guest payload timeout, 0 = none
  std::string accel = "auto";   // auto|tcg|kvm
  std::vector<std::string> append;  // extra kernel cmdline words (--append)
  std::vector<std::string> qemu_args;  // extra QEMU arguments, last (--qemu-arg)
};

struct QemuSockets {
  std::string com1, com2;  // unix socket paths QEMU connects to as a client
  std::string hvc;         // unix socket for hvc0, empty = null backend
  bool no_com2 = false;    // test hook: a VM without a second serial port
  std::string lane;        // unix socket of the data lane (virtio-serial port lane::kPortName), empty = none
  std::string monitor;     // unix socket of QEMU's HMP monitor, empty = none
};

// A warm guest's QEMU (docs/warm.md). The machine is the same whatever the mode, so `run`,
// `shell` and `shell --exec` share one snapshot: the virtio console (a null backend when
// QemuSockets::hvc is empty), the data lane and a vmgenid device (meant to let the kernel see a
// restore; no VM-fork reseed showed in a restored guest's log, so freshness rests on SPEC's
// entropy, docs/warm.md). Chardev backends and the monitor are
// not part of a snapshot: only they may differ between the QEMU that saved and the one restoring.
struct QemuWarm {
  std::string incoming;  // restore from this migration source (e.g. "exec:..."), empty = boot
};

// "tcg" or "kvm". auto: kvm only if /dev/kvm is usable AND a timed probe boot of this kernel
// under KVM reaches the kernel (cached per kernel release); otherwise tcg. Explains its choice
// in `why`.
std::string choose_accel(const std::string& requested, const KernelImage& kernel, std::string& why);

// The shape the VM gets: --topology, else --smp's one node with one LLC.
Topology vm_topology(const VmOptions& vm);
// Why this VM cannot boot as asked (a shape QEMU's pc machine cannot hold, memory that does not
// split into the nodes), empty if it can.
std::string vm_options_error(const VmOptions& vm);

// Builds the full argv for qemu-system-x86_64.
std::vector<std::string> qemu_argv(const VmOptions& vm, const std::string& accel, const KernelImage& kernel,
                                   const std::string& initrd, const std::string& cmdline,
                                   const QemuSockets& sockets, const QemuWarm* warm = nullptr);

// The kernel cmdline: console on COM1, reboot=k + panic=-1 so every end exits QEMU, the guest's
// KTSTR_* words as given (guest_cmdline_words, guest_config.hpp), the user's additions, and the
// sched_ext dump tracepoint enabled from boot (merged into the user's own trace_event= word if
// there is one: the kernel keeps only the last).
// The default words (boot time savers that cost nothing in correctness, measured in bench/) come
// before the user's --append words, so a user's own value of the same parameter wins.
std::string kernel_cmdline(const VmOptions& vm, const std::vector<std::string>& ktstr_words);

// The boot-time default words, e.g. cryptomgr.notests.
const std::vector<std::string>& default_boot_words();

}  // namespace ktstr::host
