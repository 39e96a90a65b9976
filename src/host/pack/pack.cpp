#include "pack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#include "base_layout.hpp"
#include "elf_closure.hpp"
#include "host_query.hpp"
#include "ktstr/exit_codes.hpp"
#include "status_error.hpp"
#include "ktstr/initramfs.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

struct Entry {
  enum Kind { dir, file, symlink, chardev };
  Entry(Kind k = file, unsigned m = 0644) : kind(k), mode(m) {}
  Kind kind;
  unsigned mode;
  std::string host_path;  // file contents from here ...
  std::string content;    // ... or from here
  std::string target;     // symlink target
  unsigned major = 0, minor = 0;
};

// Archive paths without the leading '/', sorted: the cpio order is the map order.
using Layout = std::map<std::string, Entry>;

std::string rel(const std::string& guest_path) {
  return guest_path[0] == '/' ? guest_path.substr(1) : guest_path;
}

void add_parents(Layout& l, const std::string& path) {
  for (fs::path p = fs::path(path).parent_path(); !p.empty() && p != "/"; p = p.parent_path())
    l.try_emplace(rel(p.string()), Entry{Entry::dir, 0755});
}

void add_content(Layout& l, const std::string& guest, std::string content, unsigned mode = 0644) {
  add_parents(l, guest);
  Entry e{Entry::file, mode};
  e.content = std::move(content);
  l[rel(guest)] = std::move(e);
}

