// Content hash, reference hash and event IDs (server-server-api.md "Calculating the reference
// hash for an event", "Calculating the content hash for an event", "Adding hashes and
// signatures to outgoing events"; rooms/fragments/v4-event-ids.md; v12 room IDs).
#include "rooms/event_format.h"

#include "core/base64.h"

namespace myelin::rooms {
namespace {

json::object without(json::object object, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) object.erase(key);
  return object;
}

}  // namespace

std::string content_hash(const json::object& pdu) {
  const json::object stripped = without(pdu, {"unsigned", "signatures", "hashes"});
  return core::base64_encode(core::sha256(core::canonical_json(stripped)));
}

std::string reference_hash(const json::object& pdu, const RoomVersionRules& rules) {
  const json::object stripped = without(redact(pdu, rules), {"unsigned", "signatures"});
  return core::sha256(core::canonical_json(stripped));
}

std::string event_id_of(const json::object& pdu, const RoomVersionRules& rules) {
  return "$" + core::base64url_encode(reference_hash(pdu, rules));
}

std::string room_id_from_create_event(const json::object& create_pdu, const RoomVersionRules& rules) {
  return "!" + core::base64url_encode(reference_hash(create_pdu, rules));
}

std::string finalize_local_event(json::object& pdu, const RoomVersionRules& rules, std::string_view server_name,
                                 const core::SigningKey& key) {
  pdu["hashes"] = json::object{{"sha256", content_hash(pdu)}};
  // The signature and the reference hash (the event ID) cover the same bytes: the redacted
  // event without signatures and unsigned. Made once.
  const std::string covered = core::canonical_json(without(redact(pdu, rules), {"unsigned", "signatures"}));
  pdu["signatures"] = json::object{{server_name, json::object{{key.key_id(), key.sign(covered)}}}};
  return "$" + core::base64url_encode(core::sha256(covered));
}

}  // namespace myelin::rooms
