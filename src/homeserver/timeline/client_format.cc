#include "homeserver/timeline/client_format.h"

#include "core/clock.h"

namespace myelin::homeserver {
namespace {

json::object content_of(std::string_view pdu_text) {
  auto parsed = core::parse_json_object(pdu_text);
  if (!parsed) return {};
  if (auto content = parsed->if_contains("content"); content && content->is_object()) return content->get_object();
  return {};
}

}  // namespace

json::object client_event(storage::EventStore& store, const storage::StoredEvent& event, std::string_view viewer_device,
                          bool with_prev_content) {
  auto pdu = core::parse_json_object(event.json);
  json::object out;
  if (!pdu) return out;
  out["event_id"] = event.event_id;
  out["room_id"] = event.room_id;
  out["type"] = event.type;
  out["sender"] = event.sender;
  out["origin_server_ts"] = event.origin_server_ts;
  if (event.state_key) out["state_key"] = *event.state_key;
  json::value content = pdu->contains("content") ? (*pdu)["content"] : json::object{};
  if (event.type == "m.room.redaction") {
    // Room versions 11+ carry redacts in content; clients of every version read the top level.
    if (auto redacts = pdu->if_contains("redacts")) out["redacts"] = *redacts;
    else if (content.is_object() && content.as_object().contains("redacts"))
      out["redacts"] = content.as_object()["redacts"];
  }
  out["content"] = std::move(content);
  json::object unsigned_;
  unsigned_["age"] = std::max<std::int64_t>(0, core::now_ms() - event.origin_server_ts);
  if (!viewer_device.empty() && event.txn_device == viewer_device && !event.txn_id.empty())
    unsigned_["transaction_id"] = event.txn_id;
  if (with_prev_content && event.replaces_state) {
    if (auto previous = store.event(*event.replaces_state)) {
      unsigned_["prev_content"] = content_of(previous->json);
      unsigned_["replaces_state"] = previous->event_id;
    }
  }
  if (event.redacted_by) {
    if (auto redaction = store.event(*event.redacted_by))
      unsigned_["redacted_because"] = client_event(store, *redaction, {}, false);
  }
  out["unsigned"] = std::move(unsigned_);
  return out;
}

json::object stripped_event(const json::object& pdu) {
  json::object out;
  for (const char* key : {"type", "state_key", "sender", "content"})
    if (auto value = pdu.if_contains(key)) out[key] = *value;
  return out;
}

std::vector<const json::object*> stripped_state_pdus(const RoomState& room,
                                                     std::initializer_list<std::string_view> users) {
  std::vector<const json::object*> pdus;
  for (const char* type : {"m.room.create", "m.room.join_rules", "m.room.name", "m.room.avatar",
                           "m.room.canonical_alias", "m.room.encryption", "m.room.topic"})
    if (const json::object* pdu = room.pdu(type, "")) pdus.push_back(pdu);
  for (std::string_view user : users)
    if (const json::object* pdu = room.pdu("m.room.member", user)) pdus.push_back(pdu);
  return pdus;
}

json::array stripped_room_state(const RoomState& room, std::initializer_list<std::string_view> users) {
  json::array stripped;
  for (const json::object* pdu : stripped_state_pdus(room, users)) stripped.push_back(stripped_event(*pdu));
  return stripped;
}

}  // namespace myelin::homeserver
