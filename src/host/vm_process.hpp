// What every VM-booting subcommand (run, shell) needs around QEMU: an owned fd, a private temp
// dir, the unix sockets QEMU connects to, and starting QEMU itself.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ktstr::host {

// Owns one file descriptor; -1 means closed. Move-only.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd = std::exchange(o.fd, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  void reset();
};

// A private temp dir: parallel runs share no path. Removed at the end unless kept.
// Throws std::runtime_error if it cannot be created.
struct TempDir {
  std::string path;
  bool keep = false;
  TempDir();
  ~TempDir();
};

// A listening unix stream socket at `path` (QEMU connects to it as a client). Throws
// std::runtime_error naming the path and errno on failure.
Fd listen_unix(const std::string& path);

// Opens `path` for writing (truncating); an empty path gives a closed Fd. Throws on failure.
Fd open_out(const std::string& path);

// Blocks `signals` and SIGPIPE (a closed stdout then gives EPIPE instead of killing us) and
// returns a signalfd (with `flags`) for `signals`; the mask before goes to `old_mask`, to be
// restored at the end and given to children.
Fd block_into_signalfd(std::initializer_list<int> signals, sigset_t& old_mask, int flags);

// A started QEMU: its pid, a pidfd that turns readable when it exits, the read end of its stderr.
struct Qemu {
  pid_t pid = -1;
  Fd pidfd, stderr_read;
};

// Starts QEMU in its own process group (terminal signals reach us, not it) with stdin/stdout on
// /dev/null, stderr on a new pipe and the signal mask `mask`. Throws if the pipe or fork fails;
// an exec failure shows as exit 127 with the reason on its stderr.
Qemu spawn_qemu(const std::vector<std::string>& argv, const sigset_t& mask);

// Quotes an argument for display in a copy-pasteable shell command.
std::string shell_quote(const std::string& s);

// Writes all of s, retrying on EINTR. Returns false on any other error or a zero-length write.
bool write_all(int fd, std::string_view s);

// Appends data to tail, keeping only the last `max` bytes.
void keep_tail(std::string& tail, std::string_view data, size_t max = 64 * 1024);

}  // namespace ktstr::host
