// Text and JSON views of frames. Everything here takes untrusted bytes: invalid UTF-8, control
// characters and malformed JSON are shown (escaped or encoded), never trusted or thrown on.
#include "frame_views.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "utf8.hpp"

namespace ktstr::host {
namespace {

using Json = nlohmann::ordered_json;  // keeps the guest's key order

void append_hex_escape(std::string& out, uint8_t b) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xF];
}

std::string_view as_chars(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A value that is a JSON object, as a text check (the text view does not need the parse tree).
bool is_json_object(std::span<const uint8_t> value) {
  std::string_view s = as_chars(value);
  size_t first = s.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && s[first] == '{' && Json::accept(s);
}

// Raw bytes as a JSON string: the text when it is UTF-8, else base64 (recorded in "encoding").
void put_bytes(Json& j, std::span<const uint8_t> bytes) {
  if (valid_utf8(as_chars(bytes))) {
    j["encoding"] = "text";
    j["value"] = std::string(as_chars(bytes));
  } else {
    j["encoding"] = "base64";
    j["value"] = base64_encode(bytes);
  }
}

}  // namespace

bool has_byte_value(wire::Tag type) { return wire::is_raw(type); }

std::string base64_encode(std::span<const uint8_t> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = uint32_t(bytes[i]) << 16 | uint32_t(bytes[i + 1]) << 8 | bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 0x3F];
  }
  size_t rest = bytes.size() - i;
  if (rest) {
    uint32_t v = uint32_t(bytes[i]) << 16 | (rest == 2 ? uint32_t(bytes[i + 1]) << 8 : 0);
    out += kAlphabet[(v >> 18) & 0x3F];
    out += kAlphabet[(v >> 12) & 0x3F];
    out += rest == 2 ? kAlphabet[(v >> 6) & 0x3F] : '=';
    out += '=';
  }
  return out;
}

std::string escape_text(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size());
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  for (size_t i = 0; i < n;) {
    uint8_t b = p[i];
    if ((b >= 0x20 && b < 0x7F) || b == '\t') {
      out += char(b);
      ++i;
    } else if (b == '\n') {
      out += "\\n";
      ++i;
    } else if (b == '\r') {
      out += "\\r";
      ++i;
    } else if (size_t len = b >= 0x80 ? utf8_sequence_length(as_chars(bytes), i) : 0;
               len && !(b == 0xC2 && p[i + 1] < 0xA0)) {
      // Well-formed UTF-8, except the C1 controls U+0080..U+009F that terminals act on.
      out.append(reinterpret_cast<const char*>(p + i), len);
      i += len;
    } else {
      append_hex_escape(out, b);
      ++i;
    }
  }
  return out;
}

std::string format_timestamp(uint64_t t_ns) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "[%4" PRIu64 ".%06" PRIu64 "]", t_ns / 1000000000u,
                t_ns % 1000000000u / 1000u);
  return buf;
}

std::string frame_to_json(const wire::Frame& f, bool* value_is_json) {
  if (value_is_json) *value_is_json = true;
  Json j;
  j["type"] = escape_text(as_bytes(f.type.view()));
  j["seq"] = f.seq;
  j["t_ns"] = f.t_ns;
  if (has_byte_value(f.type)) {
    put_bytes(j, f.value);
  } else {
    std::string_view text = as_chars(f.value);
    Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_object()) {
      j["value"] = std::move(value);
    } else {
      if (value_is_json) *value_is_json = false;
      put_bytes(j, f.value);
      j["invalid_json"] = true;
    }
  }
  // `replace`: a string that slipped through as invalid UTF-8 must not throw.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void TextFormatter::format(const wire::Frame& f, std::string& out, bool* value_is_json) {
  if (value_is_json) *value_is_json = true;
  if (!has_byte_value(f.type)) {
    bool ok = is_json_object(f.value);
    if (value_is_json) *value_is_json = ok;
    out += format_timestamp(f.t_ns);
    out += " #";
    out += std::to_string(f.seq);
    out += ' ';
    out += escape_text(as_bytes(f.type.view()));
    out += ' ';
    out += escape_text(f.value);
    if (!ok) out += "  (value is not a JSON object)";
    out += '\n';
    return;
  }
  std::string& partial = partial_for(f.type);
  std::span<const uint8_t> rest = f.value;
  while (!rest.empty()) {
    auto nl = std::find(rest.begin(), rest.end(), uint8_t('\n'));
    if (nl == rest.end()) {
      partial.append(as_chars(rest));
      if (partial.size() >= kMaxLine) {
        emit_line(f.type, as_bytes(partial), out);
        partial.clear();
      }
      break;
    }
    size_t len = size_t(nl - rest.begin());
    if (partial.empty()) {
      emit_line(f.type, rest.first(len), out);
    } else {
      partial.append(as_chars(rest.first(len)));
      emit_line(f.type, as_bytes(partial), out);
      partial.clear();
    }
    rest = rest.subspan(len + 1);
  }
}

void TextFormatter::flush(std::string& out) {
  for (auto& [type, partial] : partial_) {
    if (partial.empty()) continue;
    emit_line(type, as_bytes(partial), out);
    partial.clear();
  }
}

std::string& TextFormatter::partial_for(wire::Tag type) {
  for (auto& [t, partial] : partial_)
    if (t == type) return partial;
  return partial_.emplace_back(type, std::string()).second;
}

void TextFormatter::emit_line(wire::Tag type, std::span<const uint8_t> line, std::string& out) {
  out += escape_text(as_bytes(type.view()));
  out += "| ";
  out += escape_text(line);
  out += '\n';
}

}  // namespace ktstr::host
