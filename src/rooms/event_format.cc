// Content hash, reference hash and event IDs (server-server-api.md "Calculating the reference
// hash for an event", "Calculating the content hash for an event", "Adding hashes and
// signatures to outgoing events"; rooms/fragments/v4-event-ids.md; v12 room IDs).
#include "rooms/event_format.h"

#include "core/base64.h"
#include "core/ids.h"
#include "rooms/auth_util.h"

namespace myelin::rooms {
namespace {

// The event ID of a v3+ event whose reference hash is `hash`.
std::string hash_event_id(const std::string& hash, const RoomVersionRules& rules) {
  return "$" + (rules.event_id_format == EventIdFormat::kReferenceHash ? core::base64_encode(hash)
                                                                       : core::base64url_encode(hash));
}

}  // namespace

std::string content_hash(const json::object& pdu) {
  return core::base64_encode(core::sha256(core::canonical_json_without(pdu, {"unsigned", "signatures", "hashes"})));
}

std::string reference_hash(const json::object& pdu, const RoomVersionRules& rules) {
  return core::sha256(core::canonical_json_without(redact(pdu, rules), {"unsigned", "signatures"}));
}

std::string event_id_of(const json::object& pdu, const RoomVersionRules& rules) {
  if (rules.event_id_format == EventIdFormat::kServerScoped) {
    const json::value* id = pdu.if_contains("event_id");
    return id && id->is_string() ? std::string(id->get_string()) : std::string();
  }
  return hash_event_id(reference_hash(pdu, rules), rules);
}

std::vector<std::string_view> referenced_event_ids(const json::object& pdu, std::string_view key,
                                                   const RoomVersionRules& rules) {
  std::vector<std::string_view> ids;
  const json::value* list = pdu.if_contains(key);
  if (!list || !list->is_array()) return ids;
  const bool pairs = rules.event_id_format == EventIdFormat::kServerScoped;
  for (const json::value& entry : list->get_array()) {
    const json::value* id = &entry;
    if (pairs) id = entry.is_array() && entry.get_array().size() == 2 ? &entry.get_array()[0] : nullptr;
    ids.emplace_back(id && id->is_string() ? std::string_view(id->get_string()) : std::string_view());
  }
  return ids;
}

json::value event_reference(std::string_view event_id, const json::object& referenced, const RoomVersionRules& rules) {
  if (rules.event_id_format != EventIdFormat::kServerScoped) return json::string(event_id);
  return json::array{json::string(event_id),
                     json::object{{"sha256", core::base64_encode(reference_hash(referenced, rules))}}};
}

std::string new_server_scoped_event_id(std::string_view server_name) {
  return "$" + core::random_string(18) + ":" + std::string(server_name);
}

std::string room_id_from_create_event(const json::object& create_pdu, const RoomVersionRules& rules) {
  return "!" + core::base64url_encode(reference_hash(create_pdu, rules));
}

std::string finalize_local_event(json::object& pdu, const RoomVersionRules& rules, std::string_view server_name) {
  const bool server_scoped = rules.event_id_format == EventIdFormat::kServerScoped;
  if (server_scoped && !pdu.contains("event_id")) pdu["event_id"] = new_server_scoped_event_id(server_name);
  pdu["hashes"] = json::object{{"sha256", content_hash(pdu)}};
  if (server_scoped) return std::string(pdu["event_id"].as_string());
  return hash_event_id(reference_hash(pdu, rules), rules);
}

std::string finalize_local_event(json::object& pdu, const RoomVersionRules& rules, std::string_view server_name,
                                 const core::SigningKey& key) {
  std::string event_id = finalize_local_event(pdu, rules, server_name);
  add_event_signature(pdu, rules, server_name, key);
  return event_id;
}

void add_event_signature(json::object& pdu, const RoomVersionRules& rules, std::string_view server_name,
                         const core::SigningKey& key) {
  const std::string covered = core::canonical_json_without(redact(pdu, rules), {"unsigned", "signatures"});
  json::value& signatures = pdu["signatures"];
  if (!signatures.is_object()) signatures = json::object{};
  json::value& own = signatures.as_object()[server_name];
  if (!own.is_object()) own = json::object{};
  own.as_object()[key.key_id()] = key.sign(covered);
}

void sign_own_event(json::object& pdu, const RoomVersionRules& rules, std::string_view server_name,
                    const core::SigningKey& key) {
  if (internal::server_of(internal::string_field(pdu, "sender")) != server_name) return;
  if (const json::value* signatures = pdu.if_contains("signatures"); signatures && signatures->is_object()) {
    const json::value* own = signatures->get_object().if_contains(server_name);
    if (own && own->is_object() && !own->get_object().empty()) return;
  }
  add_event_signature(pdu, rules, server_name, key);
}

std::size_t signature_bytes(std::string_view server_name, std::string_view key_id) {
  constexpr std::size_t kEd25519Base64 = 86;  // 64 bytes, unpadded base64
  const json::object signatures{
      {"signatures", json::object{{server_name, json::object{{key_id, std::string(kEd25519Base64, 'A')}}}}}};
  return core::canonical_json(signatures).size() - 1;  // without its braces, with the comma before it
}

}  // namespace myelin::rooms
