#include "run_result.hpp"

#include <spdlog/spdlog.h>

#include "crash.hpp"
#include "ktstr/json_str.hpp"
#include "log.hpp"

namespace ktstr::init {

void enter_phase(Com2& com2, const char* name) {
  crash::set_phase(name);
  com2.send(wire::kPhas, std::string("{\"phase\":\"") + name + "\"}");
}

void send_fatal(Com2& com2, const std::string& error) {
  com2.send(wire::kFatl, "{\"error\":" + json_str(error) + ",\"phase\":" + json_str(crash::phase()) + "}");
  console_note("FATAL: " + error);
}

void fail_run(RunResult& result, Com2& com2, const std::string& error) {
  spdlog::error("{}", error);
  send_fatal(com2, error);
  result.reason = error;
}

}  // namespace ktstr::init
