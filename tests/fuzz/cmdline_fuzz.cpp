// libFuzzer target for the kernel cmdline parser (src/common/cmdline.cpp, docs/cmdline.md).
// Invariants (abort on violation):
//   - every field of the parsed Config is within the range the parser promises;
//   - writing that Config back as KTSTR_* keys and parsing it again gives the same Config with
//     no warnings (what the parser accepts, it reproduces).
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ktstr/cmdline.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "cmdline_fuzz: invariant violated: %s\n", what);
  std::abort();
}

bool term_ok(const std::string& s) {
  if (s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '+'))
      return false;
  return true;
}

void check_ranges(const ktstr::Config& c) {
  check(c.timeout_s <= 7 * 24 * 3600, "timeout_s");
  check(c.attach_timeout_ms >= 1 && c.attach_timeout_ms <= 3600 * 1000, "attach_timeout_ms");
  check(c.heartbeat_ms <= 3600 * 1000, "heartbeat_ms");
  check(c.cols <= 10000 && c.rows <= 10000, "cols/rows");
  check(!c.term.empty() && term_ok(c.term), "term");
  check(term_ok(c.colorterm), "colorterm");
  bool level = false;
  for (std::string_view l : {"trace", "debug", "info", "warn", "error", "critical", "off"})
    level |= c.log_level == l;
  check(level, "log_level");
  const ktstr::Topology& t = c.topo;
  bool topo_unset = t.nodes == 0 && t.llcs == 0 && t.cores == 0 && t.threads == 0;
  bool topo_ok = t.nodes >= 1 && t.nodes <= 4096 && t.llcs >= 1 && t.llcs <= 4096 &&
                 t.cores >= 1 && t.cores <= 4096 && t.threads >= 1 && t.threads <= 4096 &&
                 t.llcs % t.nodes == 0;
  check(topo_unset || topo_ok, "topo");
  check(c.debug_fault.empty() || c.debug_fault == "segv" || c.debug_fault == "abort",
        "debug_fault");
}

// The Config as the host would write it on the kernel command line.
std::string to_cmdline(const ktstr::Config& c) {
  std::string s = "console=ttyS0 KTSTR_MODE=";
  s += c.mode == ktstr::Mode::shell ? "shell" : "test";
  s += " KTSTR_LOG=" + c.log_level;
  s += " KTSTR_TIMEOUT=" + std::to_string(c.timeout_s);
  s += " KTSTR_ATTACH_TIMEOUT_MS=" + std::to_string(c.attach_timeout_ms);
  s += " KTSTR_HEARTBEAT_MS=" + std::to_string(c.heartbeat_ms);
  s += " KTSTR_COLS=" + std::to_string(c.cols) + " KTSTR_ROWS=" + std::to_string(c.rows);
  s += " KTSTR_TERM=" + c.term;
  if (!c.colorterm.empty()) s += " KTSTR_COLORTERM=" + c.colorterm;
  if (c.topo.set())
    s += " KTSTR_TOPO=" + std::to_string(c.topo.nodes) + "," + std::to_string(c.topo.llcs) + "," +
         std::to_string(c.topo.cores) + "," + std::to_string(c.topo.threads);
  if (!c.debug_fault.empty()) s += " KTSTR_DEBUG_FAULT=" + c.debug_fault;
  return s;
}

bool same(const ktstr::Config& a, const ktstr::Config& b) {
  return a.mode == b.mode && a.log_level == b.log_level && a.timeout_s == b.timeout_s &&
         a.attach_timeout_ms == b.attach_timeout_ms && a.heartbeat_ms == b.heartbeat_ms &&
         a.cols == b.cols && a.rows == b.rows && a.term == b.term && a.colorterm == b.colorterm &&
         a.topo.nodes == b.topo.nodes && a.topo.llcs == b.topo.llcs &&
         a.topo.cores == b.topo.cores && a.topo.threads == b.topo.threads &&
         a.debug_fault == b.debug_fault;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ktstr::CmdlineResult r = ktstr::parse_cmdline(text);
  check_ranges(r.config);
  for (const std::string& w : r.warnings) check(!w.empty(), "empty warning");

  ktstr::CmdlineResult again = ktstr::parse_cmdline(to_cmdline(r.config));
  check(again.warnings.empty(), "re-parse of an accepted Config warned");
  check(same(again.config, r.config), "re-parse changed the Config");
  return 0;
}
