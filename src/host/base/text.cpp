#include "text.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ktstr::host {

std::string shell_quote(const std::string& s) {
  if (s.find_first_of(" '\"\\$`") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string sh_word(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void keep_tail(std::string& tail, std::string_view data, size_t max) {
  tail.append(data);
  if (tail.size() > max) tail.erase(0, tail.size() - max);
}

std::string read_whole_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open for reading");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\r\n");
  if (end == std::string::npos) return "";
  size_t nl = text.rfind('\n', end);
  size_t begin = nl == std::string::npos ? 0 : nl + 1;
  return text.substr(begin, end - begin + 1);
}

}  // namespace ktstr::host
