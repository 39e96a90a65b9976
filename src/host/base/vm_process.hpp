// Small pieces the VM session and the commands share: the unix sockets QEMU connects to, the
// output files the user names (OutputFile), and text helpers (shell quoting, a bounded tail).
// QEMU itself is in qemu.hpp and qemu_process.hpp.
#pragma once

#include <string>
#include <string_view>

#include "ktstr/posix_io.hpp"

namespace ktstr::host {

// A listening unix stream socket at `path` (QEMU connects to it as a client). Throws
// std::runtime_error naming the path and errno on failure.
UniqueFd listen_unix(const std::string& path);

// A file the user asked for (--com2-log, --console-log, --sched-log, --json, --junit), opened
// (truncated) before the VM boots, so a path that cannot be written is refused at once. Writes
// stop at the first error, which is kept: a full disk is reported, never a silently short file.
class OutputFile {
 public:
  OutputFile() = default;
  // `flag` names the option in messages. An empty path gives a closed file that ignores writes.
  // Throws std::runtime_error "FLAG PATH: strerror" if it cannot be opened for writing.
  OutputFile(std::string flag, std::string path);

  int fd() const { return fd_.get(); }
  bool is_open() const { return fd_.valid(); }
  const std::string& path() const { return path_; }
  void write(std::string_view data);
  // Records a failure that happened elsewhere (e.g. a report writer), in the same form.
  void fail(int err);
  // "FLAG PATH: write failed: strerror", or empty while every write succeeded.
  const std::string& error() const { return error_; }

 private:
  std::string flag_, path_, error_;
  UniqueFd fd_;
};

// Quotes an argument for display in a copy-pasteable shell command.
std::string shell_quote(const std::string& s);

// Appends data to tail, keeping only the last `max` bytes.
void keep_tail(std::string& tail, std::string_view data, size_t max = 64 * 1024);

}  // namespace ktstr::host
