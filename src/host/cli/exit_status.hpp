// The host's error rule in one place (written out in cli/main.cpp's header): the exit status
// that an exception from set-up ends ktstr-vm, or one suite test, with.
#pragma once

#include <exception>

namespace ktstr::host {

// CLI11's errors and ManifestError: 2 (usage). StatusError: its own status (126, 127, 2 for a
// bad --tool). Anything else (std::runtime_error, std::bad_alloc, ...): 125.
int status_of(const std::exception& e);

}  // namespace ktstr::host
