#include "text.hpp"

namespace ktstr::host {

std::string shell_quote(const std::string& s) {
  if (s.find_first_of(" '\"\\$`") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void keep_tail(std::string& tail, std::string_view data, size_t max) {
  tail.append(data);
  if (tail.size() > max) tail.erase(0, tail.size() - max);
}

}  // namespace ktstr::host
