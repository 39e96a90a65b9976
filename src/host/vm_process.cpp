#include "vm_process.hpp"

#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace ktstr::host {

void Fd::reset() {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "ktstr-vm.XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp: " + std::string(strerror(errno)));
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!keep) fs::remove_all(path, ec);
}

Fd listen_unix(const std::string& path) {
  Fd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) throw std::runtime_error("socket path too long: " + path);
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  if (s.fd < 0 || ::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s.fd, 1) != 0)
    throw std::runtime_error("listen on " + path + ": " + strerror(errno));
  return s;
}

Fd open_out(const std::string& path) {
  if (path.empty()) return Fd();
  Fd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (f.fd < 0) throw std::runtime_error("open " + path + ": " + strerror(errno));
  return f;
}

Fd block_into_signalfd(std::initializer_list<int> signals, sigset_t& old_mask, int flags) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : signals) sigaddset(&set, sig);
  sigset_t blocked = set;
  sigaddset(&blocked, SIGPIPE);
  sigprocmask(SIG_BLOCK, &blocked, &old_mask);
  Fd f(signalfd(-1, &set, SFD_CLOEXEC | flags));
  if (f.fd < 0) throw std::runtime_error(std::string("signalfd: ") + strerror(errno));
  return f;
}

Qemu spawn_qemu(const std::vector<std::string>& argv, const sigset_t& mask) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + strerror(errno));
  Qemu q;
  q.stderr_read = Fd(err[0]);
  Fd stderr_write(err[1]);
  q.pid = fork();
  if (q.pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(stderr_write.fd, 2);
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    setpgid(0, 0);  // Ctrl-C on the terminal goes to us; we end QEMU ourselves
    execvp(a[0], a.data());
    dprintf(2, "exec %s: %s\n", a[0], strerror(errno));
    _exit(127);
  }
  if (q.pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  q.pidfd = Fd(int(syscall(SYS_pidfd_open, q.pid, 0)));
  return q;
}

std::string shell_quote(const std::string& s) {
  if (s.find_first_of(" '\"\\$`") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(size_t(n));
  }
  return true;
}

void keep_tail(std::string& tail, std::string_view data, size_t max) {
  tail.append(data);
  if (tail.size() > max) tail.erase(0, tail.size() - max);
}

}  // namespace ktstr::host
