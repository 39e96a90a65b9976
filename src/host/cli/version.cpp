#include "version.hpp"

#include "git_revision.hpp"  // generated at build time by cmake/GitRevision.cmake

namespace ktstr::host {

std::string version_line() { return std::string("ktstr-vm ") + KTSTR_VERSION + " (git " + KTSTR_GIT_REVISION + ")"; }

}  // namespace ktstr::host
