// Checked reads of guest JSON (frame values): the guest is untrusted, so a field may be missing or
// of any type. Each accessor returns nullopt then, never throws and never reads through a const
// operator[] (undefined behaviour for a missing key).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ktstr::host::guest_json {

// The member `key` of `obj`; nullptr if `obj` is not an object or has no such member.
const nlohmann::json* field(const nlohmann::json& obj, const char* key);
std::optional<std::string> string(const nlohmann::json& obj, const char* key);
// A non-negative integer no larger than `max`.
std::optional<uint64_t> uint(const nlohmann::json& obj, const char* key, uint64_t max = UINT64_MAX);
std::optional<bool> boolean(const nlohmann::json& obj, const char* key);
// A string member no longer than `max_len` bytes.
std::optional<std::string> string(const nlohmann::json& obj, const char* key, size_t max_len);
// A member that is itself an object or an array; nullptr if absent or of another type.
const nlohmann::json* object(const nlohmann::json& obj, const char* key);
const nlohmann::json* array(const nlohmann::json& obj, const char* key);
// A value itself (an array element, an object's member value) as a non-negative integer.
std::optional<uint64_t> uint_value(const nlohmann::json& v, uint64_t max = UINT64_MAX);

}  // namespace ktstr::host::guest_json
