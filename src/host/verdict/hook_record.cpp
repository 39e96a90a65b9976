#include "hook_record.hpp"

#include "guest_json.hpp"
#include "ktstr/exit_codes.hpp"

namespace ktstr::host {

void HookRecord::output(std::string_view bytes) {
  bytes_ += bytes.size();
  size_t to_head = std::min(bytes.size(), kKeep - head_.size());
  head_.append(bytes.substr(0, to_head));
  bytes.remove_prefix(to_head);
  if (bytes.empty()) return;
  tail_.append(bytes);
  if (tail_.size() > 2 * kKeep) tail_.erase(0, tail_.size() - kKeep);  // amortised: erase in halves
}

void HookRecord::end(const nlohmann::json& hend) {
  if (ends_++ == 0) end_ = hend;
}

nlohmann::json HookRecord::report(const std::string& command) const {
  if (command.empty() && !ran()) return nullptr;
  nlohmann::json r;
  r["command"] = command.empty() ? nlohmann::json(nullptr) : nlohmann::json(command);
  if (command.empty()) r["unasked"] = true;  // no hook was packed, yet the guest sent its frames
  r["ran"] = ran();
  auto code = guest_json::uint(end_, "code", 255);
  auto sig = guest_json::uint(end_, "signal", 64);
  r["exit_code"] = code ? nlohmann::json(*code) : sig ? nlohmann::json(exit_code::for_signal(int(*sig)))
                                                      : nlohmann::json(nullptr);
  r["signal"] = sig ? nlohmann::json(*sig) : nlohmann::json(nullptr);
  auto timed_out = guest_json::boolean(end_, "timed_out");
  r["timed_out"] = timed_out ? nlohmann::json(*timed_out) : nlohmann::json(nullptr);
  auto ms = guest_json::uint(end_, "ms");
  r["ms"] = ms ? nlohmann::json(*ms) : nlohmann::json(nullptr);
  auto error = guest_json::string(end_, "error", 4096);
  r["error"] = error ? nlohmann::json(*error) : nlohmann::json(nullptr);
  if (ran() && !ended()) r["error"] = "no HEND: the hook's end never arrived";
  if (ends_ > 1) r["extra_ends"] = ends_ - 1;
  size_t tail_keep = std::min<uint64_t>(tail_.size(), std::min<uint64_t>(kKeep, bytes_ - head_.size()));
  uint64_t cut = bytes_ - head_.size() - tail_keep;
  std::string text = head_;
  if (cut) text += "\n[... " + std::to_string(cut) + " bytes cut ...]\n";
  text += tail_.substr(tail_.size() - tail_keep);
  r["output"] = std::move(text);
  r["output_bytes"] = bytes_;
  r["output_cut"] = cut;
  return r;
}

std::string HookRecord::end_line() const {
  std::string how;
  if (auto code = guest_json::uint(end_, "code", 255)) how = "exit " + std::to_string(*code);
  else if (auto sig = guest_json::uint(end_, "signal", 64)) how = "killed by signal " + std::to_string(*sig);
  else if (auto err = guest_json::string(end_, "error", 200)) how = "could not start: " + *err;
  else how = "ended";
  if (guest_json::boolean(end_, "timed_out").value_or(false)) how += " after its timeout";
  if (auto ms = guest_json::uint(end_, "ms")) how += " in " + std::to_string(*ms) + " ms";
  return "on-failure hook: " + how + ", " + std::to_string(bytes_) + " bytes of output (in the JSON report)";
}

}  // namespace ktstr::host
