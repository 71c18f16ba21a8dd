#include "rooms/auth_util.h"

#include <cmath>
#include <limits>

namespace myelin::rooms::internal {

std::string_view string_field(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

const json::object* object_field(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

std::optional<std::int64_t> as_integer(const json::value& value) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(value.get_uint64());
  }
  return std::nullopt;
}

namespace {

// "  -0042 " style power levels (before v10).
std::optional<std::int64_t> parse_stringy_integer(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return std::nullopt;
  text = text.substr(first, text.find_last_not_of(kSpace) - first + 1);
  const bool negative = text.starts_with('-');
  if (negative || text.starts_with('+')) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t magnitude = 0;  // accumulated negatively so that INT64_MIN fits
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (magnitude < (std::numeric_limits<std::int64_t>::min() + (c - '0')) / 10) return std::nullopt;
    magnitude = magnitude * 10 - (c - '0');
  }
  if (!negative && magnitude == std::numeric_limits<std::int64_t>::min()) return std::nullopt;
  return negative ? magnitude : -magnitude;
}

}  // namespace

std::optional<std::int64_t> as_power_level(const json::value& value, const RoomVersionRules& rules) {
  if (auto integer = as_integer(value)) return integer;
  if (value.is_string() && !rules.integer_power_levels) return parse_stringy_integer(value.get_string());
  if (value.is_double() && !rules.strict_canonical_json) {
    const double truncated = std::trunc(value.get_double());
    // [-2^63, 2^63): the doubles that convert to int64 exactly; NaN and infinities fail.
    if (truncated >= -9223372036854775808.0 && truncated < 9223372036854775808.0) {
      return static_cast<std::int64_t>(truncated);
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> power_level_field(const json::object* object, std::string_view key,
                                              const RoomVersionRules& rules) {
  if (!object) return std::nullopt;
  const json::value* v = object->if_contains(key);
  return v ? as_power_level(*v, rules) : std::nullopt;
}

const json::object* content_of(const json::object* pdu) { return pdu ? object_field(*pdu, "content") : nullptr; }

std::string_view membership_of(const json::object* member_pdu) {
  const json::object* content = content_of(member_pdu);
  if (!content) return "leave";
  const std::string_view membership = string_field(*content, "membership");
  return membership.empty() ? std::string_view("leave") : membership;
}

std::string_view server_of(std::string_view user_id) {
  const std::size_t colon = user_id.find(':');
  return colon == std::string_view::npos ? std::string_view() : user_id.substr(colon + 1);
}

std::vector<std::string> room_creators(const json::object& create, const RoomVersionRules& rules) {
  std::vector<std::string> creators;
  if (!rules.use_room_create_sender) {
    const json::object* content = content_of(&create);
    const std::string_view creator = content ? string_field(*content, "creator") : "";
    if (!creator.empty()) creators.emplace_back(creator);
    return creators;
  }
  creators.emplace_back(string_field(create, "sender"));
  if (rules.creators_have_infinite_power) {
    const json::object* content = content_of(&create);
    const json::value* extra = content ? content->if_contains("additional_creators") : nullptr;
    if (extra && extra->is_array()) {
      for (const json::value& user : extra->get_array()) {
        if (user.is_string()) creators.emplace_back(user.get_string());
      }
    }
  }
  return creators;
}

}  // namespace myelin::rooms::internal
