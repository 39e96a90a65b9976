#include "guest_config.hpp"

#include <cstdlib>

#include "terminal.hpp"

namespace ktstr::host {

HostTerminal host_terminal(VmMode mode, int in_fd) {
  HostTerminal t;
  // The guest's PTY starts at the terminal's size.
  if (mode == VmMode::interactive)
    if (std::optional<WindowSize> ws = window_size(in_fd)) {
      t.cols = ws->cols;
      t.rows = ws->rows;
    }
  if (const char* v = std::getenv("TERM")) t.term = v;
  if (const char* v = std::getenv("COLORTERM")) t.colorterm = v;
  return t;
}

Config guest_config(const RunOptions& o, VmMode mode, const HostTerminal& terminal) {
  Config c;
  // Init compares the machine it got with this shape (a mismatch fails the run).
  c.topo = vm_topology(o.vm);
  if (mode != VmMode::run) {
    c.mode = Mode::shell;
    if (terminal.cols && terminal.rows) {
      c.cols = terminal.cols;
      c.rows = terminal.rows;
    }
    // The guest accepts the same set; a name outside it is left out, not mangled.
    if (valid_term(terminal.term)) c.term = terminal.term;
    if (valid_term(terminal.colorterm)) c.colorterm = terminal.colorterm;
  }
  c.timeout_s = o.vm.timeout_s;
  if (!o.guest_log_level.empty()) c.log_level = o.guest_log_level;
  if (o.attach_timeout_ms) c.attach_timeout_ms = o.attach_timeout_ms;
  c.telemetry = !o.no_telemetry;
  if (o.stats_ms >= 0) c.stats_ms = o.stats_ms;
  c.attempt = o.attempt;
  c.stdin_forward = o.forward_stdin;
  // The output tree: init sends it only when the host takes it (and the interactive shell has none).
  if (!o.output_dir.empty() && mode != VmMode::interactive) c.output_limit = o.output_limit;
  if (!o.pack.on_failure.empty()) {  // words only when a hook can use them (the kernel's limit of 32)
    c.expect_exit = uint32_t(o.expect_exit);
    c.on_failure_timeout_s = o.on_failure_timeout_s;
  }
  return c;
}

std::vector<std::string> guest_cmdline_words(const RunOptions& o, VmMode mode, const HostTerminal& terminal) {
  std::vector<std::string> words = cmdline_words(guest_config(o, mode, terminal));
  words.insert(words.end(), o.guest_keys.begin(), o.guest_keys.end());
  return words;
}

}  // namespace ktstr::host
