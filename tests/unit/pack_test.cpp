// ktstr-vm pack: deterministic bytes and the layout of docs/initramfs.md.
#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ktstr/initramfs.hpp"
#include "pack.hpp"
#include "paths.hpp"
#include "status_error.hpp"

namespace fs = std::filesystem;
using namespace ktstr::host;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Listed {
  std::string path;
  unsigned type;
  unsigned mode;
  long mtime;
  std::string content;
};

std::vector<Listed> list_archive(const std::string& path) {
  std::vector<Listed> out;
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_cpio(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 65536), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Listed l{archive_entry_pathname(e), archive_entry_filetype(e), archive_entry_perm(e),
             long(archive_entry_mtime(e)), ""};
    char buf[4096];
    for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) l.content.append(buf, size_t(n));
    out.push_back(l);
  }
  archive_read_free(a);
  return out;
}

class PackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pack_test." + std::to_string(getpid()));
    fs::create_directories(dir_ / "inc/sub");
    write("init", "#!init", 0755);
    write("sched", "scheduler-bytes", 0755);
    write("inc/tool", "tool", 0755);
    write("inc/sub/data.txt", "data", 0644);
    write("config", "CONFIG_SCHED_CLASS_EXT=y\n", 0644);
    spec_.init = (dir_ / "init").string();
    spec_.scheduler = (dir_ / "sched").string();
    spec_.sched_args = {"-v", "--flag"};
    spec_.payload = {"sh", "-c", "echo hi"};
    spec_.includes = {(dir_ / "inc").string()};
    spec_.kernel_config = (dir_ / "config").string();
    spec_.kernel_release = "7.3.4-test";
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& content, unsigned mode) {
    std::ofstream(dir_ / name) << content;
    chmod((dir_ / name).c_str(), mode);
  }
  fs::path dir_;
  PackSpec spec_;
};

}  // namespace

// Packing the same inputs twice gives identical bytes, for each compression.
TEST_F(PackTest, SameInputsGiveSameBytes) {
  for (Compression c : {Compression::zstd, Compression::gzip, Compression::none}) {
    spec_.compression = c;
    pack_initramfs(spec_, (dir_ / "a").string());
    // Touch inputs: host mtimes must not leak into the archive.
    fs::last_write_time(dir_ / "init", fs::file_time_type::clock::now());
    pack_initramfs(spec_, (dir_ / "b").string());
    std::string a = slurp((dir_ / "a").string()), b = slurp((dir_ / "b").string());
    ASSERT_GT(a.size(), 100u);
    EXPECT_EQ(a, b) << "compression " << int(c);
  }
}

// The layout follows docs/initramfs.md: console node, init, scheduler, args, config, sentinel last.
TEST_F(PackTest, LayoutFollowsTheContract) {
  pack_initramfs(spec_, (dir_ / "a").string());
  auto entries = list_archive((dir_ / "a").string());
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().path, ".ktstr_init_ok");
  std::map<std::string, Listed> by;
  for (auto& e : entries) {
    EXPECT_EQ(e.mtime, 0) << e.path;
    by[e.path] = e;
  }
  ASSERT_TRUE(by.count("dev/console"));
  EXPECT_EQ(by["dev/console"].type, unsigned(AE_IFCHR));
  EXPECT_EQ(by["init"].content, "#!init");
  EXPECT_EQ(by["init"].mode, 0755u);
  EXPECT_EQ(by["scheduler"].content, "scheduler-bytes");
  EXPECT_EQ(by["sched_args"].content, "-v\n--flag\n");
  EXPECT_EQ(by["args"].content, "sh\n-c\necho hi\n");
  EXPECT_EQ(by["include-files/inc/tool"].mode, 0755u);
  EXPECT_EQ(by["include-files/inc/sub/data.txt"].content, "data");
  EXPECT_EQ(by["boot/config-7.3.4-test"].content, "CONFIG_SCHED_CLASS_EXT=y\n");
  EXPECT_EQ(by["tmp"].mode, 01777u);
  EXPECT_TRUE(by.count("bin/sh")) << "busybox applet links";
}

