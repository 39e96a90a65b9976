#include "cli_numbers.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace ktstr::host {
std::string format_bound(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.15g", v);
  return b;
}

std::string number_error(std::string_view text, double lo, double hi, bool whole) {
  std::string t(text);
  std::string range = " is not in the range " + format_bound(lo) + " to " + format_bound(hi);
  const char* end = text.data() + text.size();
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), end, v);
  // from_chars also reads "inf" and "nan": neither is a value anyone means.
  if (text.empty() || p != end || (ec != std::errc() && ec != std::errc::result_out_of_range) ||
      (ec == std::errc() && !std::isfinite(v)))
    return t + " is not a number";
  if (ec == std::errc::result_out_of_range) return t + range;
  if (whole) {
    int64_t i = 0;
    auto [q, ec2] = std::from_chars(text.data(), end, i);
    if (ec2 == std::errc::result_out_of_range) return t + range;
    if (ec2 != std::errc() || q != end) return t + " is not a whole number";
    v = double(i);
  }
  if (v < lo || v > hi) return t + range;
  return "";
}

}  // namespace ktstr::host
