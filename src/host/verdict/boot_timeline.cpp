#include "boot_timeline.hpp"

namespace ktstr::host {
namespace {

double number(const nlohmann::json& obj, const char* key, double fallback = -1) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_number()) return fallback;
  return obj[key].get<double>();
}

}  // namespace

nlohmann::json boot_timeline(const nlohmann::json& host_ms, const nlohmann::json& helo, const nlohmann::json& done) {
  nlohmann::json t = nlohmann::json::object();
  t["qemu_start"] = 0.0;
  if (double c = number(host_ms, "first_console_byte"); c >= 0) t["first_console_byte"] = c;
  double helo_host = number(host_ms, "HELO");
  double helo_guest = number(helo, "t_ms");
  double init_guest = done.is_object() && done.contains("timings_ms") ? number(done["timings_ms"], "init_start") : -1;
  // Guest times are CLOCK_BOOTTIME (0 at the kernel's clock start); the distance HELO - init
  // start holds on both clocks, so init's exec lands that far before HELO's arrival.
  if (helo_host >= 0 && helo_guest >= 0 && init_guest >= 0 && helo_guest >= init_guest) {
    double exec_host = helo_host - (helo_guest - init_guest);
    t["init_exec"] = exec_host;
    // What came before the kernel's clock: firmware, loading the kernel and initramfs.
    if (exec_host >= init_guest) t["kernel_clock_start"] = exec_host - init_guest;
  }
  if (helo_host >= 0) t["HELO"] = helo_host;
  if (double p = number(host_ms, "payload_started"); p >= 0) t["payload_started"] = p;
  if (double d = number(host_ms, "DONE"); d >= 0) t["DONE"] = d;
  return t;
}

}  // namespace ktstr::host
