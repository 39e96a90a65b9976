#include "pack_spec.hpp"

#include "paths.hpp"

namespace ktstr::host {

PackSpec resolve_pack_spec(PackSpec spec, const std::string& init, const std::string& scheduler,
                           const KernelImage* kernel) {
  spec.init = resolve_init(init);
  if (!scheduler.empty()) spec.scheduler = resolve_scheduler(scheduler);
  if (kernel) {
    spec.kernel_config = kernel->config;
    spec.kernel_release = kernel->release;
  }
  return spec;
}

}  // namespace ktstr::host
