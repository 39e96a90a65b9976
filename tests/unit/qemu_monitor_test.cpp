// The HMP client: answers cut from QEMU's echo to the next prompt, however the bytes arrive;
// the parsers of `info status` and `info migrate` on QEMU 7.2's own words; and a real QEMU with no
// machine (nothing boots) that answers `info status`, resumes on `cont` and exits on `quit`.
#include "qemu_monitor.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "qemu_process.hpp"
#include "test_util.hpp"
#include "unix_socket.hpp"

using ktstr::UniqueFd;
using ktstr::host::MigrationState;
using ktstr::host::MonitorReply;
using ktstr::host::parse_info_migrate;
using ktstr::host::parse_info_status;
using ktstr::host::QemuMonitor;
using ktstr::test::ScratchDir;

namespace {

// What QEMU 7.2 writes for `info status` in readline mode: the line redrawn key by key, then the
// answer and the prompt.
const std::string kGreeting = "QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) ";
const std::string kStatusEcho =
    "i\x1b[K\x1b[Din\x1b[K\x1b[D\x1b[Dinf\x1b[K\x1b[D\x1b[D\x1b[Dinfo\x1b[K\x1b[D\x1b[D\x1b[D\x1b[Dinfo \x1b[K"
    "\x1b[D\x1b[D\x1b[D\x1b[D\x1b[Dinfo status\x1b[K\r\n";
const std::string kMigrateCompleted =
    "globals:\r\nstore-global-state: on\r\nonly-migratable: off\r\nsend-configuration: on\r\n"
    "send-section-footer: on\r\ndecompress-error-check: on\r\nclear-bitmap-shift: 18\r\n"
    "Migration status: completed\r\ntotal time: 16 ms\r\ndowntime: 0 ms\r\nsetup: 0 ms\r\n"
    "transferred ram: 0 kbytes\r\nthroughput: 0.37 mbps\r\n";

UniqueFd connect_unix(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, path.c_str());
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
  return s;
}

// Polls the monitor (and `extra`, when >= 0, handled by `on_extra`) until `done` or 30 s pass.
template <class Done>
bool pump(QemuMonitor& m, Done done, int extra = -1, std::function<void()> on_extra = {}) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    pollfd p[2] = {{m.fd(), m.events(), 0}, {extra, POLLIN, 0}};
    if (::poll(p, extra >= 0 ? 2 : 1, 100) < 0) return false;
    if (p[0].revents) m.on_ready(p[0].revents);
    if (extra >= 0 && p[1].revents && on_extra) on_extra();
  }
  return true;
}

// Reads what the client sent until `n` newlines arrived.
std::string read_lines(int fd, QemuMonitor& m, int n) {
  std::string got;
  pump(m, [&] {
    char b[256];
    ssize_t r = ::recv(fd, b, sizeof b, MSG_DONTWAIT);
    if (r > 0) got.append(b, size_t(r));
    return std::count(got.begin(), got.end(), '\n') >= n;
  });
  return got;
}

}  // namespace

TEST(QemuMonitorParse, InfoStatus) {
  auto s = parse_info_status("VM status: running\n");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->running);
  EXPECT_EQ(s->state, "running");
  s = parse_info_status("VM status: paused\r\n");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->running);
  EXPECT_EQ(s->state, "paused");
  for (std::string st : {"prelaunch", "inmigrate", "postmigrate", "guest-panicked", "shutdown"}) {
    s = parse_info_status("VM status: paused (" + st + ")\n");
    ASSERT_TRUE(s) << st;
    EXPECT_FALSE(s->running);
    EXPECT_EQ(s->state, st);
  }
  s = parse_info_status("VM status: running (single step mode)\n");
  ASSERT_TRUE(s && s->running);
  EXPECT_EQ(s->state, "running");
  s = parse_info_status("VM status: paused (single step mode) (inmigrate)\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, "inmigrate");
  EXPECT_FALSE(parse_info_status("unknown command: 'info statu'\n"));
  EXPECT_FALSE(parse_info_status(""));
  EXPECT_FALSE(parse_info_status("VM status: sleeping\n"));
}

