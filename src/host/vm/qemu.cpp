#include "qemu.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ktstr/lane.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

constexpr const char* kQemu = "qemu-system-x86_64";
constexpr const char* kQboot = "/usr/share/qemu/qboot.rom";
constexpr const char* kSmtCpuModel = "Nehalem";

bool cpu_has_virt() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.starts_with("flags"))
      return line.find(" vmx") != std::string::npos || line.find(" svm") != std::string::npos;
  return false;
}

// Boots the kernel without an initrd under KVM: reaching "VFS:"/"Kernel panic" on the console
// within the time limit proves KVM can run it. /dev/kvm existing proves nothing (measured: a
// KVM device without VMX fails with "KVM internal error").
bool probe_kvm(const KernelImage& k) {
  std::string cmd = std::string("timeout 30 ") + kQemu +
                    " -accel kvm -nodefaults -no-user-config -display none -no-reboot -m 256 -kernel '" +
                    k.path + "' -append 'console=ttyS0 panic=-1 loglevel=4' -serial stdio 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return false;
  char buf[4096];
  bool reached = false;
  while (fgets(buf, sizeof buf, p))
    if (strstr(buf, "Kernel panic") || strstr(buf, "VFS:")) reached = true;
  pclose(p);
  return reached;
}

// One socket per LLC: QEMU 7.2 gives each socket its own L3, while `dies=` do not split it
// (measured on QEMU 7.2, 2026-11-30: a guest's sysfs showed one L3 per socket). Each NUMA node spans its share of the sockets and gets an
// equal memory backend of its own.
void append_topology(std::vector<std::string>& a, const Topology& t, unsigned memory_mb, const std::string& accel) {
  a.insert(a.end(), {"-smp", std::to_string(t.cpus()) + ",sockets=" + std::to_string(t.llcs) +
                                 ",cores=" + std::to_string(t.cores) + ",threads=" + std::to_string(t.threads)});
  // TCG's default CPU (qemu64) is an AMD model without topoext, which TCG cannot add: QEMU warns
  // it "doesn't support hyperthreading". An Intel model reports SMT siblings without a warning.
  if (t.threads > 1 && accel != "kvm") a.insert(a.end(), {"-cpu", kSmtCpuModel});
  a.insert(a.end(), {"-m", std::to_string(memory_mb)});
  if (t.nodes == 1) return;  // the kernel's node 0 holds everything
  for (uint32_t n = 0; n < t.nodes; ++n) {
    std::string id = "mem" + std::to_string(n);
    uint32_t first = n * t.cpus_per_node(), last = first + t.cpus_per_node() - 1;
    a.insert(a.end(), {"-object", "memory-backend-ram,id=" + id + ",size=" + std::to_string(memory_mb / t.nodes) + "M",
                       "-numa", "node,nodeid=" + std::to_string(n) + ",cpus=" + std::to_string(first) + "-" +
                                    std::to_string(last) + ",memdev=" + id});
  }
}

}  // namespace

std::string choose_accel(const std::string& requested, const KernelImage& kernel, std::string& why) {
  if (requested == "tcg" || requested == "kvm") {
    why = "requested";
    return requested;
  }
  if (access("/dev/kvm", R_OK | W_OK) != 0) {
    why = "/dev/kvm not usable";
    return "tcg";
  }
  if (!cpu_has_virt()) {
    why = "no vmx/svm in /proc/cpuinfo";
    return "tcg";
  }
  fs::path cache = fs::path(cache_dir()) / ("kvm-probe-" + kernel.release);
  std::string verdict;
  if (std::ifstream f(cache); f) f >> verdict;
  if (verdict.empty()) {
    verdict = probe_kvm(kernel) ? "kvm" : "tcg";
    fs::create_directories(cache.parent_path());
    std::ofstream(cache) << verdict << "\n";
  }
  why = "probe boot under KVM " + std::string(verdict == "kvm" ? "succeeded" : "failed") + " (cached in " +
        cache.string() + ")";
  return verdict;
}

const std::vector<std::string>& default_boot_words() {
  // cryptomgr.notests: the crypto self-tests cost ~0.7 s under TCG, and a scheduler test needs
  // none of them. Each word here won an interleaved A/B in bench/ (README: kept and rejected).
  static const std::vector<std::string> words = {"cryptomgr.notests"};
  return words;
}

Topology vm_topology(const VmOptions& vm) {
  return vm.topology.set() ? vm.topology : Topology{1, 1, vm.smp, 1};
}

std::string vm_options_error(const VmOptions& vm) {
  Topology t = vm_topology(vm);
  if (std::string e = topology_shape_error(t); !e.empty()) return "--topology " + topo_csv(t) + ": " + e;
  if (std::string e = topology_machine_error(t, vm.memory_mb); !e.empty()) return "--topology: " + e;
  return "";
}

