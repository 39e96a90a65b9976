// A warm start's run archive, guest side (src/init/test_archive.cpp), on the host: entries
// unpacked under a scratch root (files, modes, directories, symlinks; what was there replaced, a
// symlink in the way never followed), and the ARCH frames read from a lane socket with their
// counts checked.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "../test_util.hpp"
#include "ktstr/lane.hpp"
#include "test_archive.hpp"

using ktstr::init::ArchiveExtractor;
using ktstr::init::receive_archive;
using ktstr::test::ScratchDir;
using ktstr::test::slurp;

namespace {

std::string ent(const std::string& name, uint32_t mode, const std::string& data = "") {
  char h[111];
  std::snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1u, mode, 0u, 0u, 1u, 0u,
                unsigned(data.size()), 0u, 0u, 0u, 0u, unsigned(name.size() + 1), 0u);
  std::string s(h, 110);
  s += name;
  s += '\0';
  while (s.size() % 4) s += '\0';
  s += data;
  while (s.size() % 4) s += '\0';
  return s;
}
std::string trailer() { return ent("TRAILER!!!", 0); }

mode_t perm_of(const std::string& p) {
  struct stat st{};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

}  // namespace

TEST(TestArchive, UnpacksEntriesAndReplacesWhatIsThere) {
  ScratchDir d("test_archive");
  const std::string root = d.path();
  // What the base already has: a file the archive replaces, a symlink where a file goes (never
  // followed: the target must stay as it was), a directory with contents.
  { std::ofstream(root + "/victim") << "base"; }
  std::filesystem::create_directories(root + "/usr/local/bin");
  std::filesystem::create_symlink(root + "/victim", root + "/usr/local/bin/tool");
  std::filesystem::create_directories(root + "/run/keep");
  std::string a = ent(".", 040755) + ent("run", 040700) + ent("include-files/sub/f", 0100750, "hello") +
                  ent("usr/local/bin/tool", 0100755, "#!/bin/sh\n") + ent("args", 0100644, "") +
                  ent("link", 0120777, "include-files/sub/f") + ent(".ktstr_init_ok", 0100644) + trailer();
  ArchiveExtractor x(root);
  for (size_t i = 0; i < a.size(); i += 5) ASSERT_TRUE(x.feed(std::string_view(a).substr(i, 5))) << x.error();
  ASSERT_TRUE(x.finish()) << x.error();
  EXPECT_EQ(x.entries(), 7u);
  EXPECT_EQ(slurp(root + "/include-files/sub/f"), "hello");
  EXPECT_EQ(perm_of(root + "/include-files/sub/f"), 0750u);
  EXPECT_EQ(perm_of(root + "/run"), 0700u);
  EXPECT_TRUE(std::filesystem::is_directory(root + "/run/keep"));
  EXPECT_EQ(slurp(root + "/usr/local/bin/tool"), "#!/bin/sh\n");
  EXPECT_FALSE(std::filesystem::is_symlink(root + "/usr/local/bin/tool"));
  EXPECT_EQ(slurp(root + "/victim"), "base");
  EXPECT_EQ(std::filesystem::read_symlink(root + "/link"), "include-files/sub/f");
  EXPECT_TRUE(std::filesystem::exists(root + "/.ktstr_init_ok"));
  EXPECT_TRUE(std::filesystem::exists(root + "/args"));
}

TEST(TestArchive, RefusesWhatItDoesNotTake) {
  ScratchDir d("test_archive");
  {
    ArchiveExtractor x(d.path());
    EXPECT_FALSE(x.feed(ent("p", 010644) + trailer()));
    EXPECT_NE(x.error().find("a fifo: not taken"), std::string::npos) << x.error();
  }
  {
    std::filesystem::create_directories(d.path() + "/dir/inner");
    ArchiveExtractor x(d.path());
    EXPECT_FALSE(x.feed(ent("dir", 0100644, "x") + trailer()));
    EXPECT_NE(x.error().find("a directory is in the way"), std::string::npos) << x.error();
  }
  {
    ArchiveExtractor x(d.path());
    EXPECT_TRUE(x.feed(ent("half", 0100644, "xyz")));
    EXPECT_FALSE(x.finish());
    EXPECT_NE(x.error().find("no trailer"), std::string::npos) << x.error();
  }
}

// The archive over a lane socket: K frames, counted and checked against the SPEC's figures.
TEST(TestArchive, ReceivesTheAnnouncedFrames) {
  const std::string a = ent("f", 0100644, std::string(3000, 'z')) + ent(".ktstr_init_ok", 0100644) + trailer();
  auto lane_of = [&](size_t cut) {
    std::string s;
    ktstr::lane::append_frame(s, ktstr::wire::kArch, 0, 0, std::string_view(a).substr(0, cut));
    ktstr::lane::append_frame(s, ktstr::wire::kArch, 1, 0, std::string_view(a).substr(cut));
    return s;
  };
  struct Case {
    uint32_t frames;
    uint64_t bytes;
    std::string lane, want;  // want: "" = success, else part of the error
  };
  std::string wrong_type;
  ktstr::lane::append_frame(wrong_type, ktstr::wire::kLack, 0, 0, "{}");
  const Case cases[] = {
      {2, a.size(), lane_of(1000), ""},
      {2, a.size() + 1, lane_of(1000), "bytes, " + std::to_string(a.size() + 1) + " announced"},
      {2, a.size() - 1, lane_of(1000), "longer than"},
      {3, a.size(), lane_of(1000), "deadline passed with 2 of 3 archive frames"},
      {1, a.size(), wrong_type, "(LACK): not one of the 1 ARCH frames"},
      {2, a.size(), lane_of(1000).substr(0, 30) + std::string(5000, 'x'), "the lane is damaged"},
  };
  for (const Case& k : cases) {
    ScratchDir d("test_archive");
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
    ASSERT_EQ(::write(sv[1], k.lane.data(), k.lane.size()), ssize_t(k.lane.size()));
    ArchiveExtractor x(d.path());
    auto r = receive_archive(sv[0], "socket", k.frames, k.bytes, ktstr::boottime_ns() + 200ull * 1000 * 1000, x);
    if (k.want.empty()) {
      EXPECT_EQ(r.error, "");
      EXPECT_EQ(r.frames, 2u);
      EXPECT_EQ(r.bytes, a.size());
      EXPECT_EQ(slurp(d.path() + "/f"), std::string(3000, 'z'));
    } else {
      EXPECT_NE(r.error.find(k.want), std::string::npos) << "want '" << k.want << "', got: " << r.error;
    }
    ::close(sv[0]);
    ::close(sv[1]);
  }
}
