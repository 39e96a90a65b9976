// Session temp dirs: a live session's dir is never touched, a killed session's dir is removed by
// the next session, a kept one stays.
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using ktstr::host::remove_stale_temp_dirs;
using ktstr::host::TempDir;

namespace {

// A private $TMPDIR for one test.
class TempBase {
 public:
  TempBase() {
    std::string t = (fs::temp_directory_path() / "ktstr-tmptest.XXXXXX").string();
    if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp");
    path = t;
    const char* old = std::getenv("TMPDIR");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TMPDIR", path.c_str(), 1);
  }
  ~TempBase() {
    if (had_) setenv("TMPDIR", old_.c_str(), 1);
    else unsetenv("TMPDIR");
    fs::remove_all(path);
  }
  std::string path;

 private:
  bool had_ = false;
  std::string old_;
};

void touch(const fs::path& p) { std::ofstream(p) << ""; }

}  // namespace

TEST(TempDir, LiveDirIsLockedAndRemovedAtTheEnd) {
  TempBase base;
  std::string path;
  {
    TempDir t;
    path = t.path();
    EXPECT_TRUE(fs::exists(path + "/.lock"));
    EXPECT_EQ(remove_stale_temp_dirs(base.path), 0u);  // held: a live session
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
}

// A session killed by SIGKILL leaves its dir; the next session's start removes it.
TEST(TempDir, KilledSessionsDirIsRemovedByTheNext) {
  TempBase base;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  pid_t owner = fork();
  if (owner == 0) {
    TempDir t;
    (void)!write(p[1], t.path().data(), t.path().size());
    _exit(0);  // no destructor, as after kill -9
  }
  close(p[1]);
  char buf[4096];
  ssize_t n = read(p[0], buf, sizeof buf);
  close(p[0]);
  waitpid(owner, nullptr, 0);
  ASSERT_GT(n, 0);
  std::string stale(buf, size_t(n));
  ASSERT_TRUE(fs::exists(stale));
  TempDir next;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(next.path()));
}

// Kept dirs (--keep-tmp), dirs without a lock (older versions, or being created) and other
// names are never removed.
TEST(TempDir, KeptUnlockedAndForeignDirsStay) {
  TempBase base;
  std::string kept;
  {
    TempDir k;
    k.keep = true;
    kept = k.path();
  }
  fs::create_directory(base.path + "/ktstr-vm.nolock");
  fs::create_directory(base.path + "/other.dir");
  touch(base.path + "/other.dir/.lock");
  EXPECT_EQ(remove_stale_temp_dirs(base.path), 0u);
  EXPECT_TRUE(fs::exists(kept));
  EXPECT_TRUE(fs::exists(base.path + "/ktstr-vm.nolock"));
  EXPECT_TRUE(fs::exists(base.path + "/other.dir"));
}
