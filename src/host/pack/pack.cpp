#include "pack.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "archive_writer.hpp"
#include "base_layout.hpp"
#include "elf_closure.hpp"
#include "host_programs.hpp"
#include "host_query.hpp"
#include "ktstr/exit_codes.hpp"
#include "ktstr/initramfs.hpp"
#include "layout.hpp"
#include "status_error.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

// Copies an included directory. A symlink whose target lies inside the same copied tree stays a
// link (written relative, so it points at the guest copy); any other link is replaced by a copy
// of what it points to, under the link's own name (a linked directory is copied whole). Nothing
// lands outside the include; a dangling link or a link loop is an error.
class IncludeWalker {
 public:
  IncludeWalker(Layout& l, std::vector<IncludedFile>& files, std::string what)
      : l_(l), files_(files), what_(std::move(what)) {}

  void copy_dir(const fs::path& host, const std::string& guest) {
    fs::path root = fs::canonical(host);
    if (!on_stack_.insert(root).second)
      throw std::runtime_error(what_ + ": symlink loop at " + host.string());
    l_.try_emplace(rel(guest), Entry{Entry::dir, 0755});
    walk(root, root, guest);
    on_stack_.erase(root);
  }

 private:
  void walk(const fs::path& root, const fs::path& dir, const std::string& guest) {
    for (const auto& de : fs::directory_iterator(dir)) {
      const fs::path& p = de.path();
      std::string g = guest + "/" + p.filename().string();
      fs::file_status ls = fs::symlink_status(p);
      if (fs::is_symlink(ls)) {
        std::error_code ec;
        fs::path target = fs::canonical(p, ec);
        if (ec == std::errc::too_many_symbolic_link_levels)
          throw std::runtime_error(what_ + ": " + p.string() + ": symlink loop (the link leads back to itself)");
        if (ec) throw std::runtime_error(what_ + ": " + p.string() + ": dangling symlink");
        auto [a, b] = std::mismatch(root.begin(), root.end(), target.begin(), target.end());
        if (a == root.end()) {  // inside this tree: keep the link, relative to the guest copy
          Entry e{Entry::symlink, 0777};
          e.target = target.lexically_relative(dir).string();
          if (e.target.empty()) e.target = ".";
          l_[rel(g)] = e;
        } else if (fs::is_directory(target)) {
          copy_dir(target, g);
        } else {
          add_file(target, g);
        }
      } else if (fs::is_directory(ls)) {
        l_.try_emplace(rel(g), Entry{Entry::dir, 0755});
        walk(root, p, g);
      } else {
        add_file(p, g);
      }
    }
  }
  void add_file(const fs::path& host, const std::string& guest) {
    if (!fs::is_regular_file(host))
      throw std::runtime_error(what_ + ": " + host.string() + ": not a file, directory or symlink");
    add_host_file(l_, guest, host.string());
    files_.push_back({guest, host.string(), l_[rel(guest)].mode});
  }
  Layout& l_;
  std::vector<IncludedFile>& files_;
  std::string what_;
  std::set<fs::path> on_stack_;
};

// The --include argument checked: it exists, and is no dangling link or link loop.
void check_include_exists(const std::string& inc) {
  std::error_code ec;
  fs::file_status st = fs::status(inc, ec);
  if (ec == std::errc::too_many_symbolic_link_levels)
    throw std::runtime_error("--include " + inc + ": symlink loop (the link leads back to itself)");
  if (fs::exists(st)) return;
  if (fs::is_symlink(fs::symlink_status(inc, ec)))
    throw std::runtime_error("--include " + inc + ": dangling symlink");
  throw std::runtime_error("--include " + inc + ": no such file or directory");
}

}  // namespace

std::string include_name(const std::string& inc) {
  // The last component as written ("dir/" is "dir"); a link keeps its own name, as in a directory.
  std::string last;
  for (const fs::path& c : fs::path(inc).relative_path()) last = c.empty() ? last : c.string();
  if (!last.empty() && last != "." && last != "..") return last;
  // ".", "..", "x/..", "/": the name of the directory the kernel resolves it to.
  std::error_code ec;
  fs::path real = fs::canonical(inc, ec);
  if (ec) throw std::runtime_error("--include " + inc + ": " + ec.message());
  std::string name = real.filename().string();
  if (name.empty() || name == "." || name == "..")
    throw std::runtime_error("--include " + inc + ": is the root directory /; include the directories you need "
                             "one by one");
  return name;
}
namespace {

void add_include(Layout& l, std::vector<IncludedFile>& files, const std::string& guest, const std::string& host) {
  if (fs::is_directory(host)) {
    IncludeWalker(l, files, "--include " + host).copy_dir(host, guest);
  } else {
    add_host_file(l, guest, host);
    files.push_back({guest, host, l[rel(guest)].mode});
  }
}

void add_base_layout(Layout& l) {
  std::istringstream in(kBaseLayout);
  for (std::string line; std::getline(in, line);) {
    std::istringstream w(line);
    std::string kind, path, mode;
    if (!(w >> kind >> path >> mode) || kind[0] == '#') continue;
    Entry e{kind == "dir" ? Entry::dir : Entry::chardev, unsigned(std::stoul(mode, nullptr, 8))};
    if (kind == "nod") {
      std::string cb;
      w >> cb >> e.major >> e.minor;
    }
    l[rel(path)] = e;
  }
}

// One escaped argument per line (see ktstr::initramfs::escape_arg).
std::string joined_lines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += initramfs::escape_arg(a) + "\n";
  return s;
}

