#include "stdin_forward.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "guest_json.hpp"
#include "ktstr/wire.hpp"

namespace ktstr::host {

bool stdin_forwardable(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISREG(st.st_mode);
}

bool StdinForwarder::on_ack(std::string_view json, std::string& error) {
  nlohmann::json v = nlohmann::json::parse(json, nullptr, false);
  auto taken = guest_json::uint(v, "taken");
  auto window = guest_json::uint(v, "window");
  auto closed = guest_json::boolean(v, "closed");
  if (!taken || !window || !closed) {
    error = "malformed SACK frame";
    ++rejected_;
    return false;
  }
  if (*taken > sent_) {
    error = "SACK takes " + std::to_string(*taken) + " bytes, only " + std::to_string(sent_) + " were sent";
    ++rejected_;
    return false;
  }
  granted_ = true;
  taken_ = std::max(taken_, *taken);  // acknowledgements only move forward
  window_ = std::min<uint64_t>(*window, kMaxWindow);
  closed_ = closed_ || *closed;
  return true;
}

size_t StdinForwarder::room() const {
  if (!granted_ || done()) return 0;
  uint64_t in_flight = sent_ - taken_;
  if (in_flight >= window_) return 0;
  return size_t(std::min<uint64_t>(window_ - in_flight, wire::kStreamChunk));
}

void StdinForwarder::sent(size_t n) {
  if (n == 0) eof_sent_ = true;
  sent_ += n;
}

}  // namespace ktstr::host