// A warm guest's two parts (docs/warm.md): the base part holds /init, busybox, the layout and the
// kernel config and no sentinel; the run part holds everything else with the sentinel last; the
// two together are the whole archive, and no path is in both.
TEST_F(PackTest, BaseAndRunPartsSplitTheWholeArchive) {
  spec_.compression = Compression::none;
  pack_initramfs(spec_, (dir_ / "whole").string());
  spec_.part = PackPart::base;
  pack_initramfs(spec_, (dir_ / "base").string());
  spec_.part = PackPart::run;
  pack_initramfs(spec_, (dir_ / "run").string());
  std::map<std::string, Listed> whole, base, run;
  for (auto& e : list_archive((dir_ / "whole").string())) whole[e.path] = e;
  for (auto& e : list_archive((dir_ / "base").string())) base[e.path] = e;
  auto run_list = list_archive((dir_ / "run").string());
  for (auto& e : run_list) run[e.path] = e;
  ASSERT_FALSE(run_list.empty());
  EXPECT_EQ(run_list.back().path, ".ktstr_init_ok");
  EXPECT_EQ(base.count(".ktstr_init_ok"), 0u) << "a warm guest finds the sentinel in the run part only";
  for (const char* p : {"init", "dev/console", "bin/sh", "boot/config-7.3.4-test", "tmp"}) {
    EXPECT_EQ(base.count(p), 1u) << p;
    EXPECT_EQ(run.count(p), 0u) << p;
  }
  for (const char* p : {"scheduler", "sched_args", "args", "include-files/inc/tool", "include-files/inc/sub/data.txt"}) {
    EXPECT_EQ(run.count(p), 1u) << p;
    EXPECT_EQ(base.count(p), 0u) << p;
  }
  for (const auto& [path, e] : whole) {
    EXPECT_EQ(base.count(path) + run.count(path), 1u) << path;
    const Listed& part = base.count(path) ? base[path] : run[path];
    EXPECT_EQ(part.content, e.content) << path;
    EXPECT_EQ(part.mode, e.mode) << path;
  }
  EXPECT_EQ(base.size() + run.size(), whole.size());
}

// The on-failure hook is a file, /on_failure: CMD (multi-line kept) plus one newline; none without one.
TEST_F(PackTest, OnFailureIsAFile) {
  pack_initramfs(spec_, (dir_ / "a").string());
  std::map<std::string, Listed> by;
  for (auto& e : list_archive((dir_ / "a").string())) by[e.path] = e;
  EXPECT_EQ(by.count("on_failure"), 0u);
  spec_.on_failure = "cat /sys/kernel/sched_ext/root/ops\ndmesg | tail";
  pack_initramfs(spec_, (dir_ / "b").string());
  by.clear();
  for (auto& e : list_archive((dir_ / "b").string())) by[e.path] = e;
  ASSERT_EQ(by.count("on_failure"), 1u);
  EXPECT_EQ(by["on_failure"].content, "cat /sys/kernel/sched_ext/root/ops\ndmesg | tail\n");
}

// A missing sentinel is possible on request (to test init's truncation check).
TEST_F(PackTest, OmitSentinelOnRequest) {
  spec_.omit_ok_sentinel = true;
  pack_initramfs(spec_, (dir_ / "a").string());
  std::map<std::string, Listed> by;
  for (auto& e : list_archive((dir_ / "a").string())) by[e.path] = e;
  EXPECT_EQ(by.count(".ktstr_init_ok"), 0u);
  ASSERT_EQ(by.count("init"), 1u) << "the rest of the archive is still there";
  EXPECT_EQ(by["init"].content, "#!init");
}

