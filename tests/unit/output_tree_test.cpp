// The output tree's receiver (src/host/verdict/output_tree.cpp): a well-formed stream comes back
// byte-exact with its modes and links, and forged streams (.., /abs, NUL, a/../b, a symlink then
// a file under it, an entry twice, sizes that lie, bytes past the limit, FEND totals that lie,
// code points above U+00FF) are damage that writes nothing outside the directory.
#include "output_tree.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "test_util.hpp"

namespace fs = std::filesystem;
namespace w = ktstr::wire;
using ktstr::UniqueFd;
using ktstr::host::OutputTree;
using ktstr::test::ScratchDir;
using ktstr::test::slurp;

namespace {

// Every path under `root` (symlinks not followed), relative to it.
std::set<std::string> listing(const std::string& root) {
  std::set<std::string> s;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
    s.insert(fs::relative(it->path(), root).string());
  return s;
}

// A scratch root holding the output directory `out` and, beside it, a directory `outside` that a
// forged stream might aim at.
class TreeTest : public ::testing::Test {
 protected:
  TreeTest() : root_("tree") {
    fs::create_directory(out());
    fs::create_directory(outside());
    tree_ = std::make_unique<OutputTree>(UniqueFd(::open(out().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)), limit_);
  }
  std::string out() const { return root_.path() + "/out"; }
  std::string outside() const { return root_.path() + "/outside"; }

  void frame(w::Tag t, const std::string& value) {
    w::Frame f{};
    f.type = t;
    f.seq = seq_++;
    f.value = std::span(reinterpret_cast<const uint8_t*>(value.data()), value.size());
    tree_->on_frame(f);
  }
  void ent(const std::string& json) { frame(w::kFent, json); }
  void dat(const std::string& bytes) { frame(w::kFdat, bytes); }
  void skp(const std::string& json) { frame(w::kFskp, json); }
  void end(const std::string& json) { frame(w::kFend, json); }
  void file(const std::string& path, const std::string& bytes, int mode = 0644) {
    ent(R"({"path":")" + path + R"(","kind":"file","mode":)" + std::to_string(mode) + R"(,"size":)" +
        std::to_string(bytes.size()) + "}");
    if (!bytes.empty()) dat(bytes);
  }
  void limit(uint64_t l) {
    limit_ = l;
    tree_ = std::make_unique<OutputTree>(UniqueFd(::open(out().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)), limit_);
  }

  // Damaged, and nothing appeared outside `out` (in the scratch root or at /tmp's top level).
  void expect_damage(const std::string& what) {
    tree_->finish(true);
    EXPECT_FALSE(tree_->complete());
    EXPECT_TRUE(tree_->error().starts_with("output tree: ")) << tree_->error();
    EXPECT_NE(tree_->error().find(what), std::string::npos) << tree_->error();
    for (const auto& p : listing(root_.path()))
      EXPECT_TRUE(p == "out" || p == "outside" || p.starts_with("out/")) << p;
    EXPECT_TRUE(fs::is_empty(outside()));
  }

