// check_pdu_format: the event format of each room version, checked on receipt.
#include "rooms/pdu_format.h"

#include <limits>
#include <string>
#include <string_view>

#include "core/ids.h"
#include "rooms/auth_util.h"

namespace myelin::rooms {
namespace {

using internal::as_integer;

constexpr std::size_t kMaxKeyBytes = 255;  // state_key, type
constexpr std::size_t kMaxPrevEvents = 20;
constexpr std::size_t kMaxAuthEvents = 10;
constexpr std::size_t kHashIdChars = 43;  // unpadded base64 of a sha256 hash

std::unexpected<core::Error> bad(std::string message) { return core::fail(core::Errc::kBadJson, std::move(message)); }

bool is_base64_char(char c, bool url_safe) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return url_safe ? (c == '-' || c == '_') : (c == '+' || c == '/');
}

// "$" or "!" + the 43 characters of an unpadded base64 sha256 hash.
bool is_hash_id(std::string_view id, char sigil, bool url_safe) {
  if (id.size() != kHashIdChars + 1 || id.front() != sigil) return false;
  for (char c : id.substr(1)) {
    if (!is_base64_char(c, url_safe)) return false;
  }
  return true;
}

// An event ID in the version's format.
bool is_event_id(const json::value& value, const RoomVersionRules& rules) {
  if (!value.is_string()) return false;
  const std::string_view id = value.get_string();
  switch (rules.event_id_format) {
    case EventIdFormat::kServerScoped: return core::EventId::parse(id) && id.find(':') != std::string_view::npos;
    case EventIdFormat::kReferenceHash: return is_hash_id(id, '$', false);
    case EventIdFormat::kReferenceHashUrlSafe: return is_hash_id(id, '$', true);
  }
  return false;
}

bool is_string_map(const json::value& value) {
  if (!value.is_object()) return false;
  for (const auto& entry : value.get_object()) {
    if (!entry.value().is_string()) return false;
  }
  return true;
}

// v1/v2 references: [event ID, {"sha256": string}].
bool is_event_reference(const json::value& value, const RoomVersionRules& rules) {
  if (rules.event_id_format != EventIdFormat::kServerScoped) return is_event_id(value, rules);
  if (!value.is_array() || value.get_array().size() != 2) return false;
  const json::array& pair = value.get_array();
  if (!is_event_id(pair[0], rules) || !pair[1].is_object()) return false;
  const json::value* sha256 = pair[1].get_object().if_contains("sha256");
  return sha256 && sha256->is_string();
}

core::Status check_references(const json::object& pdu, std::string_view key, std::size_t max,
                              const RoomVersionRules& rules) {
  const json::value* list = pdu.if_contains(key);
  if (!list || !list->is_array()) return bad(std::string(key) + " must be an array");
  if (list->get_array().size() > max) {
    return bad(std::string(key) + " lists more than " + std::to_string(max) + " events");
  }
  for (const json::value& entry : list->get_array()) {
    if (!is_event_reference(entry, rules))
      return bad(std::string(key) + " has an entry that is not an event reference");
  }
  return {};
}

const json::value* find(const json::object& object, std::string_view key) { return object.if_contains(key); }

bool is_short_string(const json::value* value) {
  return value && value->is_string() && value->get_string().size() <= kMaxKeyBytes;
}

core::Status check_room_id(const json::object& pdu, const RoomVersionRules& rules) {
  const json::value* room_id = find(pdu, "room_id");
  if (!room_id) {
    const bool create = internal::string_field(pdu, "type") == "m.room.create" && find(pdu, "state_key");
    if (rules.room_id_from_create_event && create) return {};  // v12: the create event has none
    return bad("room_id is missing");
  }
  if (!room_id->is_string()) return bad("room_id must be a string");
  const std::string_view text = room_id->get_string();
  const bool valid = rules.room_id_from_create_event
                         ? is_hash_id(text, '!', true)
                         : core::RoomId::parse(text) && !core::RoomId::parse(text)->server().empty();
  if (!valid) return bad("room_id is not a room ID of this room version");
  return {};
}

// The top-level scalars and objects every version has.
core::Status check_common_fields(const json::object& pdu, const RoomVersionRules& rules) {
  if (!is_short_string(find(pdu, "type"))) return bad("type must be a string of at most 255 bytes");
  const json::value* sender = find(pdu, "sender");
  if (!sender || !sender->is_string() || !core::UserId::parse(sender->get_string())) {
    return bad("sender must be a user ID");
  }
  if (const json::value* state_key = find(pdu, "state_key"); state_key && !is_short_string(state_key)) {
    return bad("state_key must be a string of at most 255 bytes");
  }
  const json::value* content = find(pdu, "content");
  if (!content || !content->is_object()) return bad("content must be an object");
  const json::value* ts = find(pdu, "origin_server_ts");
  if (!ts || !as_integer(*ts)) return bad("origin_server_ts must be an integer");
  // depth: below 2^63 - 1 (v6+: 2^53 - 1, which the canonical JSON check enforces).
  const json::value* depth = find(pdu, "depth");
  const std::optional<std::int64_t> depth_value = depth ? as_integer(*depth) : std::nullopt;
  if (!depth_value || *depth_value < 0 || *depth_value == std::numeric_limits<std::int64_t>::max()) {
    return bad("depth must be a non-negative integer below 2^63 - 1");
  }
  const json::value* hashes = find(pdu, "hashes");
  const json::value* sha256 = hashes && hashes->is_object() ? find(hashes->get_object(), "sha256") : nullptr;
  if (!sha256 || !sha256->is_string()) return bad("hashes.sha256 must be a string");
  const json::value* signatures = find(pdu, "signatures");
  if (!signatures || !signatures->is_object()) return bad("signatures must be an object");
  for (const auto& by_server : signatures->get_object()) {
    if (!is_string_map(by_server.value())) return bad("signatures must map servers to objects of strings");
  }
  if (const json::value* unsigned_ = find(pdu, "unsigned"); unsigned_ && !unsigned_->is_object()) {
    return bad("unsigned must be an object");
  }
  // redacts, where the version puts it, must name an event when present.
  const json::object& holder = rules.updated_redaction_rules ? content->get_object() : pdu;
  if (const json::value* redacts = find(holder, "redacts"); redacts && !is_event_id(*redacts, rules)) {
    return bad("redacts must be an event ID");
  }
  return {};
}

}  // namespace

core::Status check_pdu_format(const json::object& pdu, const RoomVersionRules& rules) {
  if (rules.event_id_format == EventIdFormat::kServerScoped) {
    const json::value* event_id = find(pdu, "event_id");
    if (!event_id || !is_event_id(*event_id, rules)) return bad("event_id must be an event ID of the form $id:server");
  }
  if (auto common = check_common_fields(pdu, rules); !common) return common;
  if (auto room = check_room_id(pdu, rules); !room) return room;
  if (auto prev = check_references(pdu, "prev_events", kMaxPrevEvents, rules); !prev) return prev;
  if (auto auth = check_references(pdu, "auth_events", kMaxAuthEvents, rules); !auth) return auth;
  if (rules.strict_canonical_json) {
    if (auto numbers = core::check_event_numbers(pdu); !numbers) return numbers;
  }
  if (core::canonical_json(pdu).size() > kMaxPduBytes) {
    return core::fail(core::Errc::kTooLarge, "event is larger than 65536 bytes as canonical JSON");
  }
  return {};
}

}  // namespace myelin::rooms