void add_host_file(Layout& l, const std::string& guest, const std::string& host, int force_mode = -1) {
  struct stat st {};
  if (::stat(host.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw std::runtime_error(host + ": not a readable regular file");
  add_parents(l, guest);
  Entry e{Entry::file, force_mode >= 0 ? unsigned(force_mode) : (st.st_mode & 0777)};
  e.host_path = host;
  l[rel(guest)] = std::move(e);
}

// One file of an --include: where it goes and where its bytes come from.
struct IncludedFile {
  std::string guest, host;
  unsigned mode;
};

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

// Busybox applet paths ("bin/sh", "usr/bin/awk"), from the binary itself.
std::vector<std::string> busybox_applets(const std::string& busybox) {
  std::vector<std::string> out;
  for (std::string& s : command_lines("'" + busybox + "' --list-full 2>/dev/null"))
    if (s.find("..") == std::string::npos) out.push_back(std::move(s));
  return out;
}

bool is_guest_system_path(const std::string& p) {
  for (const char* d : {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"})
    if (p.starts_with(d)) return true;
  return false;
}

class ArchiveWriter {
 public:
  ArchiveWriter(const std::string& out, Compression c, int level) : a_(archive_write_new()), out_(out) {
    check(archive_write_set_format_cpio_newc(a_), "newc format");
    if (c == Compression::gzip) {
      check(archive_write_add_filter_gzip(a_), "gzip filter");
      check(archive_write_set_options(a_, "gzip:!timestamp"), "gzip without timestamp");
    } else if (c == Compression::zstd) {
      check(archive_write_add_filter_zstd(a_), "zstd filter");
      // Level 1 on 2 workers: a dynamic closure is 30-40 MB, and zstd -3 on one thread took up
      // to seconds per pack on a loaded host. zstd's multi-threaded output does not depend on the
      // worker count, so the bytes stay the same on every host. --compression zstd:LEVEL sets
      // another level.
      std::string opts = "zstd:compression-level=" + std::to_string(level ? level : 1) + ",zstd:threads=2";
      check(archive_write_set_options(a_, opts.c_str()), "zstd level and threads");
    }
    check(archive_write_open_filename(a_, out.c_str()), "open");
  }
  ~ArchiveWriter() { archive_write_free(a_); }

  void write(const std::string& path, const Entry& e) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> ent(archive_entry_new(), archive_entry_free);
    archive_entry* x = ent.get();
    archive_entry_set_pathname(x, path.c_str());
    archive_entry_set_mtime(x, 0, 0);
    archive_entry_set_uid(x, 0);
    archive_entry_set_gid(x, 0);
    archive_entry_set_ino64(x, ++ino_);  // in order: same inputs, same inode numbers
    archive_entry_set_dev(x, 0);
    std::string data = e.content;
    archive_entry_set_size(x, 0);
    switch (e.kind) {
      case Entry::dir:
        archive_entry_set_filetype(x, AE_IFDIR);
        archive_entry_set_nlink(x, 2);
        break;
      case Entry::chardev:
        archive_entry_set_filetype(x, AE_IFCHR);
        archive_entry_set_rdevmajor(x, e.major);
        archive_entry_set_rdevminor(x, e.minor);
        archive_entry_set_nlink(x, 1);
        break;
      case Entry::symlink:
        archive_entry_set_filetype(x, AE_IFLNK);
        archive_entry_set_symlink(x, e.target.c_str());
        archive_entry_set_nlink(x, 1);
        break;
      case Entry::file:
        archive_entry_set_filetype(x, AE_IFREG);
        archive_entry_set_nlink(x, 1);
        if (!e.host_path.empty()) data = read_host(e.host_path);
        archive_entry_set_size(x, la_int64_t(data.size()));
        break;
    }
    archive_entry_set_perm(x, e.kind == Entry::symlink ? 0777 : e.mode);
    check(archive_write_header(a_, x), "header of " + path);
    if (!data.empty() && archive_write_data(a_, data.data(), data.size()) != la_ssize_t(data.size()))
      fail("data of " + path);
  }
  void close() { check(archive_write_close(a_), "close"); }

 private:
  static std::string read_host(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error(p + ": cannot open for reading");
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  void check(int r, const std::string& what) {
    if (r < ARCHIVE_WARN) fail(what);
  }
  [[noreturn]] void fail(const std::string& what) {
    const char* msg = archive_error_string(a_);
    throw std::runtime_error("writing " + out_ + ": " + what + ": " + (msg ? msg : "libarchive error"));
  }
  archive* a_;
  std::string out_;
  int64_t ino_ = 0;
};

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
  Layout l;
  std::vector<std::string> notes;
  add_base_layout(l);
  add_host_file(l, "/init", s.init, 0755);
  std::set<std::string> applets;  // names and paths busybox answers to
  if (!s.busybox.empty()) {
    add_host_file(l, "/bin/busybox", s.busybox, 0755);
    for (const std::string& applet : busybox_applets(s.busybox)) {
      applets.insert(applet);
      applets.insert(fs::path(applet).filename().string());
      if (applet == "bin/busybox") continue;
      add_parents(l, "/" + applet);
      Entry e{Entry::symlink, 0777};
      e.target = "/bin/busybox";
      l.try_emplace(applet, e);
    }
  }
  ElfClosure closure(s.loader_env);
  if (!s.scheduler.empty()) {
    add_host_file(l, "/scheduler", s.scheduler, 0755);
    add_content(l, "/sched_args", joined_lines(s.sched_args));
    closure.add_program(s.scheduler, "/scheduler", "--scheduler " + s.scheduler);
  }

  // /include-files/NAME: one owner per name (the payload or one --include).
  std::map<std::string, std::pair<std::string, std::string>> owner;  // name -> who, host path
  auto claim = [&](const std::string& name, const std::string& who, const std::string& host) {
    std::error_code ec;
    auto [it, fresh] = owner.try_emplace(name, who, host);
    if (fresh) return true;
    if (fs::equivalent(host, it->second.second, ec)) return false;  // the same file again
    throw std::runtime_error(who + " and " + it->second.first + " would both be " + initramfs::kIncludeDir + "/" +
                             name + " in the guest; rename one, or include a directory that holds it");
  };
  std::vector<std::string> argv;
  if (!s.payload.empty() && !s.omit_args) {
    argv = guest_argv(s.payload);
    const std::string& prog = s.payload[0];
    if (prog.find('/') != std::string::npos && !is_guest_system_path(prog) && fs::is_directory(prog))
      throw StatusError(exit_code::kNotExecutable, "program " + prog + ": is a directory, not executable");
    if (argv[0] != prog) {
      claim(fs::path(prog).filename().string(), "the program " + prog, prog);
      add_host_file(l, argv[0], prog);
      closure.add_program(prog, argv[0], "program " + prog);
    }
  }
  std::vector<IncludedFile> included;
  for (const std::string& inc : s.includes) {
    check_include_exists(inc);
    std::string name = include_name(inc);  // one plain component: nothing lands outside NAME
    if (!claim(name, "--include " + inc, inc)) continue;
    add_include(l, included, std::string(initramfs::kIncludeDir) + "/" + name, inc);
  }
  for (const IncludedFile& f : included) closure.add_program(f.host, f.guest, "--include " + f.host);

  // Host programs, packed at their host paths with their closures: every --tool, a payload named by
  // a bare name the guest does not have, and the #! interpreters these and the program name. A
  // queue, as a packed script may name another interpreter.
  struct HostProgram {
    std::string spec;  // NAME (looked up on the host PATH) or PATH
    std::string what;  // names it in errors and notes
    bool option;       // a --tool: a problem with it is a usage error, not the payload's 126/127
    bool link;         // linked into /usr/local/bin, to be found by name on the guest's PATH
  };
  std::vector<HostProgram> queue;
  for (const std::string& t : s.tools) queue.push_back({t, "--tool " + t, true, true});
  if (!argv.empty() && argv[0] == s.payload[0] && !applets.count(rel(argv[0]))) {
    const std::string& name = argv[0];
    bool bare = name.find('/') == std::string::npos;
    bool in_guest = !bare;  // a path: the guest's (/bin/...), or run as given
    for (const IncludedFile& f : included)
      in_guest |= bare && fs::path(f.guest).filename() == name && (f.mode & 0100);
    for (const std::string& t : s.tools) in_guest |= fs::path(t).filename() == name;
    if (bare && !applets.count(name) && !in_guest) {
      if (find_on_host_path(name).empty())
        throw StatusError(exit_code::kNotFound, name + ": not found: not a busybox applet, not in an --include, "
                                                "not a --tool, and not on the host PATH (give a path, or "
                                                "--include / --tool it)");
      queue.push_back({name, "program " + name, false, true});
    } else if (!bare && is_guest_system_path(name) && fs::is_regular_file(name)) {
      queue.push_back({name, "program " + name, false, true});  // /usr/bin/stress-ng: the host's, at that path
    }
  }

  // Whether the guest will have a path, or find a bare name on its PATH.
  auto guest_has = [&](const std::string& path) {
    std::string r = rel(fs::path(path).lexically_normal().string());
    return l.count(r) > 0 || closure.files().count("/" + r) > 0;
  };
  auto guest_finds = [&](const std::string& name) {
    bool found = applets.count(name) > 0;
    for (const IncludedFile& f : included) found |= fs::path(f.guest).filename() == name && (f.mode & 0100);
    for (const HostProgram& h : queue) found |= h.link && fs::path(h.spec).filename() == name;
    return found;
  };
  // A script's #! interpreter the guest lacks is packed from the host, as an ELF's interpreter
  // is; so is the program `#!/usr/bin/env NAME` names. Missing on the host too: 127 now, not an
  // ENOENT in the guest that seems to be about the script.
  auto need_interpreter = [&](const std::string& host, const std::string& what) {
    std::optional<Shebang> sb = read_shebang(host);
    if (!sb || sb->interp.empty() || sb->interp[0] != '/') return;  // not a script, or the guest's cwd decides
    std::string line = "#!" + sb->interp + (sb->arg.empty() ? "" : " " + sb->arg);
    auto need_path = [&](const std::string& p) {
      if (guest_has(p)) return;
      if (!fs::is_regular_file(p))
        throw StatusError(exit_code::kNotFound, what + ": its interpreter " + p + " (" + line +
                                                    ") is not in the guest and not on this host");
      queue.push_back({p, what + ": its interpreter (" + line + ")", false, false});
    };
    need_path(sb->interp);
    if (fs::path(sb->interp).filename() != "env") return;
    // env's options (-S, -i, -u NAME is not handled) and NAME=VALUE words come before the program.
    std::istringstream words(sb->arg);
    std::string cmd;
    for (std::string w; words >> w;)
      if (w[0] != '-' && w.find('=') == std::string::npos) {
        cmd = w;
        break;
      }
    if (cmd.empty()) return;
    if (cmd.find('/') != std::string::npos) {
      if (cmd[0] == '/') need_path(cmd);
      return;
    }
    if (guest_finds(cmd)) return;
    if (find_on_host_path(cmd).empty())
      throw StatusError(exit_code::kNotFound, what + ": " + cmd + " (" + line +
                                                  ") is not in the guest and not on the host PATH");
    queue.push_back({cmd, what + ": " + cmd + " (" + line + ")", false, true});
  };
  if (!s.scheduler.empty()) need_interpreter(s.scheduler, "--scheduler " + s.scheduler);
  if (!argv.empty() && argv[0] != s.payload[0]) need_interpreter(s.payload[0], "program " + s.payload[0]);
  for (const IncludedFile& f : included)  // the program named by an included file's name
    if (!argv.empty() && argv[0] == s.payload[0] && fs::path(f.guest).filename() == argv[0] && (f.mode & 0100))
      need_interpreter(f.host, "program " + argv[0] + " (" + f.host + ")");

  std::map<std::string, std::string> tool_names;  // linked name -> host path
  std::set<std::string> packed_programs;          // host paths
  for (size_t i = 0; i < queue.size(); ++i) {
    const HostProgram h = queue[i];  // a copy: need_interpreter grows the queue
    std::string host = h.spec.find('/') != std::string::npos ? h.spec : find_on_host_path(h.spec);
    if (host.empty())
      throw StatusError(h.option ? exit_code::kUsage : exit_code::kNotFound, h.what + ": not found on the host PATH");
    if (!fs::is_regular_file(host) || ::access(host.c_str(), X_OK) != 0)
      throw StatusError(h.option ? exit_code::kUsage : fs::exists(host) ? exit_code::kNotExecutable : exit_code::kNotFound,
                        h.what + ": " + host + " is not an executable file");
    std::string abs = fs::absolute(host).lexically_normal().string();
    std::string name = fs::path(abs).filename().string();
    if (h.link) {
      auto [it, fresh] = tool_names.try_emplace(name, abs);
      if (!fresh && it->second != abs)
        throw std::runtime_error(h.what + " (" + abs + ") and " + it->second + " would both be /usr/local/bin/" + name);
      // First on the guest's system PATH, whatever dir it came from.
      if (fresh && abs != "/usr/local/bin/" + name) {
        Entry e{Entry::symlink, 0777};
        e.target = abs;
        add_parents(l, "/usr/local/bin/" + name);
        l["usr/local/bin/" + name] = e;
      }
    }
    if (!packed_programs.insert(abs).second) continue;
    size_t before = closure.libraries();
    std::string file = closure.place(abs, abs);
    closure.add_program(file, file, h.what);
    bool auto_tool = !h.option && h.link && h.what == "program " + h.spec;
    notes.push_back((auto_tool ? h.spec + " is not in the guest: packing the host's " : h.what + ": ") + abs +
                    " and the " + std::to_string(closure.libraries() - before) + " libraries it needs");
    need_interpreter(abs, h.what);
  }
  for (const auto& [guest, f] : closure.files()) {
    // proc, sysfs and devtmpfs are mounted over these in the guest: a file there could not be seen.
    for (const char* hidden : {"/proc/", "/sys/", "/dev/"})
      if (guest.starts_with(hidden))
        throw std::runtime_error((f.host.empty() ? guest : f.host) + ": a packed program needs it at " + guest +
                                 ", but the guest mounts its own " + std::string(hidden, strlen(hidden) - 1) +
                                 " there; copy it to another directory");
    add_parents(l, guest);
    if (f.link.empty()) {
      add_host_file(l, guest, f.host, int(f.mode));
    } else {
      Entry e{Entry::symlink, 0777};
      e.target = f.link;
      l[rel(guest)] = e;
    }
  }

  // A program named by a path is a host file (packed above) or a file the guest has; anything
  // else cannot run, so say so now rather than after a boot.
  if (!argv.empty() && argv[0] == s.payload[0] && argv[0].find('/') != std::string::npos &&
      !(argv[0][0] == '/' && guest_has(argv[0]))) {
    std::error_code ec;
    bool host = fs::exists(argv[0], ec);
    throw StatusError(host ? exit_code::kNotExecutable : exit_code::kNotFound,
                      "program " + argv[0] + ": " + (host ? "not a regular file" : "no such file") +
                          (argv[0][0] == '/' ? " on the host or in the guest" : " (a path is a host file)"));
  }

  if (!argv.empty()) add_content(l, "/args", joined_lines(argv));
  if (!s.exec_cmd.empty()) add_content(l, "/exec_cmd", s.exec_cmd + "\n");
  if (!s.sched_enable.empty()) add_host_file(l, "/sched_enable", s.sched_enable, 0644);
  if (!s.sched_disable.empty()) add_host_file(l, "/sched_disable", s.sched_disable, 0644);
  if (!s.kernel_config.empty() && !s.kernel_release.empty())
    add_host_file(l, "/boot/config-" + s.kernel_release, s.kernel_config, 0644);

  ArchiveWriter w(out, s.compression, s.compression_level);
  for (const auto& [path, e] : l) w.write(path, e);
  // Last, so that its presence proves the whole archive was unpacked.
  if (!s.omit_ok_sentinel) w.write(".ktstr_init_ok", Entry{Entry::file, 0644});
  w.close();
  return notes;
}

}  // namespace ktstr::host
