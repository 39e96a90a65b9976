// libFuzzer target for the /dev/kmsg record parser (src/common/kmsg_record.cpp).
// Invariants (abort on violation):
//   - a parsed record has prio in 0..7 and facility >= 0;
//   - writing the record back in the kernel's format (escaping as printk does) and parsing it
//     again gives the same record (what the parser accepts, it reproduces);
//   - kmsg_record_json() is valid JSON whose fields equal the record's (each byte as U+00XX);
//   - kmsg_unescape() never grows its input.
// Build: scripts/fuzz.sh (CMake, KTSTR_PART=fuzz).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ktstr/kmsg_record.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "kmsg_record_fuzz: invariant violated: %s\n", what);
  std::abort();
}

// As the kernel's msg_add_ext_text(): bytes < 0x20, >= 0x7f and '\' become \xNN.
std::string kernel_escape(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c < ' ' || c >= 127 || c == '\\') {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out;
}

// The record as /dev/kmsg would format it. FLAGS is written as parsed: it never holds ',' or ';'.
std::string to_raw(const ktstr::KmsgRecord& r) {
  std::string s = std::to_string((uint64_t(r.facility) << 3) | uint64_t(r.prio)) + "," +
                  std::to_string(r.seq) + "," + std::to_string(r.ts_us) + "," + r.flags + ";" +
                  kernel_escape(r.msg) + "\n";
  for (const std::string& c : r.cont) s += " " + kernel_escape(c) + "\n";
  return s;
}

// The JSON string form of bytes under the guest's escaping: byte B is code point U+00BB.
std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80) {
      out += char(c);
    } else {
      out += char(0xC0 | c >> 6);
      out += char(0x80 | (c & 0x3F));
    }
  }
  return out;
}

bool same(const ktstr::KmsgRecord& a, const ktstr::KmsgRecord& b) {
  return a.prio == b.prio && a.facility == b.facility && a.seq == b.seq && a.ts_us == b.ts_us &&
         a.flags == b.flags && a.msg == b.msg && a.cont == b.cont;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  check(ktstr::kmsg_unescape(raw).size() <= raw.size(), "unescape grew its input");

  auto r = ktstr::parse_kmsg_record(raw);
  if (!r) return 0;
  check(r->prio >= 0 && r->prio <= 7, "prio range");
  check(r->facility >= 0, "facility range");
  check(r->flags.find_first_of(",;\n") == std::string::npos, "flags holds a separator");

  auto again = ktstr::parse_kmsg_record(to_raw(*r));
  check(again.has_value(), "re-parse of an accepted record failed");
  check(same(*again, *r), "re-parse changed the record");

  nlohmann::json v = nlohmann::json::parse(ktstr::kmsg_record_json(*r), nullptr, false);
  check(!v.is_discarded() && v.is_object(), "JSON does not parse");
  check(v["prio"] == r->prio && v["facility"] == r->facility && v["seq"] == r->seq && v["ts_us"] == r->ts_us,
        "JSON numbers");
  check(v["msg"] == latin1_to_utf8(r->msg), "JSON msg");
  check(v["cont"].is_array() && v["cont"].size() == r->cont.size(), "JSON cont size");
  for (size_t i = 0; i < r->cont.size(); ++i) check(v["cont"][i] == latin1_to_utf8(r->cont[i]), "JSON cont");
  return 0;
}