std::string kernel_cmdline(const VmOptions& vm, const std::vector<std::string>& ktstr_words) {
  // loglevel=4: warnings and worse on the console; printk to the 8250 busy-waits under TCG.
  // no_timer_check: the kernel's IO-APIC timer check waits a few ticks in a busy loop, and under
  // TCG on a loaded host they do not come in time: "IO-APIC + timer doesn't work!" panics the
  // boot (seen in 2 of 4 boots at 8 vCPUs, and in 4 VMs booting at once at -smp 2).
  std::string s = "console=ttyS0 reboot=k panic=-1 loglevel=4 quiet no_timer_check";
  for (const auto& w : default_boot_words()) s += " " + w;
  for (const auto& w : ktstr_words) s += " " + w;
  // The sched_ext dump tracepoint on from boot: enabling a tracepoint at run time patches code
  // on every CPU, 25-130 ms under TCG on init's path to the payload; at boot it is nearly free.
  // init still enables it (a no-op then). The kernel keeps only the last trace_event= word, so
  // ours joins the user's if there is one.
  constexpr const char* kTraceEventKey = "trace_event=";
  constexpr const char* kDumpEvent = "sched_ext:sched_ext_dump";
  bool merged = false;
  for (const auto& a : vm.append) {
    if (a.rfind(kTraceEventKey, 0) == 0 && !merged) {
      s += " " + a + (a.size() > strlen(kTraceEventKey) ? "," : "") + kDumpEvent;
      merged = true;
    } else {
      s += " " + a;
    }
  }
  if (!merged) s += std::string(" ") + kTraceEventKey + kDumpEvent;
  return s;
}

std::vector<std::string> qemu_argv(const VmOptions& vm, const std::string& accel, const KernelImage& kernel,
                                   const std::string& initrd, const std::string& cmdline,
                                   const QemuSockets& s, const QemuWarm* warm) {
  std::vector<std::string> a = {kQemu, "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                                "-machine", "pc"};
  // Multi-threaded TCG oopses the guest when sched_ext schedulers attach and detach (docs/architecture.md).
  a.insert(a.end(), {"-accel", accel == "kvm" ? "kvm" : "tcg,thread=single"});
  if (accel == "kvm") a.insert(a.end(), {"-cpu", "host"});
  // qboot boots faster (README, firmware A/B), but has no ACPI table loader: with a vmgenid
  // device the guest never starts (measured: no console output in 20 s). A warm guest boots once
  // per snapshot, so it keeps QEMU's default SeaBIOS and gets the device.
  if (fs::exists(kQboot) && !warm) a.insert(a.end(), {"-bios", kQboot});
  append_topology(a, vm_topology(vm), vm.memory_mb, accel);
  a.insert(a.end(), {"-kernel", kernel.path, "-initrd", initrd, "-append", cmdline});
  a.insert(a.end(), {"-chardev", "socket,id=com1,path=" + s.com1, "-serial", "chardev:com1"});
  if (!s.no_com2) a.insert(a.end(), {"-chardev", "socket,id=com2,path=" + s.com2, "-serial", "chardev:com2"});
  // The virtio console is the shell's (hvc0); a cold `run` has none, which also spares the
  // guest's virtio-pci probe (~0.1 s under TCG). A warm guest has it in every mode.
  if (!s.hvc.empty() || warm)
    a.insert(a.end(), {"-device", "virtio-serial-pci", "-chardev",
                       s.hvc.empty() ? "null,id=hvc" : "socket,id=hvc,path=" + s.hvc, "-device",
                       "virtconsole,chardev=hvc"});
  // The data lane (docs/protocol.md): a named port, on the shell's virtio-serial bus when there is
  // one. Cold, only when a tree is taken: the bus's probe costs boot time (README, "The data
  // lane"). A warm guest always has it: its files arrive on it.
  if (!s.lane.empty()) {
    if (s.hvc.empty() && !warm) a.insert(a.end(), {"-device", "virtio-serial-pci"});
    a.insert(a.end(), {"-chardev", "socket,id=lane,path=" + s.lane, "-device",
                       std::string("virtserialport,chardev=lane,name=") + lane::kPortName});
  }
  if (warm) a.insert(a.end(), {"-device", "vmgenid,guid=auto"});
  if (!s.monitor.empty())
    a.insert(a.end(), {"-chardev", "socket,id=mon,path=" + s.monitor, "-mon", "chardev=mon,mode=readline"});
  if (warm && !warm->incoming.empty()) a.insert(a.end(), {"-incoming", warm->incoming});
  // Last, so they can change what came before (QEMU merges -machine, the last -bios wins).
  a.insert(a.end(), vm.qemu_args.begin(), vm.qemu_args.end());
  return a;
}

}  // namespace ktstr::host
