// The snapshot cache: a hit only for the exact key text, nothing visible before publish, one maker
// per key, LRU eviction above the cap that spares snapshots in use, and nothing removed that the
// cache did not make.
#include "snapshot_cache.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.hpp"

namespace fs = std::filesystem;
using ktstr::host::SnapshotBuild;
using ktstr::host::SnapshotCache;
using ktstr::host::snapshot_key;
using ktstr::test::ScratchDir;
using ktstr::test::slurp;

namespace {

void write_file(const std::string& path, size_t bytes, char fill = 's') {
  std::ofstream(path, std::ios::binary) << std::string(bytes, fill);
}

// Makes and publishes the snapshot of `text` with a `bytes`-byte snapshot file.
ktstr::host::CacheRemoval make(SnapshotCache& c, const std::string& text, size_t bytes = 100000) {
  std::optional<SnapshotBuild> b = c.begin(text, {{"kernel", "6.12.0"}, {"shape", "1,1,2,1 512M"}});
  if (!b) throw std::runtime_error("begin refused " + text);
  write_file(b->snapshot(), bytes);
  write_file(b->base_cpio(), 100, 'c');
  return b->publish();
}

// Sets a snapshot's last use to `age_s` seconds ago.
void age(const SnapshotCache& c, const std::string& text, int age_s) {
  fs::path dir = fs::path(c.root()) / snapshot_key(text);
  fs::last_write_time(dir, fs::file_time_type::clock::now() - std::chrono::seconds(age_s));
}

bool present(const SnapshotCache& c, const std::string& text) {
  return fs::exists(fs::path(c.root()) / snapshot_key(text) / "meta.json");
}

pid_t dead_pid() {
  pid_t p = fork();
  if (p == 0) _exit(0);
  waitpid(p, nullptr, 0);
  return p;
}

}  // namespace

TEST(SnapshotCache, KeyIsTheSha256OfTheText) {
  EXPECT_EQ(snapshot_key("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(snapshot_key("kernel=a append=x"), snapshot_key("kernel=a append=y"));
}

TEST(SnapshotCache, MissThenPublishThenHit) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path() + "/snapshots", 1 << 30);
  EXPECT_FALSE(c.open("guest A"));  // no root dir yet: a plain miss
  make(c, "guest A");
  std::optional<ktstr::host::SnapshotUse> u = c.open("guest A");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->key(), snapshot_key("guest A"));
  EXPECT_EQ(u->snapshot(), c.root() + "/" + u->key() + "/snapshot");
  EXPECT_EQ(slurp(u->base_cpio()), std::string(100, 'c'));
  EXPECT_EQ(u->meta()["key_text"], "guest A");
  EXPECT_EQ(u->meta()["kernel"], "6.12.0");
  EXPECT_EQ(u->meta()["bytes"], 100100);  // snapshot and base.cpio
  EXPECT_FALSE(c.open("guest B"));
  EXPECT_FALSE(fs::exists(c.root() + "/" + snapshot_key("guest B") + ".lock"));  // a miss makes no files
}

// A meta.json naming another text (a hash collision, or a tampered file) is a miss, and so is a
// snapshot whose files are not all there.
TEST(SnapshotCache, MismatchingMetaOrMissingFileIsAMiss) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path(), 1 << 30);
  make(c, "guest A");
  make(c, "guest B");
  std::string meta_a = c.root() + "/" + snapshot_key("guest A") + "/meta.json";
  std::ofstream(meta_a) << R"({"key_text":"guest A "})";
  EXPECT_FALSE(c.open("guest A"));
  std::ofstream(meta_a) << "not json";
  EXPECT_FALSE(c.open("guest A"));
  fs::remove(c.root() + "/" + snapshot_key("guest B") + "/base.cpio");
  EXPECT_FALSE(c.open("guest B"));
  // Making it again replaces the broken one.
  make(c, "guest A");
  EXPECT_TRUE(c.open("guest A"));
}

// Until publish the snapshot lives in KEY.tmp-PID and no lookup sees it; dropped unpublished, it
// leaves nothing behind.
TEST(SnapshotCache, NothingVisibleBeforePublish) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path(), 1 << 30);
  std::string key = snapshot_key("guest A");
  {
    std::optional<SnapshotBuild> b = c.begin("guest A");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->dir(), c.root() + "/" + key + ".tmp-" + std::to_string(getpid()));
    write_file(b->snapshot(), 10);
    write_file(b->base_cpio(), 10);
    EXPECT_FALSE(c.open("guest A"));
    EXPECT_TRUE(c.list().empty());
    EXPECT_FALSE(fs::exists(c.root() + "/" + key));
  }
  EXPECT_TRUE(fs::is_empty(c.root())) << "temp dir or lock file left";
  EXPECT_FALSE(c.open("guest A"));
}

TEST(SnapshotCache, PublishRefusesAMissingFile) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path(), 1 << 30);
  {
    std::optional<SnapshotBuild> b = c.begin("guest A");
    ASSERT_TRUE(b);
    write_file(b->snapshot(), 10);
    EXPECT_THROW(b->publish(), std::runtime_error);
  }
  EXPECT_FALSE(c.open("guest A"));
  EXPECT_TRUE(fs::is_empty(c.root()));
}

