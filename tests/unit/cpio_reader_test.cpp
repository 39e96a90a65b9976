// The streaming newc reader (src/common/cpio_reader.cpp): archives written by the host's
// ArchiveWriter (libarchive) read back entry by entry in any chunking, and forged archives refused
// with a reason.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "archive_writer.hpp"
#include "ktstr/cpio_reader.hpp"
#include "test_util.hpp"

namespace c = ktstr::cpio;
using ktstr::host::ArchiveWriter;
using ktstr::host::Compression;
using ktstr::host::Entry;

namespace {

struct Read {
  std::vector<c::Entry> entries;
  std::vector<std::string> data;  // one per entry: the data pieces joined
  bool ok = false, complete = false;
  std::string error;
};

Read read(std::string_view archive, size_t piece, c::Limits limits = {}) {
  Read r;
  bool open = false;
  c::Reader reader(
      [&](const c::Entry& e, std::string&) {
        if (open) ADD_FAILURE() << "entry before the previous one ended";
        open = true;
        r.entries.push_back(e);
        r.data.emplace_back();
        return true;
      },
      [&](std::string_view p, std::string&) {
        r.data.back().append(p);
        return true;
      },
      [&](std::string&) {
        open = false;
        return true;
      },
      limits);
  bool fed = true;
  for (size_t i = 0; i < archive.size() && fed; i += piece) fed = reader.feed(archive.substr(i, piece));
  r.ok = fed && reader.finish();
  r.complete = reader.complete();
  r.error = reader.error();
  return r;
}

// A sample layout through the host's real writer, uncompressed, as the run archive is sent.
std::string libarchive_sample() {
  ktstr::test::ScratchDir dir("cpio_reader");
  std::string out = dir.path() + "/a.cpio";
  ArchiveWriter w(out, Compression::none, 0);
  w.write("include-files", Entry(Entry::dir, 0755));
  Entry big(Entry::file, 0755);
  for (int i = 0; i < 70000; ++i) big.content += char('a' + i % 26);
  w.write("include-files/big", big);
  Entry small(Entry::file, 0644);
  small.content = "abc";  // 3 bytes: padding follows
  w.write("args", small);
  w.write("empty", Entry(Entry::file, 0600));
  Entry link(Entry::symlink);
  link.target = "../include-files/big";
  w.write("usr/local/bin/big", link);
  Entry dev(Entry::chardev, 0600);
  dev.major = 5;
  dev.minor = 1;
  w.write("dev/console", dev);
  Entry sentinel(Entry::file, 0644);
  w.write(".ktstr_init_ok", sentinel);
  w.close();
  return ktstr::test::slurp(out);
}

// One newc header + name (+ padding) + data (+ padding), forged field by field.
std::string forge(std::string name, uint32_t mode, std::string data, uint32_t nlink = 1,
                  const char* magic = "070701", int name_size = -1) {
  char h[111];
  uint32_t ns = name_size < 0 ? uint32_t(name.size() + 1) : uint32_t(name_size);
  std::snprintf(h, sizeof h, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic, 1u, mode, 0u, 0u,
                nlink, 0u, unsigned(data.size()), 0u, 0u, 0u, 0u, ns, 0u);
  std::string s(h, 110);
  s += name;
  if (name_size < 0) s += '\0';
  while (s.size() % 4) s += '\0';
  s += data;
  while (s.size() % 4) s += '\0';
  return s;
}
std::string trailer() { return forge("TRAILER!!!", 0, ""); }

}  // namespace

// Everything the packer writes comes back: types, modes, sizes, data, link targets, devices; the
// same in every chunking, down to one byte at a time.
TEST(CpioReader, ReadsWhatLibarchiveWrites) {
  const std::string archive = libarchive_sample();
  for (size_t piece : {size_t(1), size_t(3), size_t(110), size_t(4096), archive.size()}) {
    Read r = read(archive, piece);
    ASSERT_TRUE(r.ok) << piece << ": " << r.error;
    EXPECT_TRUE(r.complete);
    ASSERT_EQ(r.entries.size(), 7u) << piece;
    EXPECT_EQ(r.entries[0].path, "include-files");
    EXPECT_EQ(r.entries[0].type(), c::kDirectory);
    EXPECT_EQ(r.entries[0].perm(), 0755u);
    EXPECT_EQ(r.entries[1].path, "include-files/big");
    EXPECT_EQ(r.entries[1].type(), c::kRegular);
    EXPECT_EQ(r.entries[1].perm(), 0755u);
    EXPECT_EQ(r.entries[1].size, 70000u);
    EXPECT_EQ(r.data[1].size(), 70000u);
    EXPECT_EQ(r.data[1].substr(0, 3), "abc");
    EXPECT_EQ(r.data[1].back(), char('a' + 69999 % 26));
    EXPECT_EQ(r.data[2], "abc");
    EXPECT_EQ(r.entries[3].path, "empty");
    EXPECT_EQ(r.entries[3].size, 0u);
    EXPECT_EQ(r.entries[3].perm(), 0600u);
    EXPECT_EQ(r.entries[4].type(), c::kSymlink);
    EXPECT_EQ(r.entries[4].link_target, "../include-files/big");
    EXPECT_EQ(r.entries[5].type(), c::kCharDev);
    EXPECT_EQ(r.entries[5].rdev_major, 5u);
    EXPECT_EQ(r.entries[5].rdev_minor, 1u);
    EXPECT_EQ(r.entries[6].path, ".ktstr_init_ok");
  }
}

