#include "sysfs_script.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <sstream>

#include "fd.hpp"

namespace ktstr::init {
namespace {

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
    return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

std::vector<ScriptError> run_sysfs_script(const char* path) {
  std::vector<ScriptError> errors;
  std::string text;
  if (!read_file(path, text)) {
    if (errno != ENOENT) errors.push_back({0, errno_message(std::string("read ") + path, errno)});
    return errors;
  }
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    size_t gt = line.find(" > ");
    if (!line.starts_with("echo ") || gt == std::string::npos) {
      errors.push_back({lineno, "expected `echo VALUE > /path`, got `" + line + "`"});
      continue;
    }
    std::string value = unquote(trim(line.substr(5, gt - 5))) + "\n";
    std::string target = trim(line.substr(gt + 3));
    UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid() || !write_all(fd.get(), value.data(), value.size()))
      errors.push_back({lineno, "`" + line + "`: " + errno_message("write " + target, errno)});
  }
  return errors;
}

std::string describe(const ScriptError& e, const std::string& what) {
  return what + (e.line ? " line " + std::to_string(e.line) : "") + ": " + e.message;
}

}  // namespace ktstr::init
