// The payload (docs/architecture.md): argv from /args, its own process group, stdout/stderr into
// SOUT/SERR, EXIT with the real wait status. Orphans it leaves are killed with its group.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "com2.hpp"
#include "event_loop.hpp"
#include "pump.hpp"
#include "reaper.hpp"

namespace ktstr::init {

class Payload {
 public:
  Payload(EventLoop& loop, Reaper& reaper, Com2& com2) : loop_(loop), reaper_(reaper), com2_(com2) {}

  // Reads /args. Returns false with `error` set if it is missing or empty.
  [[nodiscard]] static bool read_argv(std::vector<std::string>& argv, std::string& error);
  // Starts it, its stdin from stdin_fd (-1: /dev/null). If exec fails the child exits 127/126
  // and EXIT says why.
  [[nodiscard]] bool spawn(const std::vector<std::string>& argv, int stdin_fd = -1);
  bool exited() const { return exited_; }
  bool output_drained() const { return out_->drained() && err_->drained(); }
  // TERM to the process group, up to grace_ms for it to go, then KILL.
  void terminate(uint32_t grace_ms);
  // After exit: forward output until both pipes reach EOF. Descendants that still hold them open
  // get idle_ms to finish writing, then the whole group is killed; bounded by deadline_ns.
  void drain(uint32_t idle_ms, uint64_t deadline_ns);
  const ExitStatus& status() const { return status_; }
  int exit_code() const;
  uint64_t start_ns() const { return start_ns_; }
  uint64_t exit_ns() const { return exit_ns_; }

 private:
  void handle_exit(const ExitStatus& s);

  EventLoop& loop_;
  Reaper& reaper_;
  Com2& com2_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exec_errno_ = 0;
  ExitStatus status_;
  uint64_t start_ns_ = 0, exit_ns_ = 0;
  std::unique_ptr<Pump> out_, err_;
};

}  // namespace ktstr::init
