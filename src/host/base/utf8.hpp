// UTF-8 well-formedness for guest text that goes into reports (JSON, XML).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ktstr::host {

// Length of the well-formed UTF-8 sequence at s[i] (1-4), or 0 if the bytes there are not one
// (bad lead or continuation byte, overlong form, surrogate, beyond U+10FFFF, cut off at the end).
size_t utf8_sequence_length(std::string_view s, size_t i);
bool valid_utf8(std::string_view s);

}  // namespace ktstr::host