// A payload program that is a host file is packed under /include-files and run from there.
TEST_F(PackTest, HostProgramIsPackedUnderIncludeFiles) {
  spec_.payload = {(dir_ / "inc/tool").string(), "arg"};
  pack_initramfs(spec_, (dir_ / "a").string());
  std::map<std::string, Listed> by;
  for (auto& e : list_archive((dir_ / "a").string())) by[e.path] = e;
  EXPECT_EQ(by["args"].content, "/include-files/tool\narg\n");
  EXPECT_EQ(by["include-files/tool"].content, "tool");
  // Guest system paths stay the guest's, even if the host has the same file.
  EXPECT_EQ(guest_argv({"/bin/sh", "-c", "x"})[0], "/bin/sh");
}

// Bad inputs name the file.
TEST_F(PackTest, MissingInputIsAClearError) {
  spec_.includes = {"/nonexistent/dir"};
  try {
    pack_initramfs(spec_, (dir_ / "a").string());
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir"), std::string::npos);
  }
}

// Arguments with newlines and backslashes survive /args' one-per-line format.
TEST_F(PackTest, ArgumentsWithNewlinesRoundTrip) {
  std::vector<std::string> args = {"sh", "-c", "echo a\necho 'b\\n'\n", "back\\slash", "", "trailing\\"};
  spec_.payload = args;
  pack_initramfs(spec_, (dir_ / "a").string());
  std::map<std::string, Listed> by;
  for (auto& e : list_archive((dir_ / "a").string())) by[e.path] = e;
  std::vector<std::string> lines;
  std::istringstream in(by["args"].content);
  for (std::string l; std::getline(in, l);) lines.push_back(ktstr::initramfs::unescape_arg(l));
  EXPECT_EQ(lines, args);
}

