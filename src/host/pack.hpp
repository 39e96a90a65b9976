// `ktstr-vm pack`: the initramfs as a deterministic, compressed newc cpio (docs/initramfs.md),
// written through libarchive.
#pragma once

#include <string>
#include <vector>

namespace ktstr::host {

enum class Compression { none, gzip, zstd };

struct PackSpec {
  std::string init;                     // host path of the init binary (required)
  std::string scheduler;                // host path, empty = none
  std::vector<std::string> sched_args;
  std::vector<std::string> payload;     // argv; a host file as argv[0] is packed under /include-files
  std::vector<std::string> includes;    // host files or directories
  std::string exec_cmd;                 // shell --exec
  std::string sched_enable, sched_disable;  // host files with `echo V > /path` lines
  std::string kernel_config;            // host path of the kernel config, empty = none
  std::string kernel_release;           // names /boot/config-RELEASE
  std::string busybox = "/bin/busybox"; // empty = no busybox
  bool omit_ok_sentinel = false;        // test hook: a "truncated" initramfs
  bool omit_args = false;               // test hook: no /args (init must say so)
  Compression compression = Compression::zstd;
};

// Writes the archive to `out`. Throws std::runtime_error naming the file and reason on failure.
void pack_initramfs(const PackSpec& spec, const std::string& out);

// The payload argv as it will run in the guest: a host file given as argv[0] becomes
// /include-files/<name>.
std::vector<std::string> guest_argv(const std::vector<std::string>& payload);

}  // namespace ktstr::host
