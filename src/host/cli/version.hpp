// What `ktstr-vm --version` prints: the release and the git revision it was built from.
#pragma once

#include <string>

namespace ktstr::host {

// "ktstr-vm 0.1.0 (git d654331abcde)"; "(git unknown)" when built outside a git checkout.
std::string version_line();

}  // namespace ktstr::host