namespace {
std::map<std::string, Listed> by_path(const std::string& archive) {
  std::map<std::string, Listed> by;
  for (auto& e : list_archive(archive)) by[e.path] = e;
  return by;
}
// The archive path of a host path packed at that path.
std::string rel_of(const fs::path& p) { return p.string().substr(1); }
std::string error_of(const PackSpec& s, const std::string& out) {
  try {
    pack_initramfs(s, out);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

// An --include named like the payload would replace it; two includes of one name would overwrite
// each other: both are errors before anything boots. The payload's own file included again is not.
TEST_F(PackTest, IncludeNameClashIsAnError) {
  fs::create_directories(dir_ / "other");
  write("other/tool", "other tool", 0755);
  spec_.payload = {(dir_ / "inc/tool").string()};
  spec_.includes = {(dir_ / "other/tool").string()};
  std::string err = error_of(spec_, (dir_ / "a").string());
  EXPECT_NE(err.find("/include-files/tool"), std::string::npos) << err;
  EXPECT_NE(err.find((dir_ / "other/tool").string()), std::string::npos) << err;

  spec_.payload = {"sh"};
  fs::create_directories(dir_ / "x/inc");
  spec_.includes = {(dir_ / "inc").string(), (dir_ / "x/inc").string()};
  err = error_of(spec_, (dir_ / "a").string());
  EXPECT_NE(err.find("/include-files/inc"), std::string::npos) << err;

  spec_.payload = {(dir_ / "inc/tool").string()};
  spec_.includes = {(dir_ / "inc/tool").string()};
  EXPECT_EQ(error_of(spec_, (dir_ / "a").string()), "");
}

// Symlinks inside an included directory: a link to something inside it stays a (relative) link;
// a link out of it becomes a copy of its target under the link's own name (a directory whole).
// No entry lands outside /include-files/NAME, and a dangling link is an error.
TEST_F(PackTest, SymlinksInIncludedDirStayInside) {
  fs::create_directories(dir_ / "outside/deep");
  write("outside/hostname", "outside-file", 0644);
  write("outside/deep/x", "deep", 0644);
  fs::create_symlink("sub/data.txt", dir_ / "inc/inner_file");
  fs::create_symlink(dir_ / "inc/sub", dir_ / "inc/inner_dir");  // absolute, but inside
  fs::create_symlink("../outside/hostname", dir_ / "inc/outer_file");
  fs::create_symlink(dir_ / "outside", dir_ / "inc/outer_dir");
  pack_initramfs(spec_, (dir_ / "a").string());
  auto by = by_path((dir_ / "a").string());
  for (const auto& [path, e] : by)
    EXPECT_TRUE(path.find("..") == std::string::npos && (path.find("outside") == std::string::npos ||
                                                         path.starts_with("include-files/inc/")))
        << path;
  EXPECT_EQ(by["include-files/inc/inner_file"].type, unsigned(AE_IFLNK));
  EXPECT_EQ(by["include-files/inc/inner_dir"].type, unsigned(AE_IFLNK));
  EXPECT_EQ(by["include-files/inc/outer_file"].type, unsigned(AE_IFREG));
  EXPECT_EQ(by["include-files/inc/outer_file"].content, "outside-file");
  EXPECT_EQ(by["include-files/inc/outer_dir"].type, unsigned(AE_IFDIR));
  EXPECT_EQ(by["include-files/inc/outer_dir/deep/x"].content, "deep");
  EXPECT_FALSE(by.count("etc/hostname"));

  fs::create_symlink(dir_ / "nowhere", dir_ / "inc/dangling");
  std::string err = error_of(spec_, (dir_ / "a").string());
  EXPECT_NE(err.find("dangling"), std::string::npos) << err;
}

// The link targets packed for a kept link are relative and resolve inside the copy.
TEST_F(PackTest, KeptLinksAreRelative) {
  fs::create_symlink(dir_ / "inc/sub/data.txt", dir_ / "inc/abs_inner");
  pack_initramfs(spec_, (dir_ / "a").string());
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_cpio(a);
  ASSERT_EQ(archive_read_open_filename(a, (dir_ / "a").c_str(), 65536), ARCHIVE_OK);
  archive_entry* e;
  std::string target;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK)
    if (std::string(archive_entry_pathname(e)) == "include-files/inc/abs_inner") target = archive_entry_symlink(e);
  archive_read_free(a);
  EXPECT_EQ(target, "sub/data.txt");
}

// A dynamic program comes with its interpreter and libraries at their host paths; packing stays
// deterministic.
TEST_F(PackTest, DynamicProgramBringsItsLibraries) {
  spec_.payload = {std::string(KTSTR_DYN_DIR) + "/cxx_payload", "3"};
  pack_initramfs(spec_, (dir_ / "a").string());
  pack_initramfs(spec_, (dir_ / "b").string());
  EXPECT_EQ(slurp((dir_ / "a").string()), slurp((dir_ / "b").string()));
  auto by = by_path((dir_ / "a").string());
  EXPECT_EQ(by["args"].content, "/include-files/cxx_payload\n3\n");
  bool libstdcxx = false, libc = false;
  for (const auto& [path, e] : by) {
    libstdcxx |= path.find("libstdc++.so") != std::string::npos && e.type == unsigned(AE_IFREG);
    libc |= path.ends_with("/libc.so.6");
  }
  EXPECT_TRUE(libstdcxx && libc);
  EXPECT_TRUE(by.count("lib64/ld-linux-x86-64.so.2"));
}

// Host programs: --tool NAME is packed from the host PATH and linked into /usr/local/bin; a bare
// payload name found nowhere is 127, a directory as program is 126.
TEST_F(PackTest, HostProgramsByName) {
  spec_.tools = {"stress-ng"};
  spec_.payload = {"stress-ng", "--version"};
  pack_initramfs(spec_, (dir_ / "a").string());
  auto by = by_path((dir_ / "a").string());
  EXPECT_EQ(by["usr/bin/stress-ng"].type, unsigned(AE_IFREG));
  EXPECT_EQ(by["usr/local/bin/stress-ng"].type, unsigned(AE_IFLNK));

  spec_.tools.clear();  // the bare payload name alone is enough
  auto notes = pack_initramfs(spec_, (dir_ / "b").string());
  EXPECT_EQ(slurp((dir_ / "a").string()), slurp((dir_ / "b").string()));
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes[0].find("/usr/bin/stress-ng"), std::string::npos) << notes[0];

  spec_.payload = {"no-such-program-ktstr"};
  try {
    pack_initramfs(spec_, (dir_ / "a").string());
    FAIL() << "expected an error";
  } catch (const StatusError& e) {
    EXPECT_EQ(e.status, 127);
    EXPECT_NE(std::string(e.what()).find("no-such-program-ktstr"), std::string::npos);
  }
  spec_.payload = {(dir_ / "inc/sub").string()};
  try {
    pack_initramfs(spec_, (dir_ / "a").string());
    FAIL() << "expected an error";
  } catch (const StatusError& e) {
    EXPECT_EQ(e.status, 126);
  }
}

// --compression forms: a zstd level changes the bytes, not what unpacks; bad forms are refused.
TEST_F(PackTest, CompressionFormsAndLevels) {
  set_compression(spec_, "zstd:19");
  EXPECT_EQ(spec_.compression, Compression::zstd);
  EXPECT_EQ(spec_.compression_level, 19);
  pack_initramfs(spec_, (dir_ / "z19").string());
  set_compression(spec_, "zstd:1");
  pack_initramfs(spec_, (dir_ / "z1").string());
  set_compression(spec_, "none");
  EXPECT_EQ(spec_.compression_level, 0);
  pack_initramfs(spec_, (dir_ / "raw").string());
  EXPECT_NE(slurp((dir_ / "z19").string()), slurp((dir_ / "z1").string()));
  auto a = list_archive((dir_ / "z19").string()), b = list_archive((dir_ / "raw").string());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].content, b[i].content) << a[i].path;
  for (const char* bad : {"zstd:0", "zstd:20", "zstd:", "zstd:x", "lz4", "zstd:123"})
    EXPECT_THROW(set_compression(spec_, bad), std::invalid_argument) << bad;
}

