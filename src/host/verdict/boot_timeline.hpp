// Where a boot's time went, on the host's clock from QEMU's start: first console byte, init's
// exec, HELO, payload start. So a slow boot can be attributed to firmware and kernel or to init.
#pragma once

#include <nlohmann/json.hpp>

namespace ktstr::host {

// `host_ms`: first arrival (host ms since QEMU start) of HELO, each phase and DONE, plus
// "first_console_byte". `helo` and `done` are the frames' JSON (with guest "t_ms"); either may be
// null. init's exec has no host arrival of its own: it is placed HELO's guest distance from
// init's start (DONE's timings_ms.init_start) before HELO's arrival. Absent moments are left out.
nlohmann::json boot_timeline(const nlohmann::json& host_ms, const nlohmann::json& helo, const nlohmann::json& done);

}  // namespace ktstr::host
