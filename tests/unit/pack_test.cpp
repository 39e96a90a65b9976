// ktstr-vm pack: deterministic bytes and the layout of docs/initramfs.md.
#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ktstr/initramfs.hpp"
#include "pack.hpp"

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
  for (auto& e : list_archive((dir_ / "a").string())) EXPECT_NE(e.path, ".ktstr_init_ok");
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
