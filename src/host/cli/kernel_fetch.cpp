#include "kernel_fetch.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "ktstr/exit_codes.hpp"
#include "paths.hpp"

namespace ktstr::host {

int kernel_fetch_command(bool refresh) {
  std::string script = runtime_file("fetch-kernel.sh");
  if (access(script.c_str(), R_OK) != 0) {
    std::cerr << "ktstr-vm: error: kernel fetch: " << script << ": " << std::strerror(errno)
              << " (it is installed beside ktstr-vm, or in ../libexec/ktstr-init)\n";
    return exit_code::kInfrastructure;
  }
  std::cout.flush();
  const char* argv[] = {"bash", script.c_str(), refresh ? "--refresh" : nullptr, nullptr};
  execvp("bash", const_cast<char* const*>(argv));
  std::cerr << "ktstr-vm: error: kernel fetch: cannot run bash " << script << ": " << std::strerror(errno) << "\n";
  return exit_code::kInfrastructure;
}

}  // namespace ktstr::host
