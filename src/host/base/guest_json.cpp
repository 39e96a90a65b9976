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
  return f ? uint_value(*f, max) : std::nullopt;
}

std::optional<uint64_t> uint_value(const nlohmann::json& v, uint64_t max) {
  // A JSON integer that fits int64 but is >= 0 parses as unsigned; negative ones do not qualify.
  if (!v.is_number_unsigned() || v.get<uint64_t>() > max) return std::nullopt;
  return v.get<uint64_t>();
}

std::optional<bool> boolean(const nlohmann::json& obj, const char* key) {
  const nlohmann::json* f = field(obj, key);
  if (!f || !f->is_boolean()) return std::nullopt;
  return f->get<bool>();
}

std::optional<std::string> string(const nlohmann::json& obj, const char* key, size_t max_len) {
  const nlohmann::json* f = field(obj, key);
  if (!f || !f->is_string() || f->get_ref<const std::string&>().size() > max_len) return std::nullopt;
  return f->get<std::string>();
}

const nlohmann::json* object(const nlohmann::json& obj, const char* key) {
  const nlohmann::json* f = field(obj, key);
  return f && f->is_object() ? f : nullptr;
}

const nlohmann::json* array(const nlohmann::json& obj, const char* key) {
  const nlohmann::json* f = field(obj, key);
  return f && f->is_array() ? f : nullptr;
}

}  // namespace ktstr::host::guest_json
