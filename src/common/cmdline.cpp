// The KTSTR_* kernel cmdline keys, both directions: the parser (untrusted text: every value is
// range-checked) and the encoder the host writes them with.
#include "ktstr/cmdline.hpp"

#include <cctype>
#include <charconv>
#include <limits>

namespace ktstr {
namespace {

// Splits like the kernel does: spaces separate words, double quotes group (and are removed).
std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  bool quoted = false, any = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == ' ' || c == '\t' || c == '\n')) {
      if (any) words.push_back(std::move(cur));
      cur.clear();
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) words.push_back(std::move(cur));
  return words;
}

template <typename T>
bool parse_uint(std::string_view s, T& out, uint64_t max = std::numeric_limits<T>::max()) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > max) return false;
  out = T(v);
  return true;
}

bool valid_level(std::string_view s) {
  for (std::string_view l : {"trace", "debug", "info", "warn", "error", "critical", "off"})
    if (s == l) return true;
  return false;
}

}  // namespace

// Terminal names reach the shell's environment: keep them to a sane character set.
bool valid_term(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '+'))
      return false;
  return true;
}

std::vector<std::string> cmdline_words(const Config& c) {
  const Config d;
  std::vector<std::string> w;
  auto put = [&](const char* key, const std::string& value) { w.push_back(std::string(key) + "=" + value); };
  if (c.topo != d.topo) put("KTSTR_TOPO", topo_csv(c.topo));
  if (c.mode != d.mode) put("KTSTR_MODE", c.mode == Mode::shell ? "shell" : "test");
  if (c.cols != d.cols) put("KTSTR_COLS", std::to_string(c.cols));
  if (c.rows != d.rows) put("KTSTR_ROWS", std::to_string(c.rows));
  if (c.term != d.term) put("KTSTR_TERM", c.term);
  if (c.colorterm != d.colorterm) put("KTSTR_COLORTERM", c.colorterm);
  if (c.timeout_s != d.timeout_s) put("KTSTR_TIMEOUT", std::to_string(c.timeout_s));
  if (c.log_level != d.log_level) put("KTSTR_LOG", c.log_level);
  if (c.attach_timeout_ms != d.attach_timeout_ms) put("KTSTR_ATTACH_TIMEOUT_MS", std::to_string(c.attach_timeout_ms));
  if (c.telemetry != d.telemetry) put("KTSTR_TELEMETRY", c.telemetry ? "1" : "0");
  if (c.stats_ms != d.stats_ms) put("KTSTR_STATS_MS", std::to_string(c.stats_ms));
  if (c.heartbeat_ms != d.heartbeat_ms) put("KTSTR_HEARTBEAT_MS", std::to_string(c.heartbeat_ms));
  if (c.debug_fault != d.debug_fault) put("KTSTR_DEBUG_FAULT", c.debug_fault);
  if (c.attempt != d.attempt) put("KTSTR_ATTEMPT", std::to_string(c.attempt));
  if (c.stdin_forward != d.stdin_forward) put("KTSTR_STDIN", c.stdin_forward ? "1" : "0");
  if (c.expect_exit != d.expect_exit) put("KTSTR_EXPECT_EXIT", std::to_string(c.expect_exit));
  if (c.on_failure_timeout_s != d.on_failure_timeout_s) put("KTSTR_ON_FAILURE_TIMEOUT", std::to_string(c.on_failure_timeout_s));
  if (c.output_limit != d.output_limit) put("KTSTR_OUTPUT_LIMIT", std::to_string(c.output_limit));
  if (c.warm != d.warm) put("KTSTR_WARM", c.warm ? "1" : "0");
  return w;
}

