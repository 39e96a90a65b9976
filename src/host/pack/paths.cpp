#include "paths.hpp"

#include <elf.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "ktstr/exit_codes.hpp"
#include "status_error.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {

std::string cache_dir() {
  if (const char* c = std::getenv("KTSTR_CACHE"); c && *c) return c;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.cache/ktstr-init";
}

std::string self_dir() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : p.parent_path().string();
}

std::string runtime_file(const std::string& name) {
  fs::path dir = self_dir();
  fs::path beside = dir / name;
  fs::path installed = (dir.parent_path() / "libexec" / "ktstr-init" / name).lexically_normal();
  std::error_code ec;
  if (!fs::exists(beside, ec) && fs::exists(installed, ec)) return installed.string();
  return beside.string();
}

std::string resolve_scheduler(const std::string& spec) {
  if (spec.find('/') != std::string::npos || fs::is_regular_file(spec)) {
    if (fs::is_directory(spec))
      throw StatusError(exit_code::kNotExecutable, "scheduler " + spec + ": is a directory, not executable");
    if (!fs::is_regular_file(spec)) throw std::runtime_error("scheduler " + spec + ": no such file");
    if (access(spec.c_str(), X_OK) != 0) throw std::runtime_error("scheduler " + spec + ": not executable");
    return spec;
  }
  fs::path dir = fs::path(cache_dir()) / "schedulers";
  fs::path p = dir / spec;
  if (fs::is_regular_file(p)) return p.string();
  if (fs::is_directory(spec))  // a bare name that is no cached scheduler
    throw StatusError(exit_code::kNotExecutable, "scheduler " + spec + ": is a directory, not executable");
  // Scheduler files only: no dot files (the cache's build marker .built-v3), sorted.
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (std::string n = e.path().filename().string(); !n.starts_with(".") && e.is_regular_file(ec)) names.insert(n);
  std::string known;
  for (const std::string& n : names) known += " " + n;
  throw std::runtime_error("scheduler '" + spec + "': not a file and not a known name (known:" +
                           (known.empty() ? " none; run scripts/setup.sh" : known) + ")");
}

namespace {

// Why the file at `path` cannot be the guest's PID 1, or "" if it can: the guest runs x86-64
// and its initramfs holds no dynamic loader, so init must be a static x86-64 ELF executable.
std::string init_problem(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return "no such file";
  if (!fs::is_regular_file(path, ec)) return "not a regular file";
  // Mode bits, not access(2): for root that says yes to any file with one x bit or none at all.
  auto exec = fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec;
  if ((fs::status(path, ec).permissions() & exec) == fs::perms::none) return "not executable";
  std::ifstream f(path, std::ios::binary);
  Elf64_Ehdr eh{};
  if (!f.read(reinterpret_cast<char*>(&eh), sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return "not an ELF executable";
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) return "not an x86-64 ELF executable";
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) return "not an ELF executable";
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    f.seekg(std::streamoff(eh.e_phoff + uint64_t(i) * eh.e_phentsize));
    if (!f.read(reinterpret_cast<char*>(&ph), sizeof ph)) return "truncated ELF program headers";
    if (ph.p_type == PT_INTERP)
      return "dynamically linked (it needs an ELF interpreter the guest does not have); init must be static";
  }
  return "";
}

}  // namespace

std::string resolve_init(const std::string& flag) {
  std::string p = flag.empty() ? runtime_file("init") : flag;
  std::string what = flag.empty() ? "init " + p + " (beside ktstr-vm or in its ../libexec/ktstr-init; --init not given)"
                                   : "--init " + p;
  if (std::string why = init_problem(p); !why.empty())
    throw std::runtime_error(what + ": " + why + " (build it with scripts/build.sh: build/bin/init)");
  return p;
}

}  // namespace ktstr::host
