#include "exit_status.hpp"

#include <CLI/CLI.hpp>

#include "ktstr/exit_codes.hpp"
#include "status_error.hpp"
#include "suite_manifest.hpp"

namespace ktstr::host {

int status_of(const std::exception& e) {
  if (dynamic_cast<const CLI::Error*>(&e) || dynamic_cast<const ManifestError*>(&e)) return exit_code::kUsage;
  if (auto* s = dynamic_cast<const StatusError*>(&e)) return s->status;
  return exit_code::kInfrastructure;
}

}  // namespace ktstr::host
