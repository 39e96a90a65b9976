// An error that ends ktstr-vm with a given status before anything runs (126 not executable,
// 127 not found), instead of the generic 125.
#pragma once

#include <stdexcept>
#include <string>

namespace ktstr::host {

struct StatusError : std::runtime_error {
  StatusError(int s, const std::string& what) : std::runtime_error(what), status(s) {}
  int status;
};

}  // namespace ktstr::host
