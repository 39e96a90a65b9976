#include "ktstr/kmsg_record.hpp"

#include <climits>

// json_str() is header-only and dependency-free; the guest's one JSON escaper is reused here so
// a KMSG value is escaped exactly like every other control frame.
#include "ktstr/json_str.hpp"

namespace ktstr {
namespace {

// A decimal field: non-empty, digits only, no overflow past `max`.
std::optional<uint64_t> parse_decimal(std::string_view s, uint64_t max) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = uint64_t(c - '0');
    if (v > (max - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits off the text up to `sep` (not included); the rest follows it. No `sep`: all of s.
std::string_view take_until(std::string_view& s, char sep) {
  size_t at = s.find(sep);
  std::string_view head = s.substr(0, at);
  s = at == std::string_view::npos ? std::string_view() : s.substr(at + 1);
  return head;
}

}  // namespace

std::string kmsg_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
      int hi = hex_digit(s[i + 2]), lo = hex_digit(s[i + 3]);
      if (hi >= 0 && lo >= 0) {
        out += char(hi << 4 | lo);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::optional<KmsgRecord> parse_kmsg_record(std::string_view raw) {
  size_t semi = raw.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  std::string_view header = raw.substr(0, semi);
  std::string_view body = raw.substr(semi + 1);
  // The header is one line: a '\n' before the ';' means the ';' belongs to something else.
  if (header.find('\n') != std::string_view::npos) return std::nullopt;

  auto pri = parse_decimal(take_until(header, ','), INT_MAX);
  auto seq = parse_decimal(take_until(header, ','), UINT64_MAX);
  auto ts = parse_decimal(take_until(header, ','), UINT64_MAX);
  if (!pri || !seq || !ts) return std::nullopt;

  KmsgRecord r;
  r.prio = int(*pri & 7);
  r.facility = int(*pri >> 3);
  r.seq = *seq;
  r.ts_us = *ts;
  r.flags = take_until(header, ',');  // further fields: ignored (dev-kmsg ABI)
  r.msg = kmsg_unescape(take_until(body, '\n'));
  while (!body.empty()) {
    std::string_view line = take_until(body, '\n');
    if (line.starts_with(' ')) r.cont.push_back(kmsg_unescape(line.substr(1)));
  }
  return r;
}

std::string kmsg_record_json(const KmsgRecord& r) {
  std::string v = "{\"prio\":" + std::to_string(r.prio) + ",\"facility\":" + std::to_string(r.facility) +
                  ",\"seq\":" + std::to_string(r.seq) + ",\"ts_us\":" + std::to_string(r.ts_us) +
                  ",\"msg\":" + json_str(r.msg) + ",\"cont\":[";
  for (size_t i = 0; i < r.cont.size(); ++i) {
    if (i) v += ',';
    v += json_str(r.cont[i]);
  }
  return v + "]}";
}

}  // namespace ktstr
