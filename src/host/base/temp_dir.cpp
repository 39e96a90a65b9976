#include "temp_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

constexpr const char* kPrefix = "ktstr-vm.";

}  // namespace

std::string temp_root() {
  const char* env = std::getenv("TMPDIR");
  std::string root = env && *env ? env : "/tmp";
  std::string setting = env && *env ? "TMPDIR=" + root : "the temp dir /tmp (TMPDIR is not set)";
  struct stat st;
  if (::stat(root.c_str(), &st) != 0)
    throw std::runtime_error(setting + ": " + std::strerror(errno) + " (set TMPDIR to an existing directory)");
  if (!S_ISDIR(st.st_mode)) throw std::runtime_error(setting + ": not a directory");
  if (::access(root.c_str(), W_OK | X_OK) != 0)
    throw std::runtime_error(setting + ": not writable (" + std::strerror(errno) + ")");
  // The longest path made inside: ROOT/ktstr-vm.XXXXXX/com2.sock, a unix socket address.
  size_t longest = root.size() + 1 + std::strlen(kPrefix) + std::strlen("XXXXXX/com2.sock");
  if (longest >= sizeof(sockaddr_un::sun_path))
    throw std::runtime_error(setting + ": too long for QEMU's unix sockets inside it (" + std::to_string(longest) +
                             " > " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes); use a shorter TMPDIR");
  return root;
}

size_t remove_stale_temp_dirs(const std::string& base) {
  size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(base, ec)) {
    if (!e.path().filename().string().starts_with(kPrefix) || !e.is_directory(ec)) continue;
    if (fs::exists(e.path() / ".keep", ec)) continue;
    UniqueFd lock(::open((e.path() / ".lock").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!lock.valid() || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) continue;  // none, or held
    fs::remove_all(e.path(), ec);
    removed += !ec;
  }
  return removed;
}

TempDir::TempDir() {
  std::string base = temp_root();  // checked: names TMPDIR and its value if it is unusable
  remove_stale_temp_dirs(base);
  std::string tmpl = base + "/" + kPrefix + "XXXXXX";
  if (!mkdtemp(tmpl.data()))
    throw std::runtime_error("cannot create a temp dir in " + base + " (TMPDIR): " + strerror(errno));
  path_ = tmpl;
  // Locked under a temporary name, then renamed: a `.lock` that exists is already held.
  std::string staging = path_ + "/.lock.new";
  lock_ = UniqueFd(::open(staging.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!lock_.valid() || ::flock(lock_.get(), LOCK_EX) != 0 || ::rename(staging.c_str(), (path_ + "/.lock").c_str()) != 0) {
    std::string err = strerror(errno);
    std::error_code ec;
    fs::remove_all(path_, ec);
    throw std::runtime_error("lock file in " + path_ + ": " + err);
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  if (keep) UniqueFd(::open((path_ + "/.keep").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  else fs::remove_all(path_, ec);
}

}  // namespace ktstr::host