namespace {
// Runs `f` with the working directory at `dir`, then goes back.
template <class F>
void in_dir(const fs::path& dir, F f) {
  fs::path back = fs::current_path();
  fs::current_path(dir);
  try {
    f();
  } catch (...) {
    fs::current_path(back);
    throw;
  }
  fs::current_path(back);
}
}  // namespace

// Whatever an --include argument looks like (".", "..", "x/..", "../", trailing slashes, links to
// a parent), every entry it adds lies under /include-files/NAME, with NAME one plain component;
// nothing of the base archive changes. Arguments are generated: bases times suffixes, from a
// working directory two levels down so that ".." stays inside the scratch tree.
TEST_F(PackTest, IncludeArgumentsNeverLeaveIncludeFiles) {
  fs::create_directories(dir_ / "e/bin");
  fs::create_directories(dir_ / "e/x/y/sub");
  write("e/bin/sh", "#!/bin/busybox sh\necho TROJAN\n", 0755);
  write("e/x/y/sub/f", "f", 0644);
  write("e/x/y/file", "file", 0755);
  fs::create_symlink("..", dir_ / "e/x/y/up");
  fs::create_symlink("sub", dir_ / "e/x/y/lnk");
  fs::create_symlink(dir_ / "e/x", dir_ / "e/x/y/abs_parent");
  spec_.includes.clear();
  spec_.scheduler.clear();
  spec_.compression = Compression::none;
  pack_initramfs(spec_, (dir_ / "base").string());
  auto base = by_path((dir_ / "base").string());

  const std::vector<std::string> bases = {".", "..", "../..", "sub", "lnk", "up", "abs_parent", "file", "sub/f",
                                          "./sub", "lnk/..", "up/..", "sub/..", "../y", (dir_ / "e/x").string()};
  const std::vector<std::string> suffixes = {"", "/", "/.", "/./", "/..", "/../", "//", "/../y", "/./."};
  int packed = 0;
  in_dir(dir_ / "e/x/y", [&] {
    for (const std::string& b : bases)
      for (const std::string& sfx : suffixes) {
        std::string arg = b + sfx;
        std::error_code ec;
        fs::path real = fs::canonical(arg, ec);
        if (ec || !real.string().starts_with((dir_ / "e").string())) continue;  // only inside the scratch tree
        spec_.includes = {arg};
        std::string out = (dir_ / "a").string();
        std::string err = error_of(spec_, out);
        if (!err.empty()) {
          ADD_FAILURE() << arg << ": " << err;
          continue;
        }
        ++packed;
        std::string name = include_name(arg);
        EXPECT_TRUE(!name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos)
            << arg << " -> " << name;
        for (const auto& [path, e] : by_path(out)) {
          auto old = base.find(path);
          if (old != base.end()) {
            EXPECT_EQ(e.type, old->second.type) << arg << " changed " << path;
            EXPECT_EQ(e.content, old->second.content) << arg << " changed " << path;
            continue;
          }
          EXPECT_TRUE(path == "include-files/" + name || path.starts_with("include-files/" + name + "/"))
              << arg << " wrote " << path;
          EXPECT_EQ(path.find("/../"), std::string::npos) << arg << " wrote " << path;
          EXPECT_EQ(path.find("/./"), std::string::npos) << arg << " wrote " << path;
        }
      }
  });
  EXPECT_GT(packed, 60);
  // The names come from the directory the path stands for.
  in_dir(dir_ / "e/x/y", [&] {
    EXPECT_EQ(include_name("."), "y");
    EXPECT_EQ(include_name(".."), "x");
    EXPECT_EQ(include_name("sub/.."), "y");
    EXPECT_EQ(include_name("up/."), "x");
    EXPECT_EQ(include_name("sub/"), "sub");
    EXPECT_EQ(include_name("lnk"), "lnk");  // a link as the argument keeps its own name
  });
}

