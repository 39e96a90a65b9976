#include "pack_cmd.hpp"

#include <cstdlib>
#include <optional>

#include "kernel_image.hpp"
#include "ktstr/exit_codes.hpp"
#include "pack.hpp"
#include "pack_spec.hpp"

namespace ktstr::host {

int pack_command(const PackOptions& o) {
  PackSpec spec = o.run.pack;
  set_compression(spec, o.compression);
  std::optional<KernelImage> kernel;  // only a kernel that was asked for: its config
  if (!o.run.vm.kernel.empty() || std::getenv("KTSTR_KERNEL")) kernel = resolve_kernel(o.run.vm.kernel);
  pack_initramfs(resolve_pack_spec(spec, o.run.init, o.run.scheduler, kernel ? &*kernel : nullptr), o.output);
  return exit_code::kOk;
}

}  // namespace ktstr::host
