#include "doctor.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "kernel_image.hpp"
#include "pack.hpp"
#include "paths.hpp"
#include "qemu.hpp"
#include "run.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {

namespace {

constexpr const char* kQemu = "qemu-system-x86_64";

// The first line a command prints, empty if it printed nothing or did not run.
std::string first_line(const std::string& cmd) {
  std::string line;
  if (FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r")) {
    char buf[512];
    if (fgets(buf, sizeof buf, p)) line = buf;
    pclose(p);
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// PATH lookup, as execvp does it.
std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  for (std::string d; std::getline(ss, d, ':');) {
    fs::path p = fs::path(d.empty() ? "." : d) / name;
    if (access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p)) return p.string();
  }
  return "";
}

Check check_qemu() {
  std::string p = on_path(kQemu);
  if (p.empty())
    return {CheckLevel::problem, "QEMU", std::string(kQemu) + " not found on PATH",
            "apt-get install qemu-system-x86"};
  std::string v = first_line("'" + p + "' --version");
  if (v.empty()) return {CheckLevel::problem, "QEMU", p + " --version printed nothing: it does not run",
                         "reinstall qemu-system-x86 (apt-get install --reinstall qemu-system-x86)"};
  return {CheckLevel::ok, "QEMU", v + " (" + p + ")", ""};
}

Check check_busybox() {
  std::string bb = PackSpec{}.busybox;
  if (access(bb.c_str(), X_OK) != 0)
    return {CheckLevel::problem, "busybox", bb + " missing (the guest's shell and tools)", "apt-get install busybox-static"};
  return {CheckLevel::ok, "busybox", bb, ""};
}

Check check_init() {
  try {
    return {CheckLevel::ok, "init", resolve_init(""), ""};
  } catch (const std::exception& e) {
    return {CheckLevel::problem, "init", e.what(), "reinstall ktstr-vm, or build the tree with scripts/build.sh"};
  }
}

Check check_accel(const KernelImage& k) {
  std::string why;
  std::string accel = choose_accel("auto", k, why);
  if (accel == "kvm") return {CheckLevel::ok, "KVM", "usable (" + why + ")", ""};
  std::string fix = "runs fine under TCG, only slower; for KVM: ";
  if (access("/dev/kvm", F_OK) != 0) fix += "enable virtualization (nested on a VM), load kvm_intel or kvm_amd";
  else if (access("/dev/kvm", R_OK | W_OK) != 0) fix += "add yourself to the kvm group (usermod -aG kvm $USER)";
  else if (why.find("vmx/svm") != std::string::npos) fix += "enable VT-x/AMD-V (on a VM: nested virtualization)";
  else fix += "the host's KVM cannot boot this kernel; delete the cached verdict to probe again";
  return {CheckLevel::note, "KVM", "not used, TCG instead: " + why, fix};
}

uintmax_t tree_size(const fs::path& dir) {
  uintmax_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  return total;
}

std::string human(uintmax_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / double(1ull << 30));
  else std::snprintf(buf, sizeof buf, "%.0f MiB", double(bytes) / double(1ull << 20));
  return buf;
}

Check check_cache() {
  fs::path c = cache_dir();
  std::error_code ec;
  if (!fs::is_directory(c, ec))
    return {CheckLevel::note, "cache", c.string() + " (KTSTR_CACHE) does not exist yet",
            "ktstr-vm kernel fetch creates it"};
  if (access(c.c_str(), W_OK) != 0)
    return {CheckLevel::problem, "cache", c.string() + " is not writable (the KVM probe verdict is kept there)",
            "fix its permissions or point KTSTR_CACHE at a writable directory"};
  std::string scheds;
  for (const auto& e : fs::directory_iterator(c / "schedulers", ec))
    if (std::string n = e.path().filename().string(); n[0] != '.') scheds += " " + n;
  return {CheckLevel::ok, "cache", c.string() + ", " + human(tree_size(c)) +
          (scheds.empty() ? ", no cached schedulers (pass --scheduler PATH)" : ", schedulers:" + scheds), ""};
}