TEST(QemuMonitorParse, InfoMigrate) {
  auto m = parse_info_migrate(kMigrateCompleted);
  EXPECT_EQ(m.state, MigrationState::completed);
  EXPECT_EQ(m.status, "completed");
  // Before any migration QEMU prints only its globals.
  m = parse_info_migrate("globals:\nstore-global-state: on\nclear-bitmap-shift: 18\n");
  EXPECT_EQ(m.state, MigrationState::none);
  EXPECT_EQ(parse_info_migrate("Migration status: setup\n").state, MigrationState::setup);
  EXPECT_EQ(parse_info_migrate("Migration status: active\ntotal time: 3 ms\n").state, MigrationState::active);
  EXPECT_EQ(parse_info_migrate("Migration status: postcopy-active\n").state, MigrationState::active);
  EXPECT_EQ(parse_info_migrate("Migration status: cancelled\n").state, MigrationState::cancelled);
  EXPECT_EQ(parse_info_migrate("Migration status: colo\n").state, MigrationState::other);
  m = parse_info_migrate("globals:\nMigration status: failed\nerror description: Unable to write to command: Broken pipe\n");
  EXPECT_EQ(m.state, MigrationState::failed);
  EXPECT_EQ(m.error, "Unable to write to command: Broken pipe");
  EXPECT_STREQ(ktstr::host::migration_state_name(MigrationState::completed), "completed");
}

// A fake QEMU: the greeting and the answers arrive one byte at a time; commands queued before it
// connected go out in order, one at a time, each answered to its own callback.
TEST(QemuMonitor, AnswersCutAtThePromptHoweverTheBytesArrive) {
  ScratchDir d("ktstr-mon");
  std::string path = d.path() + "/mon.sock";
  QemuMonitor m(ktstr::host::listen_unix(path));
  std::vector<MonitorReply> got;
  m.send("info status", [&](const MonitorReply& r) { got.push_back(r); });
  m.send("cont", [&](const MonitorReply& r) { got.push_back(r); });
  m.send("info migrate", [&](const MonitorReply& r) {
    got.push_back(r);
    m.send("stop", [&](const MonitorReply& r2) { got.push_back(r2); });  // queued from a callback
  });
  EXPECT_THROW(m.send("cont\nquit"), std::invalid_argument);
  EXPECT_EQ(m.pending(), 3u);
  UniqueFd q = connect_unix(path);
  auto dribble = [&](const std::string& s) {
    for (char c : s) {
      ASSERT_EQ(::write(q.get(), &c, 1), 1);
      pollfd p{m.fd(), m.events(), 0};
      ::poll(&p, 1, 0);
      if (p.revents) m.on_ready(p.revents);
    }
  };
  ASSERT_TRUE(pump(m, [&] { return m.connected(); }));
  dribble(kGreeting);
  EXPECT_EQ(read_lines(q.get(), m, 1), "info status\n");  // one at a time: the next waits
  dribble(kStatusEcho + "VM status: paused (prelaunch)\r\n(qemu) ");
  EXPECT_EQ(read_lines(q.get(), m, 1), "cont\n");
  dribble("cont\x1b[K\r\n(qemu) ");
  EXPECT_EQ(read_lines(q.get(), m, 1), "info migrate\n");
  dribble("info migrate\x1b[K\r\n" + kMigrateCompleted + "(qemu) ");
  EXPECT_EQ(read_lines(q.get(), m, 1), "stop\n");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].text, "VM status: paused (prelaunch)\n");
  EXPECT_FALSE(got[0].closed);
  EXPECT_EQ(got[1].text, "");
  EXPECT_EQ(parse_info_migrate(got[2].text).state, MigrationState::completed);
  // QEMU goes away with `stop` unanswered: its callback says closed, later sends too.
  q.reset();
  ASSERT_TRUE(pump(m, [&] { return m.closed(); }));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_TRUE(got[3].closed);
  EXPECT_EQ(m.fd(), -1);
  bool called = false;
  m.send("info status", [&](const MonitorReply& r) { called = r.closed; });
  EXPECT_TRUE(called);
}

