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
