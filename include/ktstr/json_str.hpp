// Control frame values are small JSON objects; init builds them by hand (no JSON library in the
// guest). json_str() quotes and escapes any byte string into a valid JSON string.
#pragma once

#include <string>
#include <string_view>

namespace ktstr {

inline std::string json_str(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {  // non-ASCII escaped too: the value stays valid UTF-8
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace ktstr
