// The output tree's walk on the host: the frames a tree gives, in order, with the limit's cut,
// the skips, and a file that changes while it is read.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "../test_util.hpp"
#include "output_tree.hpp"

using ktstr::init::send_tree;
using ktstr::init::TreeLimits;
using ktstr::init::TreeSink;
using ktstr::init::TreeTotals;

namespace {

struct Frame {
  std::string type, value;
};

class OutputTree : public ::testing::Test {
 protected:
  void SetUp() override { root_ = ::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }
  void TearDown() override { ::close(root_); }

  std::string at(const std::string& rel) const { return dir_.path() + "/" + rel; }
  void write(const std::string& rel, const std::string& bytes, mode_t mode = 0644) const {
    int fd = ::open(at(rel).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ASSERT_GE(fd, 0) << rel;
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
    ::close(fd);
    ::chmod(at(rel).c_str(), mode);
  }
  // Runs the walk; `on_frame` may act on the tree between frames.
  TreeTotals run(uint64_t limit, size_t chunk = 4, TreeLimits limits = {},
                 std::function<void(const Frame&)> on_frame = {}) {
    limits.bytes = limit;
    TreeSink sink;
    sink.chunk = chunk;
    sink.send = [&](ktstr::wire::Tag t, std::string_view v) {
      frames_.push_back({std::string(t.view()), std::string(v)});
      if (on_frame) on_frame(frames_.back());
      return true;
    };
    return send_tree(root_, limits, sink);
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const Frame& f : frames_) out.push_back(f.type + " " + f.value);
    return out;
  }

  ktstr::test::ScratchDir dir_{"ktstr-output-tree"};
  int root_ = -1;
  std::vector<Frame> frames_;
};

}  // namespace

// The example of the issue: a file, a file in a subdirectory, a symlink out of the tree and a FIFO.
// Pre-order, names in byte order, the file's bytes right after its FENT in chunks, FEND last.
TEST_F(OutputTree, SendsFilesDirsSymlinksAndSkipsAFifo) {
  write("a", "hello world", 0640);
  ASSERT_EQ(::mkdir(at("d").c_str(), 0750), 0);
  write("d/f", "xy", 0600);
  ASSERT_EQ(::symlink("/etc/passwd", at("l").c_str()), 0);
  ASSERT_EQ(::mkfifo(at("p").c_str(), 0644), 0);
  write("B", "");  // 'B' < 'a': byte order
  TreeTotals t = run(1000);
  std::vector<std::string> want = {
      R"(FENT {"path":"B","kind":"file","mode":420,"size":0})",
      R"(FENT {"path":"a","kind":"file","mode":416,"size":11})",
      "FDAT hell",
      "FDAT o wo",
      "FDAT rld",
      R"(FENT {"path":"d","kind":"dir","mode":488})",
      R"(FENT {"path":"d/f","kind":"file","mode":384,"size":2})",
      "FDAT xy",
      R"(FENT {"path":"l","kind":"symlink","mode":511,"target":"/etc/passwd"})",
      R"(FSKP {"path":"p","kind":"fifo","why":"not a regular file"})",
      R"(FEND {"files":3,"dirs":1,"symlinks":1,"bytes":13,"skipped":1,"cut":0,"changed":[]})"};
  EXPECT_EQ(lines(), want);
  EXPECT_TRUE(t.complete);
}

// An empty tree, or none at all, is FEND alone.
TEST_F(OutputTree, AnEmptyTreeIsFendAlone) {
  run(10);
  EXPECT_EQ(lines(), std::vector<std::string>{R"(FEND {"files":0,"dirs":0,"symlinks":0,"bytes":0,"skipped":0,"cut":0,"changed":[]})"});
  frames_.clear();
  TreeSink sink{8, [&](ktstr::wire::Tag t, std::string_view v) {
                  frames_.push_back({std::string(t.view()), std::string(v)});
                  return true;
                }};
  EXPECT_TRUE(send_tree(-1, TreeLimits{10}, sink).complete);
  EXPECT_EQ(frames_.size(), 1u);
}