  ScratchDir root_;
  uint64_t limit_ = 1 << 20;
  uint32_t seq_ = 0;
  std::unique_ptr<OutputTree> tree_;
};

constexpr const char* kEnd0 = R"({"files":0,"dirs":0,"symlinks":0,"bytes":0,"skipped":0,"cut":0,"changed":[]})";

TEST_F(TreeTest, AWholeTreeComesBackByteExactWithModesAndLinks) {
  ent(R"({"path":"sub","kind":"dir","mode":493})");  // 0755
  ent(R"({"path":"sub/f","kind":"file","mode":416,"size":6})");  // 0640
  dat(std::string("ab\0", 3));
  dat("def");
  ent(R"({"path":"link","kind":"symlink","mode":511,"target":"/etc/passwd"})");
  file("empty", "", 0600);
  ent(R"({"path":"suid","kind":"file","mode":3565,"size":1})");  // 06755: setuid, setgid
  dat("x");
  skp(R"({"path":"p","kind":"fifo","why":"not a regular file"})");
  end(R"({"files":3,"dirs":1,"symlinks":1,"bytes":7,"skipped":1,"cut":0,"changed":[]})");
  tree_->finish(true);
  ASSERT_TRUE(tree_->complete()) << tree_->error();
  EXPECT_EQ(slurp(out() + "/sub/f"), std::string("ab\0def", 6));
  struct stat st;
  ASSERT_EQ(::lstat((out() + "/sub/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(::lstat((out() + "/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::lstat((out() + "/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(fs::read_symlink(out() + "/link"), "/etc/passwd");
  ASSERT_EQ(::lstat((out() + "/suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "no setuid or setgid from the guest";
  EXPECT_FALSE(fs::exists(out() + "/p"));
  EXPECT_EQ(tree_->files(), 3u);
  EXPECT_EQ(tree_->bytes(), 7u);
  ASSERT_EQ(tree_->skipped().size(), 1u);
  EXPECT_EQ(tree_->skipped()[0].kind, "fifo");
  EXPECT_EQ(tree_->summary(), "3 files (0.0 MB), 1 dir, 1 symlink, 1 skipped (fifo: p)");
  auto r = tree_->report();
  EXPECT_EQ(r["skipped"][0]["path"], "p");
  EXPECT_EQ(r["complete"], true);
  EXPECT_EQ(r["error"], "");
}

TEST_F(TreeTest, ADirectorysModeComesAfterItsContents) {
  ent(R"({"path":"ro","kind":"dir","mode":320})");  // 0500: no write, yet its file arrives
  file("ro/f", "data", 0444);
  end(R"({"files":1,"dirs":1,"symlinks":0,"bytes":4,"skipped":0,"cut":0,"changed":[]})");
  tree_->finish(true);
  ASSERT_TRUE(tree_->complete()) << tree_->error();
  EXPECT_EQ(slurp(out() + "/ro/f"), "data");
  struct stat st;
  ASSERT_EQ(::stat((out() + "/ro").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0500u);
  ::chmod((out() + "/ro").c_str(), 0700);  // so the scratch dir can go
}

TEST_F(TreeTest, AnEmptyTreeIsComplete) {
  end(kEnd0);
  tree_->finish(true);
  EXPECT_TRUE(tree_->complete()) << tree_->error();
  EXPECT_TRUE(fs::is_empty(out()));
}

TEST_F(TreeTest, DotDotIsDamage) {
  file("../outside/x", "pwned");
  expect_damage("a .. component");
}

TEST_F(TreeTest, AnAbsolutePathIsDamage) {
  std::string target = outside() + "/abs";
  file(target, "pwned");
  expect_damage("an absolute path");
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(TreeTest, ANulIsDamage) {
  file("a\\u0000b", "x");
  expect_damage("a NUL byte");
}

TEST_F(TreeTest, DotDotInsideAPathIsDamage) {
  ent(R"({"path":"a","kind":"dir","mode":493})");
  file("a/../b", "x");
  expect_damage("a .. component");
  EXPECT_FALSE(fs::exists(out() + "/b"));
}

TEST_F(TreeTest, EmptyAndDotComponentsAreDamage) {
  file("a//b", "x");
  expect_damage("an empty component");
}

TEST_F(TreeTest, ADotComponentIsDamage) {
  file("./x", "x");
  expect_damage("a . component");
}

TEST_F(TreeTest, AnEmptyPathIsDamage) {
  file("", "x");
  expect_damage("an empty path");
}

TEST_F(TreeTest, ATooLongComponentIsDamage) {
  file(std::string(256, 'a'), "x");
  expect_damage("longer than 255 bytes");
}

TEST_F(TreeTest, ACodePointAboveFFIsDamage) {
  file("\\u0100", "x");
  expect_damage("a code point above U+00FF (U+0100)");
}

TEST_F(TreeTest, CodePointsUpToFFAreBytes) {
  file("caf\\u00e9\\u00ff", "x");
  end(R"({"files":1,"dirs":0,"symlinks":0,"bytes":1,"skipped":0,"cut":0,"changed":[]})");
  tree_->finish(true);
  ASSERT_TRUE(tree_->complete()) << tree_->error();
  EXPECT_TRUE(fs::exists(out() + "/caf\xe9\xff"));
  EXPECT_EQ(OutputTree::printable("caf\xe9\xff"), "caf\\xe9\\xff");
  EXPECT_EQ(OutputTree::printable("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST_F(TreeTest, AFileUnderASymlinkIsDamage) {
  ent(R"({"path":"s","kind":"symlink","mode":511,"target":")" + outside() + R"("})");
  file("s/f", "pwned");
  expect_damage("is not a directory of this tree");
}

TEST_F(TreeTest, ADirUnderASymlinkIsDamage) {
  ent(R"({"path":"s","kind":"symlink","mode":511,"target":"../outside"})");
  ent(R"({"path":"s/d","kind":"dir","mode":493})");
  expect_damage("is not a directory of this tree");
}

TEST_F(TreeTest, AFileUnderAFileIsDamage) {
  file("f", "x");
  file("f/g", "y");
  expect_damage("is not a directory of this tree");
}

TEST_F(TreeTest, AnEntryTwiceIsDamage) {
  file("f", "first");
  file("f", "second");
  expect_damage("\"f\" twice");
  EXPECT_EQ(slurp(out() + "/f"), "first");
}

TEST_F(TreeTest, ADirThenASymlinkOfTheSameNameIsDamage) {
  ent(R"({"path":"d","kind":"dir","mode":493})");
  ent(R"({"path":"d","kind":"symlink","mode":511,"target":"/"})");
  expect_damage("\"d\" twice");
}

TEST_F(TreeTest, MoreDataThanTheSizeIsDamage) {
  ent(R"({"path":"f","kind":"file","mode":420,"size":3})");
  dat("abcd");
  expect_damage("past the 3 bytes still announced");
}

TEST_F(TreeTest, LessDataThanTheSizeIsDamage) {
  ent(R"({"path":"f","kind":"file","mode":420,"size":5})");
  dat("ab");
  file("g", "x");
  expect_damage("3 bytes of \"f\" were still to come");
}

TEST_F(TreeTest, LessDataBeforeFendIsDamage) {
  ent(R"({"path":"f","kind":"file","mode":420,"size":5})");
  dat("ab");
  end(R"({"files":1,"dirs":0,"symlinks":0,"bytes":2,"skipped":0,"cut":0,"changed":[]})");
  expect_damage("still to come");
}

TEST_F(TreeTest, FdatWithoutAFileIsDamage) {
  dat("stray");
  expect_damage("FDAT without a file");
}

TEST_F(TreeTest, ASizePastTheLimitIsDamage) {
  limit(10);
  file("a", "12345");
  ent(R"({"path":"b","kind":"file","mode":420,"size":6})");
  dat("123456");
  expect_damage("past the output limit of 10");
  EXPECT_EQ(tree_->bytes(), 5u);
}

TEST_F(TreeTest, ACutFileAndALaterSkipAreReported) {
  limit(10);
  ent(R"({"path":"big","kind":"file","mode":420,"size":10,"cut":true,"full_size":50})");
  dat("0123456789");
  skp(R"({"path":"later","kind":"file","why":"output limit"})");
  ent(R"({"path":"d","kind":"dir","mode":448})");
  end(R"({"files":1,"dirs":1,"symlinks":0,"bytes":10,"skipped":1,"cut":1,"changed":["big"]})");
  tree_->finish(true);
  ASSERT_TRUE(tree_->complete()) << tree_->error();
  auto r = tree_->report();
  EXPECT_EQ(r["cut"][0]["full_size"], 50);
  EXPECT_EQ(r["changed"][0], "big");
  EXPECT_EQ(tree_->summary(), "1 file (0.0 MB), 1 dir, 1 skipped (output limit: later), 1 cut by the limit "
                              "(big: 10 of 50 bytes), 1 changed while sent");
}

TEST_F(TreeTest, ACutWithoutALargerFullSizeIsDamage) {
  ent(R"({"path":"big","kind":"file","mode":420,"size":10,"cut":true,"full_size":10})");
  expect_damage("no full_size above its size");
}

TEST_F(TreeTest, FendTotalsThatLieAreDamage) {
  file("f", "abc");
  end(R"({"files":1,"dirs":0,"symlinks":0,"bytes":4,"skipped":0,"cut":0,"changed":[]})");
  expect_damage("FEND says bytes 4, the host received 3");
}

TEST_F(TreeTest, FendWithoutACountIsDamage) {
  end(R"({"files":0})");
  expect_damage("FEND without a count of dirs");
}

TEST_F(TreeTest, AFrameAfterFendIsDamage) {
  end(kEnd0);
  file("late", "x");
  expect_damage("after FEND");
  EXPECT_FALSE(fs::exists(out() + "/late"));
}

TEST_F(TreeTest, NoFendWhenATreeWasExpectedIsDamage) {
  file("f", "x");
  expect_damage("the tree ended without FEND after 1 entries");
}

TEST_F(TreeTest, NoTreeAtAllWhenOneWasExpectedIsDamage) {
  expect_damage("no tree arrived");
}

TEST_F(TreeTest, NoFendIsNoErrorWhenTheGuestDidNotFinish) {
  file("f", "x");
  tree_->finish(false);
  EXPECT_FALSE(tree_->complete());
  EXPECT_EQ(tree_->error(), "");
}

TEST_F(TreeTest, MalformedFramesAreDamage) {
  ent("{not json");
  expect_damage("a malformed FENT frame (FENT, seq 0)");
}

TEST_F(TreeTest, AnUnknownKindIsDamage) {
  ent(R"({"path":"x","kind":"fifo","mode":420})");
  expect_damage("the kind \"fifo\"");
}

TEST_F(TreeTest, AModeAbove07777IsDamage) {
  ent(R"({"path":"x","kind":"dir","mode":4096})");
  expect_damage("without a path, kind or mode");
}

TEST_F(TreeTest, NothingIsWrittenAfterTheFirstDamage) {
  file("../x", "y");
  file("ok", "z");
  expect_damage("a .. component");
  EXPECT_FALSE(fs::exists(out() + "/ok"));
}

TEST_F(TreeTest, CoreFilesAreListed) {
  ent(R"({"path":"cores","kind":"dir","mode":1023})");
  file("cores/crash.12.core", "ELF");
  file("cores/notes.txt", "x");
  end(R"({"files":2,"dirs":1,"symlinks":0,"bytes":4,"skipped":0,"cut":0,"changed":[]})");
  tree_->finish(true);
  ASSERT_TRUE(tree_->complete()) << tree_->error();
  EXPECT_EQ(tree_->core_files(), std::vector<std::string>{"cores/crash.12.core"});
  struct stat st;
  ASSERT_EQ(::stat((out() + "/cores").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "no sticky bit, no write for group or others from the guest";
}

TEST(OutputTreePaths, PathErrors) {
  EXPECT_EQ(OutputTree::path_error("a/b/c"), "");
  EXPECT_EQ(OutputTree::path_error("a/"), "an empty component");
  EXPECT_EQ(OutputTree::path_error(".."), "a .. component");
  EXPECT_EQ(OutputTree::path_error(std::string(4097, 'a')), "longer than 4096 bytes");
  std::string bytes, why;
  EXPECT_FALSE(OutputTree::to_bytes("\xe2\x82\xac", bytes, why));
  EXPECT_EQ(why, "a code point above U+00FF (U+20AC)");
  EXPECT_FALSE(OutputTree::to_bytes("\xff", bytes, why));
  EXPECT_EQ(why, "not UTF-8");
}

}  // namespace
