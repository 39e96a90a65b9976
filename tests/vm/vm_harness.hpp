// Runs `ktstr-vm run` for real and collects everything a VM test asserts on: exit status,
// stdout/stderr, the decoded COM2 frames, the console (COM1) and the JSON report.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ktstr/frame_decoder.hpp"

namespace ktstr::vmtest {

struct FrameRec {
  std::string type;
  uint32_t seq;
  uint64_t t_ns;
  std::string bytes;     // raw value
  nlohmann::json json;   // parsed value of control frames (null for streams)
};

struct VmResult {
  int exit_code = -1;
  std::string out, err, console;
  std::vector<FrameRec> frames;
  wire::DecodeStats stats;
  nlohmann::json report;

  // Frames of one type, in order.
  std::vector<const FrameRec*> of(const std::string& type) const;
  // The first control frame of `type` whose "event" (or "phase") is `name`; nullptr if none.
  const FrameRec* event(const std::string& type, const std::string& name) const;
  // All bytes of a stream type, concatenated.
  std::string stream(const std::string& type) const;
  // A summary for assertion messages.
  std::string describe() const;
};

// Runs ktstr-vm run ARGS (ARGS include `-- program ...`). Adds --com2-log/--console-log/--json in
// a private temp dir.
VmResult run_vm(const std::vector<std::string>& args);

// A host file with the given content and mode, in a temp dir that lives until the process exits.
std::string temp_file(const std::string& name, const std::string& content, unsigned mode = 0755);

// A new private temp dir named PREFIX.XXXXXX (the caller removes it).
std::string make_temp_dir(const std::string& prefix);
// A whole file's bytes ("" if it cannot be read).
std::string slurp(const std::string& path);
// Runs argv to the end with stdin from `stdin_path`, stdout in DIR/out and stderr in DIR/err.
// Returns its exit status (128+N if signal N killed it). Throws if it cannot be started.
int run_captured(const std::vector<std::string>& argv, const std::string& dir,
                 const std::string& stdin_path = "/dev/null");
// Polls `done` every 100 ms until it holds (true) or `timeout` passes (false).
bool wait_until(const std::function<bool()>& done, std::chrono::seconds timeout);
// Starts `ktstr-vm ARGS` with stdout on a pipe (returned in out_fd) and stderr discarded, for
// tests that watch output arrive. Returns the pid.
pid_t spawn_vm_with_stdout_pipe(const std::vector<std::string>& args, int& out_fd);

}  // namespace ktstr::vmtest