CmdlineResult parse_cmdline(std::string_view text) {
  CmdlineResult r;
  Config& c = r.config;
  auto bad = [&](std::string_view key, std::string_view val, std::string_view why) {
    r.warnings.push_back(std::string(key) + "=" + std::string(val) + ": " + std::string(why) +
                         ", using the default");
  };
  for (const std::string& w : split_words(text)) {
    if (w == "--") break;  // what follows is init's argv, not parameters
    if (!w.starts_with("KTSTR_")) continue;
    size_t eq = w.find('=');
    std::string_view key = std::string_view(w).substr(0, eq);
    std::string_view val = eq == std::string::npos ? std::string_view() : std::string_view(w).substr(eq + 1);
    if (key == "KTSTR_MODE") {
      if (val == "shell") c.mode = Mode::shell;
      else if (val == "test") c.mode = Mode::test;
      else bad(key, val, "expected test or shell");
    } else if (key == "KTSTR_LOG") {
      if (valid_level(val)) c.log_level = val;
      else bad(key, val, "expected trace|debug|info|warn|error|critical|off");
    } else if (key == "KTSTR_TIMEOUT") {
      if (!parse_uint(val, c.timeout_s, 7 * 24 * 3600)) bad(key, val, "expected seconds (0-604800)");
    } else if (key == "KTSTR_ATTACH_TIMEOUT_MS") {
      if (!parse_uint(val, c.attach_timeout_ms, 3600 * 1000) || c.attach_timeout_ms == 0) {
        c.attach_timeout_ms = Config{}.attach_timeout_ms;
        bad(key, val, "expected milliseconds (1-3600000)");
      }
    } else if (key == "KTSTR_HEARTBEAT_MS") {
      if (!parse_uint(val, c.heartbeat_ms, 3600 * 1000)) bad(key, val, "expected milliseconds");
    } else if (key == "KTSTR_TELEMETRY") {
      if (val == "0" || val == "1") c.telemetry = val == "1";
      else bad(key, val, "expected 0 or 1");
    } else if (key == "KTSTR_STATS_MS") {
      if (!parse_uint(val, c.stats_ms, 3600 * 1000)) bad(key, val, "expected milliseconds (0-3600000)");
    } else if (key == "KTSTR_COLS") {
      if (!parse_uint(val, c.cols, 10000)) bad(key, val, "expected a column count");
    } else if (key == "KTSTR_ROWS") {
      if (!parse_uint(val, c.rows, 10000)) bad(key, val, "expected a row count");
    } else if (key == "KTSTR_TERM") {
      if (valid_term(val)) c.term = val;
      else bad(key, val, "not a terminal name");
    } else if (key == "KTSTR_COLORTERM") {
      if (valid_term(val)) c.colorterm = val;
      else bad(key, val, "not a COLORTERM value");
    } else if (key == "KTSTR_TOPO") {
      std::string why;
      if (auto t = parse_topology(val, why)) c.topo = *t;
      else bad(key, val, why);
    } else if (key == "KTSTR_ATTEMPT") {
      if (!parse_uint(val, c.attempt, 1000) || c.attempt == 0) {
        c.attempt = 0;
        bad(key, val, "expected an attempt number (1-1000)");
      }
    } else if (key == "KTSTR_STDIN") {
      if (val == "0" || val == "1") c.stdin_forward = val == "1";
      else bad(key, val, "expected 0 or 1");
    } else if (key == "KTSTR_EXPECT_EXIT") {
      if (!parse_uint(val, c.expect_exit, 255)) bad(key, val, "expected an exit status (0-255)");
    } else if (key == "KTSTR_ON_FAILURE_TIMEOUT") {
      if (!parse_uint(val, c.on_failure_timeout_s, 3600) || c.on_failure_timeout_s == 0) {
        c.on_failure_timeout_s = Config{}.on_failure_timeout_s;
        bad(key, val, "expected seconds (1-3600)");
      }
    } else if (key == "KTSTR_OUTPUT_LIMIT") {
      if (!parse_uint(val, c.output_limit)) bad(key, val, "expected bytes (0-18446744073709551615)");
    } else if (key == "KTSTR_WARM") {
      if (val == "0" || val == "1") c.warm = val == "1";
      else bad(key, val, "expected 0 or 1");
    } else if (key == "KTSTR_DEBUG_FAULT") {
      if (val == "segv" || val == "abort") c.debug_fault = val;
      else bad(key, val, "expected segv or abort");
    } else {
      r.warnings.push_back(std::string(key) + ": unknown key, ignored");
    }
  }
  return r;
}

}  // namespace ktstr
