#pragma once
// The hashes and IDs of PDUs (server-server-api.md "Calculating the reference hash for an
// event", "Calculating the content hash for an event"; rooms/v*.md "Event IDs") and the
// redaction algorithm (client-server-api "Redactions"). Pure functions over JSON values.
#include <optional>
#include <string>

#include "core/crypto.h"
#include "core/json.h"
#include "rooms/room_version.h"

namespace myelin::rooms {

// The event with every key the room version's redaction algorithm does not keep removed.
json::object redact(const json::object& pdu, const RoomVersionRules& rules);

// The event ID an m.room.redaction event redacts: content.redacts when the version has the
// updated redaction rules (v11+), the top-level "redacts" before; nullopt when absent or not a
// string.
std::optional<std::string> redacts_of(const json::object& pdu, const RoomVersionRules& rules);

// sha256 of the canonical event without "unsigned", "signatures" and "hashes"; unpadded
// standard base64.
std::string content_hash(const json::object& pdu);

// sha256 of the canonical redacted event without "unsigned" and "signatures"; raw 32 bytes.
std::string reference_hash(const json::object& pdu, const RoomVersionRules& rules);

// "$" + URL-safe unpadded base64 of the reference hash (room versions 4+). Events in these
// versions do not carry "event_id"; pass them in their federation form (an "event_id" key,
// if present, is kept by the redaction algorithm and so changes the hash).
std::string event_id_of(const json::object& pdu, const RoomVersionRules& rules);

// v12: the room ID an m.room.create event defines: "!" + URL-safe base64 of its reference hash.
std::string room_id_from_create_event(const json::object& create_pdu, const RoomVersionRules& rules);

// Completes a locally built PDU: sets hashes.sha256, signs the redacted form with `key` as
// `server_name` (signatures go onto the full event) and returns the event ID. The PDU must
// not contain event_id (v3+ events do not carry it).
std::string finalize_local_event(json::object& pdu, const RoomVersionRules& rules, std::string_view server_name,
                                 const core::SigningKey& key);

}  // namespace myelin::rooms
