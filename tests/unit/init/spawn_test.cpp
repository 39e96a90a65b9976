// init's spawn on the host: the parent learns for sure whether exec worked, and the child's exit
// code follows the shell's convention, 127 not found and 126 not executable.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "spawn.hpp"

using ktstr::init::exec_errno_to_code;
using ktstr::init::spawn;
using ktstr::init::SpawnResult;
using ktstr::init::SpawnSpec;

namespace {

int wait_code(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

SpawnResult start(const std::string& program) {
  SpawnSpec spec;
  spec.argv = {program};
  return spawn(spec);
}

}  // namespace

TEST(Spawn, ExecErrnoMapsTo127ForNotFoundAnd126Otherwise) {
  EXPECT_EQ(exec_errno_to_code(ENOENT), 127);
  EXPECT_EQ(exec_errno_to_code(ENOTDIR), 127);
  EXPECT_EQ(exec_errno_to_code(EACCES), 126);
  EXPECT_EQ(exec_errno_to_code(ENOEXEC), 126);
}

TEST(Spawn, MissingProgramExits127AndTheParentKnowsWhy) {
  SpawnResult r = start("/nonexistent/ktstr-no-such-program");
  ASSERT_GT(r.pid, 0);
  EXPECT_EQ(r.exec_errno, ENOENT);
  EXPECT_NE(r.error.find("exec /nonexistent/ktstr-no-such-program"), std::string::npos) << r.error;
  EXPECT_EQ(wait_code(r.pid), 127);
}

TEST(Spawn, NotExecutableFileExits126) {
  char path[] = "/tmp/ktstr-spawn-test.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  chmod(path, 0644);
  SpawnResult r = start(path);
  unlink(path);
  ASSERT_GT(r.pid, 0);
  EXPECT_EQ(r.exec_errno, EACCES);
  EXPECT_EQ(wait_code(r.pid), 126);
}

TEST(Spawn, ProgramThatRunsReportsNoExecError) {
  SpawnSpec spec;
  spec.argv = {"sh", "-c", "exit 7"};  // looked up in PATH
  SpawnResult r = spawn(spec);
  ASSERT_GT(r.pid, 0);
  EXPECT_EQ(r.exec_errno, 0);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(wait_code(r.pid), 7);
}
