#include "guest_json.hpp"

namespace ktstr::host::guest_json {

const nlohmann::json* field(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::optional<std::string> string(const nlohmann::json& obj, const char* key) {
  const nlohmann::json* f = field(obj, key);
  if (!f || !f->is_string()) return std::nullopt;
  return f->get<std::string>();
}

std::optional<uint64_t> uint(const nlohmann::json& obj, const char* key, uint64_t max) {
  const nlohmann::json* f = field(obj, key);
  // A JSON integer that fits int64 but is >= 0 parses as unsigned; negative ones do not qualify.
  if (!f || !f->is_number_unsigned() || f->get<uint64_t>() > max) return std::nullopt;
  return f->get<uint64_t>();
}

std::optional<bool> boolean(const nlohmann::json& obj, const char* key) {
  const nlohmann::json* f = field(obj, key);
  if (!f || !f->is_boolean()) return std::nullopt;
  return f->get<bool>();
}

}  // namespace ktstr::host::guest_json