// The root directory cannot be an include: there is no name for it, and it is the whole host.
TEST_F(PackTest, IncludeOfTheRootIsRefused) {
  for (const char* root : {"/", "/.", "//", "/..", "/tmp/.."}) {
    spec_.includes = {root};
    std::string err = error_of(spec_, (dir_ / "a").string());
    EXPECT_NE(err.find("root directory"), std::string::npos) << root << ": " << err;
  }
}

// "." is a name like any other: its clash with another include of that name is found.
TEST_F(PackTest, DotIncludeKeepsTheNameCheck) {
  fs::create_directories(dir_ / "w/inc");
  write("w/inc/tool", "other", 0755);
  in_dir(dir_ / "w/inc", [&] {
    spec_.includes = {".", (dir_ / "inc").string()};
    std::string err = error_of(spec_, (dir_ / "a").string());
    EXPECT_NE(err.find("would both be /include-files/inc"), std::string::npos) << err;
    spec_.includes = {".", (dir_ / "w/inc").string()};  // the same directory twice: packed once
    EXPECT_EQ(error_of(spec_, (dir_ / "a").string()), "");
  });
}

// A symlink loop is named as one, in an included directory and as the argument itself.
TEST_F(PackTest, SymlinkLoopIsNamed) {
  fs::create_directories(dir_ / "loop");
  fs::create_symlink("loop2", dir_ / "loop/loop1");
  fs::create_symlink("loop1", dir_ / "loop/loop2");
  spec_.includes = {(dir_ / "loop").string()};
  std::string err = error_of(spec_, (dir_ / "a").string());
  EXPECT_NE(err.find("symlink loop"), std::string::npos) << err;
  spec_.includes = {(dir_ / "loop/loop1").string()};
  err = error_of(spec_, (dir_ / "a").string());
  EXPECT_NE(err.find("--include " + (dir_ / "loop/loop1").string() + ": symlink loop"), std::string::npos) << err;
}

