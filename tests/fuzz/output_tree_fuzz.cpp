// libFuzzer target for the output tree's receiver (src/host/verdict/output_tree.cpp): whatever
// the frames say, nothing is written outside the directory. The input is a list of records
// [kind][len_hi][len_lo][value], kind % 4 = FENT, FDAT, FSKP, FEND (no CRCs to forge: the lane's
// decoder has its own target), then finish(expected = the last byte is odd). Each input writes
// into a fresh ROOT/out, beside ROOT/outside; these invariants are checked (abort on violation):
//   - afterwards ROOT holds exactly `out` and the empty `outside` (no entry escaped through
//     `..`, `/`, a symlink or anything else);
//   - nothing in `out` is a setuid, setgid or sticky file or directory;
//   - complete() implies no error, and an error starts with "output tree: ";
//   - the bytes written never exceed the limit.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "output_tree.hpp"

namespace w = ktstr::wire;
using ktstr::UniqueFd;
using ktstr::host::OutputTree;

namespace {

constexpr uint64_t kLimit = 4096;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "output_tree_fuzz: %s\n", why.c_str());
  std::abort();
}

// Removes `name` in the directory `dirfd`, whatever its modes (a guest directory may be 0000).
void remove_tree(int dirfd, const char* name) {
  struct stat st;
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    ::fchmodat(dirfd, name, 0700, 0);
    int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      DIR* d = ::fdopendir(fd);
      if (d) {
        while (dirent* e = ::readdir(d))
          if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) remove_tree(::dirfd(d), e->d_name);
        ::closedir(d);
      } else {
        ::close(fd);
      }
    }
    if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0) fail(std::string("cannot remove directory ") + name);
  } else if (::unlinkat(dirfd, name, 0) != 0) {
    fail(std::string("cannot remove ") + name);
  }
}

// The entries of the directory `path` other than . and .., in any order.
std::string entries(const std::string& path) {
  std::string s;
  DIR* d = ::opendir(path.c_str());
  if (!d) fail("cannot list " + path);
  while (dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) s += std::string(e->d_name) + "\n";
  ::closedir(d);
  return s;
}

// No setuid, setgid or sticky bit anywhere under the directory `dirfd`.
void check_modes(int dirfd) {
  DIR* d = ::fdopendir(::dup(dirfd));
  if (!d) return;  // a guest directory of mode 0000 is unreadable: fine
  while (dirent* e = ::readdir(d)) {
    if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISLNK(st.st_mode) && (st.st_mode & 07000)) fail(std::string("special mode bits on ") + e->d_name);
    if (S_ISDIR(st.st_mode)) {
      int fd = ::openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        check_modes(fd);
        ::close(fd);
      }
    }
  }
  ::closedir(d);
}

const std::string& root() {
  static const std::string r = [] {
    std::string t = std::string(P_tmpdir) + "/output_tree_fuzz.XXXXXX";
    if (!::mkdtemp(t.data())) fail("mkdtemp");
    if (::mkdir((t + "/outside").c_str(), 0700) != 0) fail("mkdir outside");
    return t;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& r = root();
  const std::string out = r + "/out";
  if (::mkdir(out.c_str(), 0700) != 0) fail("mkdir out");
  {
    OutputTree tree(UniqueFd(::open(out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)), kLimit);
    static const w::Tag kinds[] = {w::kFent, w::kFdat, w::kFskp, w::kFend};
    uint32_t seq = 0;
    size_t i = 0;
    while (i + 3 <= size) {
      w::Frame f{};
      f.type = kinds[data[i] % 4];
      size_t len = std::min(size - i - 3, size_t(data[i + 1]) << 8 | data[i + 2]);
      f.seq = seq++;
      f.value = std::span(data + i + 3, len);
      tree.on_frame(f);
      i += 3 + len;
    }
    tree.finish(size > 0 && (data[size - 1] & 1));
    if (tree.complete() && !tree.error().empty()) fail("complete with an error");
    if (!tree.error().empty() && tree.error().rfind("output tree: ", 0) != 0) fail("error: " + tree.error());
    if (tree.bytes() > kLimit) fail("past the limit");
    (void)tree.report().dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);  // valid UTF-8
    (void)tree.summary();
  }
  if (entries(r) != "out\noutside\n" && entries(r) != "outside\nout\n") fail("ROOT holds:\n" + entries(r));
  if (!entries(r + "/outside").empty()) fail("something was written in outside/");
  {
    UniqueFd fd(::open(out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    check_modes(fd.get());
  }
  UniqueFd rootfd(::open(r.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  remove_tree(rootfd.get(), "out");
  return 0;
}