// The file that crosses the limit is cut to what is left; later files are skipped, but dirs and
// symlinks still go; an empty file still fits.
TEST_F(OutputTree, TheLimitCutsOneFileAndSkipsTheRest) {
  write("1", "aaaa");
  write("2", "bbbbbb");
  write("3", "cc");
  write("4", "");
  ASSERT_EQ(::symlink("x", at("5").c_str()), 0);
  TreeTotals t = run(7, 8);
  std::vector<std::string> want = {
      R"(FENT {"path":"1","kind":"file","mode":420,"size":4})",
      "FDAT aaaa",
      R"(FENT {"path":"2","kind":"file","mode":420,"size":3,"cut":true,"full_size":6})",
      "FDAT bbb",
      R"(FSKP {"path":"3","kind":"file","why":"output limit"})",
      R"(FENT {"path":"4","kind":"file","mode":420,"size":0})",
      R"(FENT {"path":"5","kind":"symlink","mode":511,"target":"x"})",
      R"(FEND {"files":3,"dirs":0,"symlinks":1,"bytes":7,"skipped":1,"cut":1,"changed":[]})"};
  EXPECT_EQ(lines(), want);
  EXPECT_EQ(t.cut, 1u);
}

// A file that shrinks after its FENT is padded with zeros to the size announced; one that grows
// sends only that size. Both are listed as changed.
TEST_F(OutputTree, AFileThatChangesWhileReadIsPaddedOrCutAndListed) {
  write("grows", "1234");
  write("shrinks", "abcdef");
  run(100, 16, {}, [&](const Frame& f) {
    if (f.type != "FENT") return;
    if (f.value.find("\"grows\"") != std::string::npos) write("grows", "123456789");
    if (f.value.find("\"shrinks\"") != std::string::npos) write("shrinks", "ab");
  });
  std::vector<std::string> got = lines();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[1], "FDAT 1234");
  EXPECT_EQ(got[3], std::string("FDAT ab\0\0\0\0", 11));
  EXPECT_EQ(got[4], R"(FEND {"files":2,"dirs":0,"symlinks":0,"bytes":10,"skipped":0,"cut":0,"changed":["grows","shrinks"]})");
}

// Depth and entry bounds: deeper entries are skipped as too deep; past the entry cap the walk
// stops with one FSKP and FEND still follows.
TEST_F(OutputTree, DepthAndEntryBounds) {
  ASSERT_EQ(::mkdir(at("a").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(at("a/b").c_str(), 0755), 0);
  write("a/b/c", "x");
  TreeLimits deep;
  deep.max_depth = 2;
  run(100, 8, deep);
  EXPECT_EQ(lines()[2], R"(FSKP {"path":"a/b/c","kind":"file","why":"too deep"})");

  frames_.clear();
  write("z1", "1");
  write("z2", "2");
  TreeLimits few;
  few.max_entries = 3;
  TreeTotals t = run(100, 8, few);
  std::vector<std::string> got = lines();
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[4], R"j(FSKP {"path":"z1","kind":"file","why":"too many entries (the walk stopped here)"})j");
  EXPECT_EQ(got[5].substr(0, 4), "FEND");
  EXPECT_TRUE(t.complete);
}

// Paths are byte strings: non-ASCII bytes travel as \u00XX escapes.
TEST_F(OutputTree, NamesAreEscapedBytes) {
  write("caf\xc3\xa9", "");
  run(10);
  EXPECT_EQ(lines()[0], "FENT {\"path\":\"caf\\u00c3\\u00a9\",\"kind\":\"file\",\"mode\":420,\"size\":0}");
}

// A sink that gives up stops the walk at once: no more frames, no FEND.
TEST_F(OutputTree, ASinkThatGivesUpEndsTheWalk) {
  write("a", "123456");
  write("b", "1");
  int calls = 0;
  TreeSink sink{2, [&](ktstr::wire::Tag, std::string_view) { return ++calls < 2; }};
  TreeTotals t = send_tree(root_, TreeLimits{100}, sink);
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(t.complete);
}
