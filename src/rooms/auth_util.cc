#include "rooms/auth_util.h"

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

std::optional<std::int64_t> integer_field(const json::object* object, std::string_view key) {
  if (!object) return std::nullopt;
  const json::value* v = object->if_contains(key);
  return v ? as_integer(*v) : std::nullopt;
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