// MemAvailable in KiB, 0 if unknown.
uintmax_t mem_available_kib() {
  std::ifstream f("/proc/meminfo");
  for (std::string key; f >> key;) {
    uintmax_t v = 0;
    f >> v;
    if (key == "MemAvailable:") return v;
    f.ignore(256, '\n');
  }
  return 0;
}

Check check_memory() {
  uintmax_t avail_mib = mem_available_kib() / 1024;
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  // A guest of the default --memory, plus what QEMU itself takes (~100 MiB under TCG).
  unsigned per_vm = RunOptions{}.vm.memory_mb + 100;
  uintmax_t fits = avail_mib / per_vm;
  std::string d = std::to_string(avail_mib) + " MiB available: room for " + std::to_string(fits) + " VM(s) of " +
                  std::to_string(RunOptions{}.vm.memory_mb) + " MiB; suite's default -j is " +
                  std::to_string(cpus) + " (CPUs)";
  if (fits == 0)
    return {CheckLevel::problem, "memory", d, "free memory, or run with --memory 512 (a small test fits in 256)"};
  if (fits < cpus)
    return {CheckLevel::note, "memory", d, "run the suite with -j " + std::to_string(fits) + " or a smaller --memory"};
  return {CheckLevel::ok, "memory", d, ""};
}

}  // namespace

Check check_kernel() {
  KernelImage k;
  try {
    k = resolve_kernel("");
  } catch (const std::exception& e) {
    const char* env = std::getenv("KTSTR_KERNEL");
    std::string fix = env && *env ? "point KTSTR_KERNEL at a kernel, or unset it and run `ktstr-vm kernel fetch`"
                                  : "ktstr-vm kernel fetch (Debian's sched_ext kernel into the cache)";
    return {CheckLevel::problem, "kernel", e.what(), fix};
  }
  std::string d = describe(k);
  if (k.config.empty())
    return {CheckLevel::note, "kernel", d + "; no config found, so CONFIG_SCHED_CLASS_EXT is unchecked",
            "put the kernel's config beside it (config or .config)"};
  std::ifstream f(k.config);
  bool scx = false;
  for (std::string line; std::getline(f, line);)
    if (line == "CONFIG_SCHED_CLASS_EXT=y") scx = true;
  if (!scx)
    return {CheckLevel::problem, "kernel", d + ": lacks CONFIG_SCHED_CLASS_EXT=y, it cannot run sched_ext schedulers",
            "use a kernel built with CONFIG_SCHED_CLASS_EXT=y, e.g. `ktstr-vm kernel fetch` (Debian's)"};
  return {CheckLevel::ok, "kernel", d + ", CONFIG_SCHED_CLASS_EXT=y", ""};
}

std::vector<Check> run_checks(bool probe_kvm) {
  std::vector<Check> out{check_qemu(), check_busybox(), check_init()};
  out.push_back(check_kernel());
  if (probe_kvm && out.back().level != CheckLevel::problem) out.push_back(check_accel(resolve_kernel("")));
  out.push_back(check_cache());
  out.push_back(check_memory());
  return out;
}

int print_checks(const std::vector<Check>& checks, std::ostream& out) {
  int problems = 0;
  for (const Check& c : checks) {
    const char* tag = c.level == CheckLevel::ok ? "ok     " : c.level == CheckLevel::note ? "note   " : "PROBLEM";
    out << tag << " " << c.what << ": " << c.detail << "\n";
    if (!c.fix.empty()) out << "        fix: " << c.fix << "\n";
    problems += c.level == CheckLevel::problem;
  }
  out << (problems ? std::to_string(problems) + " problem(s): a run needs them fixed\n" : "ready to run\n");
  return problems ? 1 : 0;
}

int doctor_command() { return print_checks(run_checks(true), std::cout); }

}  // namespace ktstr::host