// One maker per key: a second begin (another open file description, as another process has) is
// refused while the first holds the lock, and refused once the snapshot exists.
TEST(SnapshotCache, BusyLockAndExistingSnapshotRefuseBegin) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path(), 1 << 30);
  {
    std::optional<SnapshotBuild> first = c.begin("guest A");
    ASSERT_TRUE(first);
    EXPECT_FALSE(c.begin("guest A"));
    EXPECT_TRUE(c.begin("guest B"));  // other keys are free
    // A child process is refused too.
    pid_t p = fork();
    if (p == 0) _exit(c.begin("guest A") ? 1 : 0);
    int st = 0;
    waitpid(p, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    write_file(first->snapshot(), 10);
    write_file(first->base_cpio(), 10);
    first->publish();
  }
  EXPECT_FALSE(c.begin("guest A"));  // already there
  EXPECT_TRUE(c.open("guest A"));
}

// While a restore holds a snapshot, nobody can replace or remove it.
TEST(SnapshotCache, InUseBlocksRemoval) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path(), 1 << 30);
  make(c, "guest A");
  std::string key = snapshot_key("guest A");
  {
    auto u = c.open("guest A");
    ASSERT_TRUE(u);
    auto u2 = c.open("guest A");  // -j restores share one snapshot
    ASSERT_TRUE(u2);
    EXPECT_FALSE(c.remove(key));
    EXPECT_FALSE(u2->discard());  // u still holds it
    EXPECT_TRUE(present(c, "guest A"));
  }
  EXPECT_TRUE(c.remove(key));
  EXPECT_FALSE(present(c, "guest A"));
  EXPECT_FALSE(fs::exists(c.root() + "/" + key + ".lock"));
}

TEST(SnapshotCache, DiscardRemovesAFailedSnapshot) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path(), 1 << 30);
  make(c, "guest A");
  auto u = c.open("guest A");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->discard());
  EXPECT_FALSE(c.open("guest A"));
  EXPECT_TRUE(fs::is_empty(c.root()));
}

TEST(SnapshotCache, OpenMarksTheUse) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path(), 1 << 30);
  make(c, "guest A");
  make(c, "guest B");
  age(c, "guest A", 100);
  age(c, "guest B", 50);
  EXPECT_EQ(c.list().front().key, snapshot_key("guest B"));
  ASSERT_TRUE(c.open("guest A"));
  auto l = c.list();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l.front().key, snapshot_key("guest A"));
  EXPECT_GT(l.front().last_used_ns, l.back().last_used_ns);
}

// Above the cap the least recently used go first, until the total fits; the new one stays.
TEST(SnapshotCache, EvictsLeastRecentlyUsedAboveTheCap) {
  ScratchDir d("ktstr-snap");
  // Three snapshots of ~100.5 kB (files and meta.json) fit, four do not.
  SnapshotCache c(d.path(), 350000);
  make(c, "A");
  make(c, "B");
  make(c, "C");
  age(c, "A", 30);
  age(c, "B", 40);  // least recently used
  age(c, "C", 20);
  auto r = make(c, "D");
  EXPECT_EQ(r.snapshots, 1u);
  EXPECT_GT(r.bytes, 100100u);
  EXPECT_FALSE(present(c, "B"));
  EXPECT_TRUE(present(c, "A") && present(c, "C") && present(c, "D"));
  // One of ~230 kB: A and C (the oldest) go, then D and E fit.
  age(c, "D", 10);
  r = make(c, "E", 230000);
  EXPECT_EQ(r.snapshots, 2u);
  EXPECT_TRUE(present(c, "D") && present(c, "E"));
  EXPECT_FALSE(present(c, "A") || present(c, "C"));
}

TEST(SnapshotCache, InUseSnapshotsAreNotEvicted) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path(), 250000);  // two fit
  make(c, "A");
  make(c, "B");
  age(c, "A", 40);
  age(c, "B", 30);
  auto in_use = c.open("A");  // the oldest, but a restore holds it
  ASSERT_TRUE(in_use);
  age(c, "A", 40);
  auto r = make(c, "C");
  EXPECT_EQ(r.busy, 1u);
  EXPECT_EQ(r.snapshots, 1u);
  EXPECT_TRUE(present(c, "A"));
  EXPECT_FALSE(present(c, "B"));
  EXPECT_TRUE(present(c, "C"));
}