// A real QEMU without a machine: nothing boots, it only answers its monitor.
TEST(QemuMonitor, RealQemuStatusContAndQuit) {
  ScratchDir d("ktstr-mon");
  std::string path = d.path() + "/mon.sock";
  QemuMonitor m(ktstr::host::listen_unix(path));
  ktstr::host::QemuProcess qemu;
  sigset_t none;
  sigemptyset(&none);
  qemu.start({"qemu-system-x86_64", "-S", "-nodefaults", "-no-user-config", "-display", "none", "-machine", "none",
              "-chardev", "socket,id=mon,path=" + path, "-mon", "chardev=mon,mode=readline"},
             none);
  std::vector<MonitorReply> got;
  for (const char* c : {"info status", "cont", "info status", "info migrate", "no-such-command", "quit"})
    m.send(c, [&](const MonitorReply& r) { got.push_back(r); });
  std::string err;
  ASSERT_TRUE(pump(m, [&] { return m.closed(); }, qemu.stderr_fd(), [&] {
    char b[512];
    ssize_t n = ::read(qemu.stderr_fd(), b, sizeof b);
    if (n > 0) err.append(b, size_t(n));
  })) << err;
  ASSERT_EQ(got.size(), 6u) << err;
  auto s = parse_info_status(got[0].text);
  ASSERT_TRUE(s) << got[0].text;
  EXPECT_FALSE(s->running);
  EXPECT_EQ(s->state, "prelaunch");
  EXPECT_EQ(got[1].text, "");
  s = parse_info_status(got[2].text);
  ASSERT_TRUE(s) << got[2].text;
  EXPECT_TRUE(s->running);
  EXPECT_EQ(parse_info_migrate(got[3].text).state, MigrationState::none);
  EXPECT_NE(got[4].text.find("unknown command"), std::string::npos) << got[4].text;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(got[size_t(i)].closed) << i;
  EXPECT_TRUE(got[5].closed);  // quit: QEMU closes the monitor instead of a prompt
  EXPECT_EQ(m.error(), "");
  pollfd p{qemu.pidfd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 30000), 1);
  qemu.reap();
  EXPECT_TRUE(WIFEXITED(qemu.wait_status()) && WEXITSTATUS(qemu.wait_status()) == 0) << err;
}

// Text that comes while no command is in flight is no answer: the next command's answer starts
// after its own echo, not after that text's line break.
TEST(QemuMonitor, UnaskedTextIsNotTakenForTheNextAnswer) {
  ScratchDir d("ktstr-mon");
  std::string path = d.path() + "/mon.sock";
  QemuMonitor m(ktstr::host::listen_unix(path));
  UniqueFd q = connect_unix(path);
  ASSERT_TRUE(pump(m, [&] { return m.connected(); }));
  std::string unasked = kGreeting + "a note nobody asked for\r\n";
  ASSERT_EQ(::write(q.get(), unasked.data(), unasked.size()), ssize_t(unasked.size()));
  ASSERT_TRUE(pump(m, [&] { return m.greeted(); }));
  pollfd p{m.fd(), m.events(), 0};  // let the client read the note before it asks
  while (::poll(&p, 1, 50) > 0 && p.revents) m.on_ready(p.revents), p.revents = 0;
  std::optional<MonitorReply> got;
  m.send("info status", [&](const MonitorReply& r) { got = r; });
  EXPECT_EQ(read_lines(q.get(), m, 1), "info status\n");
  std::string answer = kStatusEcho + "VM status: running\r\n(qemu) ";
  ASSERT_EQ(::write(q.get(), answer.data(), answer.size()), ssize_t(answer.size()));
  ASSERT_TRUE(pump(m, [&] { return got.has_value(); }));
  EXPECT_EQ(got->text, "VM status: running\n");
}