// Busybox applet paths ("bin/sh", "usr/bin/awk"), from the binary itself; asked once per path in
// a process (a warm run packs its base rows and its run part from the same answer).
const std::vector<std::string>& busybox_applets(const std::string& busybox) {
  static std::map<std::string, std::vector<std::string>> asked;
  auto [it, fresh] = asked.try_emplace(busybox);
  if (fresh)
    for (std::string& s : command_lines("'" + busybox + "' --list-full 2>/dev/null"))
      if (s.find("..") == std::string::npos) it->second.push_back(std::move(s));
  return it->second;
}

bool is_guest_system_path(const std::string& p) {
  for (const char* d : {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"})
    if (p.starts_with(d)) return true;
  return false;
}

// /include-files/NAME: one owner per name (the payload or one --include).
class IncludeNames {
 public:
  // False if `host` already owns `name` (the same file again: pack it once); throws if another does.
  bool claim(const std::string& name, const std::string& who, const std::string& host) {
    std::error_code ec;
    auto [it, fresh] = owner_.try_emplace(name, who, host);
    if (fresh) return true;
    if (fs::equivalent(host, it->second.second, ec)) return false;
    throw std::runtime_error(who + " and " + it->second.first + " would both be " + initramfs::kIncludeDir + "/" +
                             name + " in the guest; rename one, or include a directory that holds it");
  }

 private:
  std::map<std::string, std::pair<std::string, std::string>> owner_;  // name -> who, host path
};

// The rows of docs/initramfs.md, in the order the packer fills them; what a later row needs
// from an earlier one is kept here.
struct Packing {
  explicit Packing(const PackSpec& spec) : s(spec), closure(spec.loader_env) {}
  const PackSpec& s;
  Layout l;
  ElfClosure closure;
  std::set<std::string> applets;      // names and paths busybox answers to
  IncludeNames names;
  std::vector<std::string> argv;      // the payload as the guest runs it; empty = no /args
  std::vector<IncludedFile> included;
  // The payload's program is named as the guest will find it (not rewritten to a host file).
  bool program_named() const { return !argv.empty() && argv[0] == s.payload[0]; }
};

// /bin/busybox and a link per applet of `busybox --list-full`.
void add_busybox(Packing& p) {
  if (p.s.busybox.empty()) return;
  add_host_file(p.l, initramfs::kBusybox, p.s.busybox, 0755);
  for (const std::string& applet : busybox_applets(p.s.busybox)) {
    p.applets.insert(applet);
    p.applets.insert(fs::path(applet).filename().string());
    if ("/" + applet == initramfs::kBusybox) continue;
    add_parents(p.l, "/" + applet);
    Entry e{Entry::symlink, 0777};
    e.target = initramfs::kBusybox;
    p.l.try_emplace(applet, e);
  }
}

// /scheduler, /sched_args and the scheduler's closure.
void add_scheduler(Packing& p) {
  if (p.s.scheduler.empty()) return;
  add_host_file(p.l, initramfs::kScheduler, p.s.scheduler, 0755);
  add_content(p.l, initramfs::kSchedArgs, joined_lines(p.s.sched_args));
  p.closure.add_program(p.s.scheduler, initramfs::kScheduler, "--scheduler " + p.s.scheduler);
}

// The payload's argv; a host file as its program goes to /include-files/NAME with its closure.
void add_payload_file(Packing& p) {
  if (p.s.payload.empty() || p.s.omit_args) return;
  p.argv = guest_argv(p.s.payload);
  const std::string& prog = p.s.payload[0];
  if (prog.find('/') != std::string::npos && !is_guest_system_path(prog) && fs::is_directory(prog))
    throw StatusError(exit_code::kNotExecutable, "program " + prog + ": is a directory, not executable");
  if (p.argv[0] == prog) return;
  p.names.claim(fs::path(prog).filename().string(), "the program " + prog, prog);
  add_host_file(p.l, p.argv[0], prog);
  p.closure.add_program(prog, p.argv[0], "program " + prog);
}

// Every --include under /include-files/NAME, then the closures of the ELF files among them.
void add_includes(Packing& p) {
  for (const std::string& inc : p.s.includes) {
    check_include_exists(inc);
    std::string name = include_name(inc);  // one plain component: nothing lands outside NAME
    if (!p.names.claim(name, "--include " + inc, inc)) continue;
    add_include(p.l, p.included, std::string(initramfs::kIncludeDir) + "/" + name, inc);
  }
  for (const IncludedFile& f : p.included) p.closure.add_program(f.host, f.guest, "--include " + f.host);
}

// A bare program name the guest will not find (no applet, no executable include, no --tool) is
// the host's, packed as a tool; found nowhere, 127. A guest system path (/usr/bin/stress-ng)
// that is a host file is packed at that path.
void resolve_program_name(Packing& p, HostPrograms& programs) {
  if (!p.program_named() || p.applets.count(rel(p.argv[0]))) return;
  const std::string& name = p.argv[0];
  bool bare = name.find('/') == std::string::npos;
  bool in_guest = !bare;  // a path: the guest's (/bin/...), or run as given
  for (const IncludedFile& f : p.included) in_guest |= bare && fs::path(f.guest).filename() == name && (f.mode & 0100);
  for (const std::string& t : p.s.tools) in_guest |= fs::path(t).filename() == name;
  if (bare && !p.applets.count(name) && !in_guest) {
    if (find_on_host_path(name).empty())
      throw StatusError(exit_code::kNotFound, name + ": not found: not a busybox applet, not in an --include, "
                                              "not a --tool, and not on the host PATH (give a path, or "
                                              "--include / --tool it)");
    programs.add(name, "program " + name, false, true);
  } else if (!bare && is_guest_system_path(name) && fs::is_regular_file(name)) {
    programs.add(name, "program " + name, false, true);  // the host's, at that path
  }
}

// The #! interpreters of the scripts packed so far: the scheduler, the program as a host file,
// and an included executable the program names.
void queue_interpreters(Packing& p, HostPrograms& programs) {
  if (!p.s.scheduler.empty()) programs.need_interpreter(p.s.scheduler, "--scheduler " + p.s.scheduler);
  if (!p.argv.empty() && !p.program_named())
    programs.need_interpreter(p.s.payload[0], "program " + p.s.payload[0]);
  for (const IncludedFile& f : p.included)
    if (p.program_named() && fs::path(f.guest).filename() == p.argv[0] && (f.mode & 0100))
      programs.need_interpreter(f.host, "program " + p.argv[0] + " (" + f.host + ")");
}

// Every --tool, the payload's name, the #! interpreters: packed with their closures.
std::vector<std::string> add_host_programs(Packing& p, HostPrograms& programs) {
  for (const std::string& t : p.s.tools) programs.add(t, "--tool " + t, true, true);
  resolve_program_name(p, programs);
  queue_interpreters(p, programs);
  return programs.pack_all();
}

// The ELF closure of everything packed: interpreters, libraries and their links.
void add_closure(Packing& p) {
  for (const auto& [guest, f] : p.closure.files()) {
    // proc, sysfs and devtmpfs are mounted over these in the guest: a file there could not be seen.
    for (const char* hidden : {"/proc/", "/sys/", "/dev/"})
      if (guest.starts_with(hidden))
        throw std::runtime_error((f.host.empty() ? guest : f.host) + ": a packed program needs it at " + guest +
                                 ", but the guest mounts its own " + std::string(hidden, strlen(hidden) - 1) +
                                 " there; copy it to another directory");
    if (f.link.empty()) add_host_file(p.l, guest, f.host, int(f.mode));
    else add_symlink(p.l, guest, f.link);
  }
}

// A program named by a path is a host file (packed above) or a file the guest has; anything
// else cannot run, so say so now rather than after a boot.
void check_program_path(const Packing& p, const HostPrograms& programs) {
  if (!p.program_named() || p.argv[0].find('/') == std::string::npos) return;
  const std::string& prog = p.argv[0];
  if (prog[0] == '/' && programs.guest_has(prog)) return;
  std::error_code ec;
  bool host = fs::exists(prog, ec);
  throw StatusError(host ? exit_code::kNotExecutable : exit_code::kNotFound,
                    "program " + prog + ": " + (host ? "not a regular file" : "no such file") +
                        (prog[0] == '/' ? " on the host or in the guest" : " (a path is a host file)"));
}

// /args, /exec_cmd, /on_failure, /sched_enable, /sched_disable and /boot/config-RELEASE.
void add_control_files(Packing& p) {
  const PackSpec& s = p.s;
  if (!p.argv.empty()) add_content(p.l, initramfs::kArgs, joined_lines(p.argv));
  if (!s.exec_cmd.empty()) add_content(p.l, initramfs::kExecCmd, s.exec_cmd + "\n");
  if (!s.on_failure.empty()) add_content(p.l, initramfs::kOnFailure, s.on_failure + "\n");
  if (!s.sched_enable.empty()) add_host_file(p.l, initramfs::kSchedEnable, s.sched_enable, 0644);
  if (!s.sched_disable.empty()) add_host_file(p.l, initramfs::kSchedDisable, s.sched_disable, 0644);
  if (!s.kernel_config.empty() && !s.kernel_release.empty())
    add_host_file(p.l, initramfs::kKernelConfigPrefix + s.kernel_release, s.kernel_config, 0644);
}

bool same_entry(const Entry& a, const Entry& b) {
  return a.kind == b.kind && a.mode == b.mode && a.host_path == b.host_path && a.content == b.content &&
         a.target == b.target && a.major == b.major && a.minor == b.minor;
}

// The rows a warm guest already has from its boot (PackPart::base): they depend only on init,
// busybox and the kernel, which the snapshot's key names.
Layout base_rows(const PackSpec& s) {
  Packing b(s);
  add_base_layout(b.l);
  add_host_file(b.l, initramfs::kInit, s.init, 0755);
  add_busybox(b);
  if (!s.kernel_config.empty() && !s.kernel_release.empty())
    add_host_file(b.l, initramfs::kKernelConfigPrefix + s.kernel_release, s.kernel_config, 0644);
  return b.l;
}

// Whether `path` goes into the archive of `part`: the base part holds the base rows, the run part
// everything the base does not already hold as it is.
bool in_part(PackPart part, const Layout& base, const std::string& path, const Entry& e) {
  if (part == PackPart::whole) return true;
  auto it = base.find(path);
  bool in_base = it != base.end() && same_entry(it->second, e);
  return part == PackPart::base ? in_base : !in_base;
}

// The layout in path order, then /.ktstr_init_ok: last, so that its presence proves the whole
// archive was unpacked. A base part has no sentinel: a warm guest finds it in the run part only.
void write_archive(const Packing& p, const std::string& out) {
  Layout base = p.s.part == PackPart::whole ? Layout{} : base_rows(p.s);
  ArchiveWriter w(out, p.s.compression, p.s.compression_level);
  for (const auto& [path, e] : p.l)
    if (in_part(p.s.part, base, path, e)) w.write(path, e);
  if (!p.s.omit_ok_sentinel && p.s.part != PackPart::base) w.write(rel(initramfs::kOkSentinel), Entry{Entry::file, 0644});
  w.close();
}

}  // namespace

std::vector<std::string> guest_argv(const std::vector<std::string>& payload) {
  std::vector<std::string> argv = payload;
  if (!argv.empty() && argv[0].find('/') != std::string::npos && !is_guest_system_path(argv[0]) &&
      fs::is_regular_file(argv[0]))
    argv[0] = std::string(initramfs::kIncludeDir) + "/" + fs::path(argv[0]).filename().string();
  return argv;
}

void set_compression(PackSpec& spec, const std::string& text) {
  int level = 0;
  if (text == "none") spec.compression = Compression::none;
  else if (text == "gzip") spec.compression = Compression::gzip;
  else if (text == "zstd") spec.compression = Compression::zstd;
  else if (text.starts_with("zstd:") && text.size() <= 7 &&
           text.find_first_not_of("0123456789", 5) == std::string::npos && text.size() > 5 &&
           (level = std::stoi(text.substr(5))) >= 1 && level <= 19)
    spec.compression = Compression::zstd;
  else
    throw std::invalid_argument("compression '" + text + "': want none, gzip, zstd or zstd:LEVEL (1-19)");
  spec.compression_level = level;
}

std::vector<std::string> pack_initramfs(const PackSpec& s, const std::string& out) {
  Packing p(s);
  add_base_layout(p.l);
  add_host_file(p.l, initramfs::kInit, s.init, 0755);
  add_busybox(p);
  add_scheduler(p);
  add_payload_file(p);
  add_includes(p);
  HostPrograms programs(p.l, p.closure, p.applets, p.included);
  std::vector<std::string> notes = add_host_programs(p, programs);
  add_closure(p);
  check_program_path(p, programs);
  add_control_files(p);
  write_archive(p, out);
  return notes;
}

}  // namespace ktstr::host
