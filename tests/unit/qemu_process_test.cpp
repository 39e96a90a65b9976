// The owner of QEMU's process (any program stands in for QEMU here): whatever way the owner goes
// (scope left, exception, kill -9 of ktstr-vm) the child goes too, and a pidfd_open failure is a
// clear error instead of an endless wait.
#include "qemu_process.hpp"

#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

using ktstr::host::QemuProcess;

namespace {

sigset_t empty_mask() {
  sigset_t m;
  sigemptyset(&m);
  return m;
}

// Alive and not a zombie (an orphan's zombie waits for its new parent to reap it).
bool alive(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  size_t close = s.rfind(')');
  return close != std::string::npos && close + 2 < s.size() && s[close + 2] != 'Z' && s[close + 2] != 'X';
}

bool gone_within_10s(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    if (!alive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

// An exception leaves the owner's scope: the child is killed and reaped (not even a zombie).
TEST(QemuProcess, OwnerKillsAndReapsOnAnyWayOut) {
  pid_t pid = -1;
  try {
    QemuProcess q;
    q.start({"sleep", "100"}, empty_mask());
    pid = q.pid();
    ASSERT_TRUE(alive(pid));
    throw std::runtime_error("leaving");
  } catch (const std::runtime_error&) {
  }
  ASSERT_GT(pid, 0);
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_FALSE(alive(pid));
}

// kill -9 of the owner's process runs no destructor; the child dies with its parent anyway.
TEST(QemuProcess, ChildDiesWithItsParent) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  pid_t owner = fork();
  if (owner == 0) {
    QemuProcess q;
    q.start({"sleep", "100"}, empty_mask());
    pid_t child = q.pid();
    (void)!write(p[1], &child, sizeof child);
    pause();  // until killed
    _exit(0);
  }
  close(p[1]);
  pid_t child = -1;
  ASSERT_EQ(read(p[0], &child, sizeof child), ssize_t(sizeof child));
  close(p[0]);
  ASSERT_TRUE(alive(child));
  kill(owner, SIGKILL);
  waitpid(owner, nullptr, 0);
  bool gone = gone_within_10s(child);
  if (!gone) kill(child, SIGKILL);
  EXPECT_TRUE(gone) << "the child outlived its parent";
}

// pidfd_open failing (ENOSYS, as on kernels before 5.3; made so here by a seccomp filter): start
// throws an error naming the call, and the child is not left running.
TEST(QemuProcess, PidfdOpenFailureIsAClearError) {
  pid_t tester = fork();
  if (tester == 0) {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{sizeof filter / sizeof filter[0], filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
      _exit(3);
    QemuProcess q;
    try {
      q.start({"sleep", "100"}, empty_mask());
    } catch (const std::runtime_error& e) {
      bool named = std::string(e.what()).find("pidfd_open") != std::string::npos;
      bool reaped = waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
      _exit(named && reaped ? 0 : 1);
    }
    _exit(2);  // no error at all
  }
  int status = 0;
  waitpid(tester, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no clear error or the child was left; 2: no error; 3: no seccomp";
}