// Every proper prefix is incomplete: finish() names the truncation, never a success.
TEST(CpioReader, EveryTruncationIsAnError) {
  const std::string archive = libarchive_sample();
  size_t trailer_at = archive.find("TRAILER!!!") - 110;
  for (size_t n = 0; n < trailer_at + 110 + 11; n += (n < 400 ? 1 : 997)) {
    Read r = read(archive.substr(0, n), 512);
    EXPECT_FALSE(r.ok) << n;
    EXPECT_NE(r.error.find("truncated"), std::string::npos) << n << ": " << r.error;
  }
}

TEST(CpioReader, ForgedArchivesAreRefusedWithAReason) {
  struct Case {
    std::string archive, why;
  };
  const std::string ok = forge("a", 0100644, "x");
  std::string bad_hex = ok;
  bad_hex[6 + 8 + 3] = 'g';  // inside the mode field
  std::vector<Case> cases = {
      {forge("a", 0100644, "x", 1, "070707") + trailer(), "not a newc cpio header"},
      {forge("a", 0100644, "x", 1, "070702") + trailer(), "not a newc cpio header"},
      {bad_hex + trailer(), "mode is not 8 hex digits"},
      {forge("abc", 0100644, "", 1, "070701", 3) + trailer(), "not NUL-terminated"},
      {forge(std::string("a\0b", 3), 0100644, "") + trailer(), "a NUL inside the name"},
      {forge("x", 0100644, "", 1, "070701", 0) + trailer(), "name size 0"},
      {forge("../etc/passwd", 0100644, "x") + trailer(), "'..' component"},
      {forge("a/../../b", 0100644, "x") + trailer(), "'..' component"},
      {forge("//etc", 0100644, "x") + trailer(), "empty component"},
      {forge("a//b", 0100644, "x") + trailer(), "empty component"},
      {forge("a/./b", 0100644, "x") + trailer(), "'.' component"},
      {forge("a", 0100644, "x", 2) + trailer(), "2 links"},
      {forge("d", 0040755, "x") + trailer(), "data bytes on an entry that has none"},
      {forge("l", 0120777, "") + trailer(), "symlink target of 0 bytes"},
      {forge("p", 0170644, "") + trailer(), "unknown file type"},
      {forge(".", 0100644, "") + trailer(), "'.' that is not a directory"},
      {ok + trailer() + "junk", "data after the trailer"},
      {ok + forge("TRAILER!!!", 0, "xx"), "the trailer has data"},
      {ok, "no trailer"},
  };
  for (const Case& k : cases) {
    for (size_t piece : {size_t(1), size_t(7), k.archive.size()}) {
      Read r = read(k.archive, piece);
      EXPECT_FALSE(r.ok) << k.why;
      EXPECT_FALSE(r.complete) << k.why;  // junk after a good trailer too (found by the fuzz target)
      EXPECT_NE(r.error.find(k.why), std::string::npos) << "want '" << k.why << "', got: " << r.error;
    }
  }
}

// A leading "./" or "/" is stripped, "." is the root; zero padding after the trailer (a writer's
// block padding) is accepted.
TEST(CpioReader, LeadingDotSlashAndRootAndZeroPadding) {
  std::string a = forge(".", 0040755, "") + forge("./a", 0100600, "hi") + forge("/b", 0040700, "") + trailer() +
                  std::string(1000, '\0');
  Read r = read(a, 5);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].path, ".");
  EXPECT_EQ(r.entries[1].path, "a");
  EXPECT_EQ(r.data[1], "hi");
  EXPECT_EQ(r.entries[2].path, "b");
}

TEST(CpioReader, LimitsAreEnforced) {
  c::Limits small;
  small.file = 3;
  small.link_target = 4;
  small.name = 12;  // "TRAILER!!!" and its NUL fit
  EXPECT_TRUE(read(forge("a", 0100644, "abc") + trailer(), 2, small).ok);
  Read big = read(forge("a", 0100644, "abcd") + trailer(), 2, small);
  EXPECT_NE(big.error.find("above the limit of 3"), std::string::npos) << big.error;
  Read link = read(forge("l", 0120777, "abcde") + trailer(), 2, small);
  EXPECT_NE(link.error.find("symlink target of 5 bytes"), std::string::npos) << link.error;
  Read name = read(forge("abcdefghijkl", 0100644, "") + trailer(), 2, small);
  EXPECT_NE(name.error.find("name size 13"), std::string::npos) << name.error;
}

// A callback's refusal ends the read with its reason, and nothing more is delivered.
TEST(CpioReader, ACallbackRefusalStopsTheRead) {
  std::string a = forge("a", 0100644, "xyz") + forge("b", 0100644, "q") + trailer();
  int entries = 0;
  c::Reader reader([&](const c::Entry&, std::string&) { return ++entries, true; },
                   [&](std::string_view, std::string& err) {
                     err = "disk full";
                     return false;
                   },
                   [&](std::string&) { return true; });
  EXPECT_FALSE(reader.feed(a));
  EXPECT_FALSE(reader.finish());
  EXPECT_EQ(entries, 1);
  EXPECT_NE(reader.error().find("entry 1 at byte 0 (a): disk full"), std::string::npos) << reader.error();
}
