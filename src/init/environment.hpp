// The environment every child inherits, set once in PID 1 before any child exists:
// PATH (every /include-files directory holding an executable comes first), HOME, TERM,
// KTSTR_GUEST_INIT=1, KTSTR_OUTPUT.
#pragma once

#include "ktstr/cmdline.hpp"

namespace ktstr::init {

void set_environment(const Config& config);

}  // namespace ktstr::init
