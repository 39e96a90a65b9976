// The host's stdin reaches the payload of `run` and the command of `shell --exec` when it is a
// pipe or a file (STDI frames, docs/protocol.md): byte-exact, NUL and 0x01 bytes included, more
// than a frame and more than a window, EOF at its end; a payload that stops reading ends the run
// as usual. And piped input to the interactive shell is data: Ctrl-A X in it is typed (N116).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "vm_harness.hpp"
#include "text.hpp"

namespace fs = std::filesystem;
using ktstr::host::shell_quote;
using ktstr::vmtest::make_temp_dir;
using ktstr::vmtest::run_captured;
using ktstr::vmtest::slurp;
using ktstr::vmtest::temp_file;

namespace {

// `size` bytes cycling through every byte value, NUL and 0x01 included, with a break in the
// cycle so shifted or repeated chunks cannot match.
std::string binary_data(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = char((i * 7 + i / 4099) & 0xff);
  return s;
}

struct Captured {
  int code = -1;
  std::string out, err;
};

// Runs `sh -c SCRIPT` (so the test can build a real pipe) with stdin /dev/null and returns
// ktstr-vm's status and output.
Captured sh(const std::string& script) {
  std::string dir = make_temp_dir("ktstr-stdin");
  Captured c;
  c.code = run_captured({"/bin/sh", "-c", script}, dir);
  c.out = slurp(dir + "/out");
  c.err = slurp(dir + "/err");
  fs::remove_all(dir);
  return c;
}

std::string vm() { return shell_quote(KTSTR_VM_BIN); }

}  // namespace

// `cat data | ktstr-vm run -- cat`: the same bytes come back, 200 KB (25 frames, three windows).
TEST(VmStdin, RunForwardsAPipeByteExact) {
  std::string data = binary_data(200 * 1024);
  std::string in = temp_file("stdin-200k.bin", data, 0644);
  Captured c = sh("cat " + shell_quote(in) + " | " + vm() + " run --watchdog 240 -- cat");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out.size(), data.size());
  EXPECT_TRUE(c.out == data) << "stdout differs from stdin";
}

// A regular file of 1 MB as stdin: the payload counts and hashes exactly what the host has.
TEST(VmStdin, RunForwardsAFileOfOneMegabyte) {
  std::string data = binary_data(1 << 20);
  std::string in = temp_file("stdin-1m.bin", data, 0644);
  std::string want = sh("sha256sum < " + shell_quote(in) + " | cut -d' ' -f1").out;
  Captured c = sh(vm() + " run --watchdog 400 -- sh -c 'tee /tmp/in | sha256sum | cut -d\" \" -f1; wc -c < /tmp/in' < " +
                  shell_quote(in));
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, want + std::to_string(data.size()) + "\n") << c.err;
}

// A payload that reads a little and exits, and one that never reads: the run ends with their
// status, the rest of stdin stays unread; no hang.
TEST(VmStdin, PayloadThatStopsReadingEndsTheRunAsUsual) {
  std::string in = temp_file("stdin-big.bin", binary_data(512 * 1024), 0644);
  Captured c = sh(vm() + " run --watchdog 240 -- head -c 5 < " + shell_quote(in));
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(c.out == binary_data(5)) << c.out.size();
  c = sh("cat " + shell_quote(in) + " | " + vm() + " run --watchdog 240 -- sh -c 'exit 7'");
  EXPECT_EQ(c.code, 7) << c.err;
}

// Without data, stdin still ends: an empty pipe is EOF at once; /dev/null stays /dev/null.
TEST(VmStdin, EmptyInputIsEof) {
  Captured c = sh(vm() + " run --watchdog 240 -- sh -c 'wc -c; readlink /proc/self/fd/0' < /dev/null");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, "0\n/dev/null\n");
  c = sh("printf '' | " + vm() + " run --watchdog 240 -- sh -c 'wc -c'");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, "0\n");
}

// shell --exec: the command's stdin is the host's pipe, its stdout byte-exact, its status kept.
TEST(VmStdin, ShellExecForwardsAPipeByteExact) {
  std::string data = binary_data(100 * 1024);
  std::string in = temp_file("stdin-exec.bin", data, 0644);
  Captured c = sh("cat " + shell_quote(in) + " | " + vm() + " shell --watchdog 240 --exec 'cat; exit 3'");
  EXPECT_EQ(c.code, 3) << c.err;
  EXPECT_TRUE(c.out == data) << c.out.size() << " bytes of " << data.size();
}

// N116: piped input to the interactive shell is typed in order, Ctrl-A X included: no kill
// (137), the shell runs to `exit 3`.
TEST(VmStdin, PipedShellInputTypesCtrlAX) {
  Captured c = sh("printf 'echo a\\001xecho b\\nexit 3\\n' | " + vm() + " shell --watchdog 240");
  EXPECT_EQ(c.code, 3) << c.err << c.out;
  EXPECT_EQ(c.err.find("Ctrl-A X"), std::string::npos) << c.err;
  // The bytes after Ctrl-A reached the guest (its line editor may take Ctrl-A as "start of line",
  // so only the `x` right after it is certain to show next to the rest).
  EXPECT_NE(c.out.find("xecho"), std::string::npos) << c.out;
}
