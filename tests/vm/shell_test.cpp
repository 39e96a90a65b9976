// ktstr-vm shell: --exec gives the command's bytes and status exactly; the interactive shell is
// driven through a real terminal (a private tmux server): greeting, size, job control, Ctrl-C,
// resize, Ctrl-A escapes, and the host terminal restored on every way out.
#include <gtest/gtest.h>

#include "vm_harness.hpp"
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include "ktstr/frame_decoder.hpp"
#include "text.hpp"

namespace fs = std::filesystem;
using ktstr::host::shell_quote;
using ktstr::vmtest::wait_until;

namespace {

// Boot under TCG takes 3-6 s; the machine is shared, so allow much more.
constexpr auto kBootTimeout = std::chrono::seconds(90);
constexpr auto kStepTimeout = std::chrono::seconds(30);

// Runs `cmd` with /bin/sh and returns its stdout.
std::string sh(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  pclose(p);
  return out;
}

// Control frames of a COM2 capture, as "TYPE json" lines.
std::vector<std::string> control_frames(const std::string& capture) {
  std::vector<std::string> out;
  ktstr::wire::FrameDecoder dec([&](const ktstr::wire::Frame& f) {
    if (ktstr::wire::is_stream(f.type) || f.type == ktstr::wire::kBeat) return;
    out.push_back(std::string(f.type.view()) + " " +
                  std::string(reinterpret_cast<const char*>(f.value.data()), f.value.size()));
  });
  dec.feed(std::span(reinterpret_cast<const uint8_t*>(capture.data()), capture.size()));
  return out;
}

struct ExecResult {
  int exit_code = -1;
  std::string out, err;
  std::vector<std::string> frames;
};

// ktstr-vm shell ARGS with stdin /dev/null, stdout and stderr captured apart.
ExecResult run_shell(const std::vector<std::string>& args) {
  std::string dir = ktstr::vmtest::make_temp_dir("ktstr-shelltest");
  std::vector<std::string> argv = {KTSTR_VM_BIN, "shell", "--com2-log", dir + "/com2.bin"};
  argv.insert(argv.end(), args.begin(), args.end());
  ExecResult r;
  r.exit_code = ktstr::vmtest::run_captured(argv, dir);
  r.out = ktstr::vmtest::slurp(dir + "/out");
  r.err = ktstr::vmtest::slurp(dir + "/err");
  r.frames = control_frames(ktstr::vmtest::slurp(dir + "/com2.bin"));
  fs::remove_all(dir);
  return r;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += l + "\n";
  return s;
}

// A private tmux server with one fixed-size window running `ktstr-vm shell ARGS`. When ktstr-vm
// returns, the pane records its exit status and `stty -a` (the terminal it left behind) in files.
class TmuxShell {
 public:
  TmuxShell(const std::vector<std::string>& args, int cols, int rows) : dir_(ktstr::vmtest::make_temp_dir("ktstr-shelltest")) {
    std::string vm = shell_quote(KTSTR_VM_BIN) + " shell";
    for (const auto& a : args) vm += " " + shell_quote(a);
    // The inner sh records ktstr-vm's pid (exec keeps it), for the signal test.
    std::string inner = "echo $$ > " + dir_ + "/pid; exec " + vm;
    std::string script = "sh -c " + shell_quote(inner) + "; echo $? > " + dir_ + "/rc.tmp; mv " + dir_ +
                         "/rc.tmp " + dir_ + "/rc; stty -a > " + dir_ + "/stty; exec sleep 3600";
    tmux("new-session -d -s t -x " + std::to_string(cols) + " -y " + std::to_string(rows) + " " +
         shell_quote(script));
  }
  ~TmuxShell() {
    tmux("kill-server");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string tmux(const std::string& args) { return sh("tmux -S " + dir_ + "/tmux.sock " + args + " 2>&1"); }
  // The pane's text, history included, wrapped lines joined.
  std::string screen() { return tmux("capture-pane -p -J -t t -S -1000"); }
  void type(const std::string& text) { tmux("send-keys -t t -l " + shell_quote(text)); }
  void key(const std::string& name) { tmux("send-keys -t t " + name); }
  void line(const std::string& text) {
    type(text);
    key("Enter");
  }
  // Waits until a line of the pane matches `re` entirely.
  bool wait_line(const std::string& re, std::chrono::seconds timeout = kStepTimeout) {
    std::regex r(re);
    return wait_until([&] {
      std::istringstream in(screen());
      for (std::string l; std::getline(in, l);) {
        while (!l.empty() && l.back() == ' ') l.pop_back();
        if (std::regex_match(l, r)) return true;
      }
      return false;
    }, timeout);
  }
  bool wait_exit(std::chrono::seconds timeout = kStepTimeout) {
    return wait_until([&] { return fs::exists(dir_ + "/rc") && fs::exists(dir_ + "/stty"); }, timeout);
  }
  int exit_code() { return std::stoi(ktstr::vmtest::slurp(dir_ + "/rc")); }
  std::string stty() { return ktstr::vmtest::slurp(dir_ + "/stty"); }
  pid_t vm_pid() { return pid_t(std::stol(ktstr::vmtest::slurp(dir_ + "/pid"))); }

 private:
  std::string dir_;
};

bool have_tmux() { return sh("command -v tmux") != ""; }

// `stty -a` shows a cooked terminal: canonical input, echo, signals from keys, output processing.
void expect_cooked(const std::string& stty) {
  for (const char* flag : {"icanon", "echo", "isig", "opost", "icrnl"})
    EXPECT_TRUE(std::regex_search(stty, std::regex(std::string("(^|\\s)") + flag + "(\\s|$)")))
        << flag << " is off after ktstr-vm returned:\n" << stty;
}

// The prompt line, trailing blank trimmed (PS1 is set by init's pty_shell.cpp).
constexpr const char* kPrompt = "ktstr:/#";

}  // namespace

// --exec: exactly the command's bytes on stdout (no '\r' added), its status as ktstr-vm's.
TEST(VmShell, ExecPrintsExactOutputAndExitsWithItsStatus) {
  auto r = run_shell({"--exec", "echo hi; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.err << joined(r.frames);
  EXPECT_EQ(r.out, "hi\n");
  ASSERT_FALSE(r.frames.empty());
  EXPECT_NE(r.frames.front().find("\"mode\":\"exec\""), std::string::npos) << joined(r.frames);
  EXPECT_NE(joined(r.frames).find("EXIT {\"code\":3,\"timed_out\":false,\"exit_code\":3}"), std::string::npos)
      << joined(r.frames);
  EXPECT_TRUE(r.frames.back().starts_with("DONE {\"exit_code\":3")) << joined(r.frames);
}

// --exec output is binary-safe (CR, NUL and no trailing newline pass unchanged), and a scheduler
// is attached while the command runs.
TEST(VmShell, ExecIsByteExactAndRunsUnderTheScheduler) {
  auto r = run_shell({"--scheduler", "scx_simple", "--exec",
                      "cat /sys/kernel/sched_ext/root/ops; printf 'a\\r\\nb\\000c'; kill -9 $$"});
  EXPECT_EQ(r.exit_code, 137) << r.err << joined(r.frames);
  EXPECT_EQ(r.out, std::string("simple\na\r\nb\0c", 13));
  EXPECT_NE(joined(r.frames).find("SCHD {\"event\":\"attached\""), std::string::npos) << joined(r.frames);
  EXPECT_NE(joined(r.frames).find("EXIT {\"signal\":9"), std::string::npos) << joined(r.frames);
}

// In exec mode too, /dev/ttyS1 is gone before the command runs: what it writes there stays out of
// the frame stream, and its own output and status are kept.
TEST(VmShell, ExecCommandWritingToTheFrameChannelCannotCorruptIt) {
  auto r = run_shell({"--exec", "printf '\\000garbage\\000' > /dev/ttyS1; echo kept; exit 4"});
  EXPECT_EQ(r.exit_code, 4) << r.err << joined(r.frames);
  EXPECT_EQ(r.out, "kept\n");
  EXPECT_TRUE(r.frames.back().starts_with("DONE {\"exit_code\":4")) << joined(r.frames);
}

// The interactive shell in a 100x30 terminal: greeting, size, job control, Ctrl-C, resize, exit.
TEST(VmShell, InteractiveShellHasJobControlResizeAndRestoresTheTerminal) {
  if (!have_tmux()) GTEST_SKIP() << "tmux is not installed";
  TmuxShell t({"--include", KTSTR_FIXTURES "/scx_ktstr_test.c"}, 100, 30);
  ASSERT_TRUE(t.wait_line(std::string(kPrompt), kBootTimeout)) << t.screen();
  std::string motd = t.screen();
  for (const char* s : {"ktstr-init", "kernel ", "memory ", "vCPUs ", "/include-files/scx_ktstr_test.c",
                        "/dev/pts(devpts)", "Ctrl-A X"})
    EXPECT_NE(motd.find(s), std::string::npos) << "greeting lacks " << s << ":\n" << motd;

  t.line("stty size");
  EXPECT_TRUE(t.wait_line("30 100")) << t.screen();

  // Job control: a background job is listed, and killed by its job number.
  t.line("sleep 100 &");
  t.line("jobs");
  EXPECT_TRUE(t.wait_line(R"(\[1\]\+ +Running +sleep 100)")) << t.screen();
  t.line("kill %1; wait %1; echo st=$?");
  EXPECT_TRUE(t.wait_line("st=143")) << t.screen();

  // Ctrl-C reaches the foreground job only: the shell and the VM live on. The job prints once it
  // is in the foreground, so the key cannot arrive before it.
  t.line("sh -c 'echo sleep''ing; exec sleep 100'");
  ASSERT_TRUE(t.wait_line("sleeping")) << t.screen();
  t.key("C-c");
  t.line("echo alive-$?");
  EXPECT_TRUE(t.wait_line("alive-130")) << t.screen();

  // A resize of the host window reaches the guest's PTY. Keys and the resize travel on different
  // channels, so ask again until the new size shows.
  t.tmux("resize-window -t t -x 120 -y 40");
  EXPECT_TRUE(wait_until([&] {
    t.line("stty size");
    return t.wait_line("40 120", std::chrono::seconds(2));
  }, kStepTimeout)) << t.screen();

  t.line("exit 7");
  ASSERT_TRUE(t.wait_exit()) << t.screen();
  EXPECT_EQ(t.exit_code(), 7) << t.screen();
  expect_cooked(t.stty());
}

// Ctrl-A Ctrl-A types one Ctrl-A; Ctrl-A X kills the VM at once and says so with 137 (128 +
// SIGKILL: the VM was killed), terminal restored.
TEST(VmShell, CtrlAEscapes) {
  if (!have_tmux()) GTEST_SKIP() << "tmux is not installed";
  TmuxShell t({}, 80, 24);
  ASSERT_TRUE(t.wait_line(std::string(kPrompt), kBootTimeout)) << t.screen();
  t.line("od -An -c");
  t.key("C-a");
  t.key("C-a");
  t.key("Enter");
  t.key("C-d");
  EXPECT_TRUE(t.wait_line(R"( *001 +\\n)")) << t.screen();
  t.key("C-a");
  t.key("x");
  ASSERT_TRUE(t.wait_exit()) << t.screen();
  EXPECT_EQ(t.exit_code(), 137) << t.screen();
  EXPECT_NE(t.screen().find("ktstr-vm: FAILED (137): VM killed (Ctrl-A X)"), std::string::npos) << t.screen();
  expect_cooked(t.stty());
}

// SIGTERM to ktstr-vm stops the VM, exits 128+15 and still restores the terminal.
TEST(VmShell, SigtermRestoresTheTerminal) {
  if (!have_tmux()) GTEST_SKIP() << "tmux is not installed";
  TmuxShell t({}, 80, 24);
  ASSERT_TRUE(t.wait_line(std::string(kPrompt), kBootTimeout)) << t.screen();
  ASSERT_EQ(kill(t.vm_pid(), SIGTERM), 0);
  ASSERT_TRUE(t.wait_exit()) << t.screen();
  EXPECT_EQ(t.exit_code(), 143) << t.screen();
  expect_cooked(t.stty());
}

// stdin that is not a terminal: its end ends the session as with ssh (the guest's shell reads
// `exit` after the keys before it), so `ktstr-vm shell < /dev/null` returns instead of hanging.
TEST(VmShell, EndOfStdinEndsTheShell) {
  std::string dir = ktstr::vmtest::make_temp_dir("ktstr-shelleof");
  int code = ktstr::vmtest::run_captured({KTSTR_VM_BIN, "shell", "--watchdog", "120"}, dir);
  std::string out = ktstr::vmtest::slurp(dir + "/out"), err = ktstr::vmtest::slurp(dir + "/err");
  EXPECT_EQ(code, 0) << err << out;
  EXPECT_NE(out.find("shell exited (0)"), std::string::npos) << out;

  // Keys from a file run in order; a last line without its newline runs too, then EOF ends it.
  std::string keys = ktstr::vmtest::temp_file("keys", "echo piped-$((6*7))\nfalse", 0644);
  code = ktstr::vmtest::run_captured({KTSTR_VM_BIN, "shell", "--watchdog", "120"}, dir, keys);
  out = ktstr::vmtest::slurp(dir + "/out");
  err = ktstr::vmtest::slurp(dir + "/err");
  EXPECT_EQ(code, 1) << err << out;
  EXPECT_NE(out.find("piped-42"), std::string::npos) << out;
  fs::remove_all(dir);
}
