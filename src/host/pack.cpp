#include "pack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#include "base_layout.hpp"
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

void add_host_tree(Layout& l, const std::string& guest, const std::string& host) {
  std::error_code ec;
  if (fs::is_directory(host, ec)) {
    add_parents(l, guest + "/x");
    for (auto it = fs::recursive_directory_iterator(host); it != fs::recursive_directory_iterator(); ++it) {
      std::string g = guest + "/" + fs::relative(it->path(), host).string();
      if (it->is_directory()) l.try_emplace(rel(g), Entry{Entry::dir, 0755});
      else if (it->is_regular_file()) add_host_file(l, g, it->path().string());
    }
  } else {
    add_host_file(l, guest, host);
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
  std::string cmd = "'" + busybox + "' --list-full 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
  if (!p) return out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p.get())) {
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (!s.empty() && s.find("..") == std::string::npos) out.push_back(s);
  }
  return out;
}

bool is_guest_system_path(const std::string& p) {
  for (const char* d : {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"})
    if (p.starts_with(d)) return true;
  return false;
}

class ArchiveWriter {
 public:
  ArchiveWriter(const std::string& out, Compression c) : a_(archive_write_new()), out_(out) {
    check(archive_write_set_format_cpio_newc(a_), "newc format");
    if (c == Compression::gzip) {
      check(archive_write_add_filter_gzip(a_), "gzip filter");
      check(archive_write_set_options(a_, "gzip:!timestamp"), "gzip without timestamp");
    } else if (c == Compression::zstd) {
      check(archive_write_add_filter_zstd(a_), "zstd filter");
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
    argv[0] = "/include-files/" + fs::path(argv[0]).filename().string();
  return argv;
}

void pack_initramfs(const PackSpec& s, const std::string& out) {
  Layout l;
  add_base_layout(l);
  add_host_file(l, "/init", s.init, 0755);
  if (!s.busybox.empty()) {
    add_host_file(l, "/bin/busybox", s.busybox, 0755);
    for (const std::string& applet : busybox_applets(s.busybox)) {
      if (applet == "bin/busybox") continue;
      add_parents(l, "/" + applet);
      Entry e{Entry::symlink, 0777};
      e.target = "/bin/busybox";
      l.try_emplace(applet, e);
    }
  }
  if (!s.scheduler.empty()) {
    add_host_file(l, "/scheduler", s.scheduler, 0755);
    add_content(l, "/sched_args", joined_lines(s.sched_args));
  }
  if (!s.payload.empty() && !s.omit_args) {
    std::vector<std::string> argv = guest_argv(s.payload);
    if (argv[0] != s.payload[0]) add_host_file(l, argv[0], s.payload[0]);
    add_content(l, "/args", joined_lines(argv));
  }
  for (const std::string& inc : s.includes) {
    std::string name = fs::path(inc).filename().string();
    if (name.empty()) name = fs::path(inc).parent_path().filename().string();
    if (!fs::exists(inc)) throw std::runtime_error("--include " + inc + ": no such file or directory");
    add_host_tree(l, "/include-files/" + name, inc);
  }
  if (!s.exec_cmd.empty()) add_content(l, "/exec_cmd", s.exec_cmd + "\n");
  if (!s.sched_enable.empty()) add_host_file(l, "/sched_enable", s.sched_enable, 0644);
  if (!s.sched_disable.empty()) add_host_file(l, "/sched_disable", s.sched_disable, 0644);
  if (!s.kernel_config.empty() && !s.kernel_release.empty())
    add_host_file(l, "/boot/config-" + s.kernel_release, s.kernel_config, 0644);

  ArchiveWriter w(out, s.compression);
  for (const auto& [path, e] : l) w.write(path, e);
  // Last, so that its presence proves the whole archive was unpacked.
  if (!s.omit_ok_sentinel) w.write(".ktstr_init_ok", Entry{Entry::file, 0644});
  w.close();
}

}  // namespace ktstr::host
