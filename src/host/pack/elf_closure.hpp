// The files a dynamically linked program needs to start in the guest: its ELF interpreter and
// its DT_NEEDED libraries, recursively, resolved the way the host's dynamic loader resolves them
// (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH with $ORIGIN, ld.so.cache, the loader's system dirs).
// ELF is read with libelf. Runtime data a program opens by path (plugins, a Python stdlib) is not
// chased: that is what --include is for.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ktstr::host {

// What the loader needs to know about one ELF file.
struct ElfFacts {
  int elf_class = 0;      // ELFCLASS32 / ELFCLASS64
  int machine = 0;        // EM_*
  int type = 0;           // ET_EXEC, ET_DYN, ET_REL...
  std::string interp;     // PT_INTERP, empty for a static program
  std::string soname;
  std::vector<std::string> needed, rpath, runpath;
  bool dynamic() const { return !interp.empty() || !needed.empty(); }
};

// nullopt if `path` is not an ELF file; throws std::runtime_error naming it if it is a damaged one.
std::optional<ElfFacts> read_elf(const std::string& path);

// The `#!` line of a script as the kernel reads it (binfmt_script): the interpreter path and its
// one optional argument (the rest of the line, trimmed). nullopt if `path` does not start with
// "#!" or cannot be read.
struct Shebang {
  std::string interp, arg;
};
std::optional<Shebang> read_shebang(const std::string& path);

// Where the host's loader looks. from_host() reads LD_LIBRARY_PATH, `ldconfig -p` and the loader's
// own list of system dirs (`ld.so --help`), falling back to the usual dirs.
struct LoaderEnv {
  std::vector<std::string> ld_library_path;
  std::map<std::string, std::string> cache;  // soname -> path, for this machine's ABI only
  std::vector<std::string> system_dirs;
  static LoaderEnv from_host();
};

// One library as the host's loader finds it for `exe`: the path `ldd` prints.
struct Resolved {
  std::string name;       // DT_NEEDED entry (or the PT_INTERP path)
  std::string host_path;  // where the host loader opens it
  std::string needed_by;  // the object that asked for it (host path)
  std::string origin_dir; // set if found through $ORIGIN: the dir $ORIGIN stood for
  bool system = false;    // found through ld.so.cache, LD_LIBRARY_PATH or a system dir
};

// Interpreter first, then libraries in the loader's breadth-first order, each soname once.
// Throws std::runtime_error naming `exe` and the library for a missing library, and for a 32-bit
// or foreign-architecture ELF.
std::vector<Resolved> resolve_libraries(const std::string& exe, const LoaderEnv& env);

// A guest file of the closure: content from `host`, or a symlink to `link`.
struct GuestFile {
  std::string host;
  std::string link;
  unsigned mode = 0644;
};

// Collects, for every ELF handed over, what must be in the guest for it to start there. Paths in
// the guest are the host's (symlinks, such as soname links and /lib64/ld-linux-x86-64.so.2, are
// kept as links), except that a library found through $ORIGIN sits where $ORIGIN points in the
// guest, and one found through ld.so.cache or LD_LIBRARY_PATH outside the loader's system dirs
// gets a link in the first system dir (the guest has neither). Each host file is packed once; a
// second guest path for it becomes a link.
class ElfClosure {
 public:
  explicit ElfClosure(const LoaderEnv* env = nullptr) : env_(env) {}

  // `host` is packed at `guest` by the caller; adds what it needs. A static ELF or a non-ELF file
  // needs nothing. `what` names it in errors ("--scheduler ./scx_x").
  void add_program(const std::string& host, const std::string& guest, const std::string& what);
  // Places `host` (a file or a chain of symlinks) at `guest`, and returns the guest path of the
  // final file.
  std::string place(const std::string& host, const std::string& guest);

  const std::map<std::string, GuestFile>& files() const { return files_; }
  size_t libraries() const { return libraries_; }

 private:
  const LoaderEnv& env();
  std::optional<LoaderEnv> own_env_;
  const LoaderEnv* env_;
  std::map<std::string, GuestFile> files_;            // by guest path
  std::map<std::pair<dev_t, ino_t>, std::string> by_inode_;  // host file -> its guest path
  size_t libraries_ = 0;
};

}  // namespace ktstr::host