// Whatever else is in the folder (the user's files, a key-named dir without meta.json, a symlink
// to a snapshot, look-alike names) survives clear and a zero cap.
TEST(SnapshotCache, ForeignFilesAreNeverTouched) {
  ScratchDir d("ktstr-snap");
  ScratchDir elsewhere("ktstr-snap-other");
  SnapshotCache c(d.path(), 0);
  make(c, "A");
  std::string fake_key(64, 'a');
  fs::create_directory(c.root() + "/" + fake_key);
  write_file(c.root() + "/" + fake_key + "/snapshot", 10);
  write_file(c.root() + "/notes.txt", 10);
  fs::create_directory(c.root() + "/mine");
  write_file(c.root() + "/" + std::string(64, 'b') + ".txt", 10);
  fs::create_directory(c.root() + "/abc.tmp-1");
  fs::create_directory(c.root() + "/" + std::string(63, 'c') + ".tmp-1");
  // A symlink with a key's name to a real snapshot elsewhere: never followed, never removed.
  SnapshotCache other(elsewhere.path(), 1 << 30);
  make(other, "X");
  std::string link = c.root() + "/" + std::string(64, 'd');
  fs::create_directory_symlink(other.root() + "/" + snapshot_key("X"), link);
  EXPECT_EQ(c.list().size(), 1u);
  EXPECT_FALSE(c.remove(fake_key));
  EXPECT_FALSE(c.remove("../notes.txt"));
  auto r = c.clear();
  EXPECT_EQ(r.snapshots, 1u);
  EXPECT_FALSE(present(c, "A"));
  for (std::string n : {fake_key, fake_key + "/snapshot", std::string("notes.txt"), std::string("mine"),
                        std::string(64, 'b') + ".txt", std::string("abc.tmp-1"), std::string(63, 'c') + ".tmp-1"})
    EXPECT_TRUE(fs::exists(c.root() + "/" + n)) << n;
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_TRUE(other.open("X"));
}

// A temp dir of a dead process goes at the next begin; one of a live process stays.
TEST(SnapshotCache, StaleTempDirsOfDeadProcessesAreRemoved) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path(), 1 << 30);
  fs::create_directories(c.root());
  std::string key = snapshot_key("A");
  std::string stale = c.root() + "/" + key + ".tmp-" + std::to_string(dead_pid());
  std::string live = c.root() + "/" + snapshot_key("B") + ".tmp-" + std::to_string(getppid());
  fs::create_directory(stale);
  write_file(stale + "/snapshot", 10);
  fs::create_directory(live);
  auto b = c.begin("C");
  ASSERT_TRUE(b);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_FALSE(fs::exists(c.root() + "/" + key + ".lock"));
  EXPECT_TRUE(fs::exists(live));
}

TEST(SnapshotCache, ClearSaysWhatItRemovedAndSkipsWhatIsInUse) {
  ScratchDir d("ktstr-snap");
  SnapshotCache c(d.path(), 1 << 30);
  make(c, "A", 1000);
  make(c, "B", 2000);
  make(c, "C", 3000);
  uint64_t a_and_b = 0;
  for (const auto& i : c.list()) a_and_b += i.meta["key_text"] == "C" ? 0 : i.bytes;
  EXPECT_GT(a_and_b, 3200u);  // the files and meta.json
  std::string orphan_lock = c.root() + "/" + snapshot_key("killed build") + ".lock";
  write_file(orphan_lock, 0);
  auto held = c.open("C");
  auto r = c.clear();
  EXPECT_EQ(r.snapshots, 2u);
  EXPECT_EQ(r.bytes, a_and_b);
  EXPECT_EQ(r.busy, 1u);
  EXPECT_EQ(r.leftovers, 1u);
  EXPECT_FALSE(fs::exists(orphan_lock));
  ASSERT_EQ(c.list().size(), 1u);
  EXPECT_EQ(c.list()[0].meta["key_text"], "C");
}

TEST(SnapshotCache, CapFromTheEnvironment) {
  const char* old = std::getenv("KTSTR_SNAPSHOT_CACHE_MB");
  std::string saved = old ? old : "";
  unsetenv("KTSTR_SNAPSHOT_CACHE_MB");
  EXPECT_EQ(ktstr::host::snapshot_cache_cap_bytes(), 4096ull << 20);
  setenv("KTSTR_SNAPSHOT_CACHE_MB", "10", 1);
  EXPECT_EQ(ktstr::host::snapshot_cache_cap_bytes(), 10ull << 20);
  for (const char* bad : {"abc", "-1", "1.5", "10M", "99999999999999999999"}) {
    setenv("KTSTR_SNAPSHOT_CACHE_MB", bad, 1);
    EXPECT_THROW(ktstr::host::snapshot_cache_cap_bytes(), std::runtime_error) << bad;
  }
  if (old) setenv("KTSTR_SNAPSHOT_CACHE_MB", saved.c_str(), 1);
  else unsetenv("KTSTR_SNAPSHOT_CACHE_MB");
}

TEST(SnapshotCache, DirFollowsKtstrCache) {
  const char* old = std::getenv("KTSTR_CACHE");
  std::string saved = old ? old : "";
  setenv("KTSTR_CACHE", "/some/cache", 1);
  EXPECT_EQ(ktstr::host::snapshot_cache_dir(), "/some/cache/snapshots");
  if (old) setenv("KTSTR_CACHE", saved.c_str(), 1);
  else unsetenv("KTSTR_CACHE");
}