// A --tool that cannot be used is a usage error (2), not the payload's 127 or 126.
TEST_F(PackTest, BadToolIsAUsageError) {
  for (std::string t : {std::string("no-such-tool-ktstr"), (dir_ / "inc/sub").string(), (dir_ / "config").string()}) {
    spec_.tools = {t};
    try {
      pack_initramfs(spec_, (dir_ / "a").string());
      ADD_FAILURE() << t << ": expected an error";
    } catch (const StatusError& e) {
      EXPECT_EQ(e.status, 2) << e.what();
      EXPECT_NE(std::string(e.what()).find("--tool " + t), std::string::npos) << e.what();
    }
  }
}

// A program given by a path that exists nowhere is 127 before anything boots; a path the guest
// has (an applet, a file of an include) is fine.
TEST_F(PackTest, MissingProgramPathIsNotFound) {
  for (const char* p : {"./nonexistent_prog", "../nonexistent_prog", "sub/nonexistent", "/nonexistent/prog",
                        "/usr/bin/nonexistent-ktstr"}) {
    spec_.payload = {p, "x"};
    try {
      pack_initramfs(spec_, (dir_ / "a").string());
      ADD_FAILURE() << p << ": expected an error";
    } catch (const StatusError& e) {
      EXPECT_EQ(e.status, 127) << e.what();
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
  }
  for (const char* p : {"/bin/sh", "/include-files/inc/tool", "/usr/bin/env"}) {
    spec_.payload = {p};
    EXPECT_EQ(error_of(spec_, (dir_ / "a").string()), "") << p;
  }
}

// Packed host paths under /proc, /sys or /dev would be hidden by the guest's own mounts: refused.
TEST_F(PackTest, ToolUnderDevIsRefused) {
  if (!fs::is_directory("/dev/shm")) GTEST_SKIP() << "no /dev/shm";
  std::string tool = "/dev/shm/ktstr_pack_test_tool." + std::to_string(getpid());
  std::ofstream(tool) << "bytes";
  chmod(tool.c_str(), 0755);
  spec_.tools = {tool};
  std::string err = error_of(spec_, (dir_ / "a").string());
  fs::remove(tool);
  EXPECT_NE(err.find(tool), std::string::npos) << err;
  EXPECT_NE(err.find("/dev"), std::string::npos) << err;
}

// The scheduler list of an "unknown scheduler" error holds scheduler names, not the cache's
// marker file.
TEST_F(PackTest, UnknownSchedulerListsNoMarkerFiles) {
  fs::create_directories(dir_ / "cache/schedulers");
  write("cache/schedulers/.built-v3", "", 0644);
  write("cache/schedulers/scx_b", "", 0755);
  write("cache/schedulers/scx_a", "", 0755);
  const char* old = std::getenv("KTSTR_CACHE");
  std::string saved = old ? old : "";
  setenv("KTSTR_CACHE", (dir_ / "cache").c_str(), 1);
  std::string err;
  try {
    resolve_scheduler("scx_simpel");
  } catch (const std::exception& e) {
    err = e.what();
  }
  if (old) setenv("KTSTR_CACHE", saved.c_str(), 1);
  else unsetenv("KTSTR_CACHE");
  EXPECT_NE(err.find("(known: scx_a scx_b)"), std::string::npos) << err;
  EXPECT_EQ(err.find(".built"), std::string::npos) << err;
}

// A script's #! interpreter the guest lacks is packed from the host with its libraries, for the
// program and for a --tool; busybox applets need nothing; `#!/usr/bin/env NAME` brings NAME onto
// the guest's PATH; an interpreter found nowhere is 127 naming it.
TEST_F(PackTest, ScriptInterpretersArePacked) {
  if (!fs::is_regular_file("/bin/bash")) GTEST_SKIP() << "no /bin/bash on this host";
  spec_.scheduler.clear();
  write("bash_script", "#!/bin/bash\necho hi\n", 0755);
  write("sh_script", "#! /bin/sh -e\necho hi\n", 0755);
  write("env_script", "#!/usr/bin/env bash\necho hi\n", 0755);
  write("env_s_script", "#!/usr/bin/env -S VAR=1 bash -e\necho hi\n", 0755);
  write("lost_script", "#!/nonexistent/ktstr-interp -x\necho hi\n", 0755);
  write("lost_env_script", "#!/usr/bin/env no-such-interp-ktstr\necho hi\n", 0755);
  write("nested", "#!" + (dir_ / "bash_script").string() + "\n", 0755);
  write("self", "#!" + (dir_ / "self").string() + "\n", 0755);

  spec_.payload = {(dir_ / "sh_script").string()};
  pack_initramfs(spec_, (dir_ / "plain").string());
  auto plain = by_path((dir_ / "plain").string());
  EXPECT_EQ(plain["bin/sh"].type, unsigned(AE_IFLNK)) << "the applet stays";
  EXPECT_FALSE(plain.count("lib64/ld-linux-x86-64.so.2")) << "a busybox interpreter needs nothing";

  spec_.payload = {(dir_ / "bash_script").string()};
  pack_initramfs(spec_, (dir_ / "a").string());
  auto by = by_path((dir_ / "a").string());
  EXPECT_EQ(by["bin/bash"].type, unsigned(AE_IFREG));
  EXPECT_TRUE(by.count("lib64/ld-linux-x86-64.so.2")) << "bash's own closure";
  EXPECT_FALSE(by.count("usr/local/bin/bash")) << "an interpreter by path keeps its path only";

  spec_.payload = {"sh"};
  spec_.tools = {(dir_ / "nested").string()};  // a tool whose interpreter is a script
  pack_initramfs(spec_, (dir_ / "a").string());
  by = by_path((dir_ / "a").string());
  EXPECT_EQ(by[rel_of(dir_ / "bash_script")].type, unsigned(AE_IFREG));
  EXPECT_EQ(by["bin/bash"].type, unsigned(AE_IFREG));
  spec_.tools.clear();

  for (const char* script : {"env_script", "env_s_script"}) {
    spec_.payload = {(dir_ / script).string()};
    pack_initramfs(spec_, (dir_ / "a").string());
    by = by_path((dir_ / "a").string());
    EXPECT_EQ(by["usr/local/bin/bash"].type, unsigned(AE_IFLNK)) << script;
    EXPECT_EQ(by["usr/bin/env"].type, unsigned(AE_IFLNK)) << script << ": busybox env stays";
  }

  fs::create_directories(dir_ / "scripts");  // an included script named as the program
  write("scripts/inc_bash", "#!/bin/bash\necho hi\n", 0755);
  spec_.includes = {(dir_ / "scripts").string()};
  spec_.payload = {"inc_bash"};
  pack_initramfs(spec_, (dir_ / "a").string());
  EXPECT_EQ(by_path((dir_ / "a").string())["bin/bash"].type, unsigned(AE_IFREG));
  spec_.includes = {(dir_ / "inc").string()};

  spec_.payload = {(dir_ / "self").string()};  // a loop the kernel refuses: packing ends
  EXPECT_EQ(error_of(spec_, (dir_ / "a").string()), "");

  for (const char* script : {"lost_script", "lost_env_script"}) {
    for (bool as_tool : {false, true}) {
      spec_.payload = {"sh"};
      spec_.tools.clear();
      if (as_tool) spec_.tools = {(dir_ / script).string()};
      else spec_.payload = {(dir_ / script).string()};
      try {
        pack_initramfs(spec_, (dir_ / "a").string());
        ADD_FAILURE() << script << (as_tool ? " as a tool" : " as the program") << ": expected an error";
      } catch (const StatusError& e) {
        EXPECT_EQ(e.status, 127) << e.what();
        std::string what = e.what();
        EXPECT_NE(what.find(std::string(script) == "lost_script" ? "/nonexistent/ktstr-interp" : "no-such-interp-ktstr"),
                  std::string::npos) << what;
        EXPECT_NE(what.find((dir_ / script).string()), std::string::npos) << what;
      }
    }
  }
}
