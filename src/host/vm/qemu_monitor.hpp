// A client of QEMU's human monitor (HMP) that never blocks, for a session's poll loop. The host
// listens on a unix socket and QEMU connects to it
// (`-chardev socket,id=mon,path=P -mon chardev=mon,mode=readline`). Commands are queued and sent
// one at a time, after QEMU's greeting; the answer to each is QEMU's text after the echo of the
// command line up to the next `(qemu) ` prompt, handed to that command's callback.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ktstr/posix_io.hpp"

namespace ktstr::host {

// What came back for one command.
struct MonitorReply {
  std::string text;     // the answer, "\r\n" as "\n", terminal escapes removed ("" for `cont`, `stop`)
  bool closed = false;  // the monitor closed before the prompt (QEMU quit or died); text is what came
};

class QemuMonitor {
 public:
  using Callback = std::function<void(const MonitorReply&)>;

  // Waits for QEMU on `listener`, a listening unix socket (listen_unix).
  explicit QemuMonitor(UniqueFd listener);

  // Queues one HMP command line (no newline), answered through `done` (may be empty). Throws
  // std::invalid_argument for a command with a CR or LF in it: one line is one command.
  void send(const std::string& command, Callback done = {});

  // For poll(2): the fd to watch (the listener until QEMU connects, then the connection; -1 once
  // closed), the events wanted, and the handler of what poll returned for it.
  int fd() const;
  short events() const;
  void on_ready(short revents);

  bool connected() const { return conn_.valid(); }
  bool greeted() const { return greeted_; }  // the first prompt came: commands flow
  bool closed() const { return closed_; }
  size_t pending() const { return queue_.size(); }  // commands not yet answered
  const std::string& error() const { return error_; }  // why it closed, if not an orderly EOF

 private:
  struct Command {
    std::string line;
    Callback done;
  };
  void accept_conn();
  void read_conn();
  void write_conn();
  void take_answers();
  void start_next();
  void close_all(const std::string& why);

  UniqueFd listener_, conn_;
  std::string in_, out_;
  std::deque<Command> queue_;  // front: the command in flight once sent_ is set
  bool sent_ = false, greeted_ = false, closed_ = false;
  std::string error_;
};

// `info status`: "VM status: running", "VM status: paused", "VM status: paused (inmigrate)".
struct VmStatus {
  bool running = false;
  // "running", "paused", or QEMU's run state when it says one: "prelaunch", "inmigrate",
  // "postmigrate", "finish-migrate", "shutdown", "guest-panicked", "internal-error", ...
  std::string state;
};
std::optional<VmStatus> parse_info_status(std::string_view answer);

// `info migrate`'s "Migration status:" line, folded into what a saver must tell apart.
enum class MigrationState { none, setup, active, completed, failed, cancelled, other };
struct MigrationInfo {
  MigrationState state = MigrationState::none;  // none: no migration has run (no status line)
  std::string status;  // QEMU's word: "completed", "postcopy-active", ...
  std::string error;   // "error description:" of a failed migration
};
MigrationInfo parse_info_migrate(std::string_view answer);
const char* migration_state_name(MigrationState s);

}  // namespace ktstr::host
