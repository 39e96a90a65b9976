// Checks of numeric command-line values, with messages that say what is wrong ("abc is not a
// number"), for the CLI11 validators in main.cpp. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace ktstr::host {

// Why `text` is not a number from `lo` to `hi` (a whole one if `whole`); "" if it is.
//   "abc is not a number", "1.5 is not a whole number", "700000 is not in the range 0 to 604800"
std::string number_error(std::string_view text, double lo, double hi, bool whole);

// A bound as a user writes it: "604800", "0.5".
std::string format_bound(double v);

}  // namespace ktstr::host
