#include "suite_select.hpp"

#include <fnmatch.h>

#include <charconv>
#include <stdexcept>

namespace ktstr::host {

Shard parse_shard(const std::string& text) {
  Shard s;
  auto slash = text.find('/');
  auto number = [&](std::string_view part, unsigned& out) {
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && p == part.data() + part.size() && !part.empty();
  };
  std::string_view t(text);
  if (slash == std::string::npos || !number(t.substr(0, slash), s.index) || !number(t.substr(slash + 1), s.count) ||
      s.count == 0 || s.index == 0 || s.index > s.count)
    throw std::invalid_argument("--shard '" + text + "': expected I/N with 1 <= I <= N, e.g. 2/3");
  return s;
}

std::vector<std::size_t> select_tests(const std::vector<SuiteTest>& tests, const std::vector<std::string>& filters,
                                      Shard shard) {
  std::vector<std::size_t> out;
  std::size_t passed = 0;
  for (std::size_t i = 0; i < tests.size(); ++i) {
    const std::string& name = tests[i].name;
    bool match = filters.empty();
    for (const auto& f : filters)
      if (f == name || fnmatch(f.c_str(), name.c_str(), 0) == 0) match = true;
    if (!match) continue;
    if (passed++ % shard.count == shard.index - 1) out.push_back(i);
  }
  if (!filters.empty() && passed == 0) {
    std::string list;
    for (const auto& f : filters) list += (list.empty() ? "'" : ", '") + f + "'";
    throw std::invalid_argument("--filter " + list + " matches no test of the " + std::to_string(tests.size()) +
                                " in the manifest (--list shows their names)");
  }
  return out;
}

}  // namespace ktstr::host
