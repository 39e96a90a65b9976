// `ktstr-vm pack`: the initramfs as a deterministic, compressed newc cpio (docs/initramfs.md),
// written through libarchive.
#pragma once

#include <string>
#include <vector>

namespace ktstr::host {

struct LoaderEnv;

enum class Compression { none, gzip, zstd };

// Which rows of docs/initramfs.md an archive holds. A warm guest (docs/warm.md) boots the base
// part, is saved as a snapshot, and gets the run part over the data lane after each restore.
enum class PackPart {
  whole,  // everything: the initramfs a cold boot (and `ktstr-vm pack`) uses
  base,   // /init, busybox and its links, the base layout, /boot/config-RELEASE; no sentinel
  run,    // everything else, then /.ktstr_init_ok last; nothing the base already holds
};

struct PackSpec {
  std::string init;                     // host path of the init binary (required)
  std::string scheduler;                // host path, empty = none
  std::vector<std::string> sched_args;
  std::vector<std::string> payload;     // argv; a host file as argv[0] is packed under /include-files
  std::vector<std::string> includes;    // host files or directories
  std::vector<std::string> tools;       // --tool: host programs (NAME on the host PATH, or a path)
  std::string exec_cmd;                 // shell --exec
  std::string on_failure;               // run --on-failure: /on_failure, sh -c after a failed payload
  std::string sched_enable, sched_disable;  // host files with `echo V > /path` lines
  std::string kernel_config;            // host path of the kernel config, empty = none
  std::string kernel_release;           // names /boot/config-RELEASE
  std::string busybox = "/bin/busybox"; // empty = no busybox
  bool omit_ok_sentinel = false;        // test hook: a "truncated" initramfs
  bool omit_args = false;               // test hook: no /args (init must say so)
  PackPart part = PackPart::whole;
  Compression compression = Compression::zstd;
  int compression_level = 0;            // zstd 1..19; 0 = the default (1)
  const LoaderEnv* loader_env = nullptr;  // where libraries are looked up; null = this host's
};

// "none", "gzip", "zstd" or "zstd:LEVEL" (1-19) into spec.compression and its level.
// Throws std::invalid_argument naming the accepted forms otherwise.
void set_compression(PackSpec& spec, const std::string& text);

// Writes the archive to `out`. Every ELF handed over (scheduler, program, included files, tools)
// comes with its interpreter and libraries (elf_closure.hpp). Returns notes for -v (which host
// programs were packed). Throws std::runtime_error naming the file and reason on failure, and
// StatusError (126/127) for a program that is a directory or is found nowhere.
std::vector<std::string> pack_initramfs(const PackSpec& spec, const std::string& out);

// The name an --include gets in the guest (/include-files/NAME): the last component of the path
// as given, or, for ".", "..", "x/.." and the like, of the directory it resolves to. Never ".",
// ".." or empty; throws std::runtime_error for the root directory.
std::string include_name(const std::string& include);

// The payload argv as it will run in the guest: a host file given as argv[0] becomes
// /include-files/<name>.
std::vector<std::string> guest_argv(const std::vector<std::string>& payload);

}  // namespace ktstr::host
