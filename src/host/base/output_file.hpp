// A file the user names for output (--com2-log, --console-log, --sched-log, --json, --junit),
// opened before the VM boots, with an error that sticks: a full disk is reported, never a
// silently short file.
#pragma once

#include <string>
#include <string_view>

#include "ktstr/posix_io.hpp"

namespace ktstr::host {

// Opened (truncated) at construction, so a path that cannot be written is refused at once.
// Writes stop at the first error, which is kept.
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

}  // namespace ktstr::host
