#pragma once
// The hashes and IDs of PDUs (server-server-api.md "Calculating the reference hash for an
// event", "Calculating the content hash for an event"; rooms/v*.md "Event IDs") and the
// redaction algorithm (client-server-api "Redactions"). Pure functions over JSON values.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The event's ID. v1/v2: its own "event_id" ("" when absent or not a string). v3: "$" +
// standard unpadded base64 of the reference hash; v4+: URL-safe. Events in v3+ do not carry
// "event_id"; pass them in their federation form (an "event_id" key, if present, is kept by
// the redaction algorithm and so changes the hash).
std::string event_id_of(const json::object& pdu, const RoomVersionRules& rules);

// The event IDs a PDU's `key` ("prev_events" or "auth_events") names, in order, read in the
// version's shape: [id, {"sha256": ...}] pairs in v1/v2, plain IDs after. An entry not in that
// shape reads as "" (check_pdu_format refuses such events on receipt). Views into `pdu`.
std::vector<std::string_view> referenced_event_ids(const json::object& pdu, std::string_view key,
                                                   const RoomVersionRules& rules);

// How a new event refers to `referenced` (whose ID is `event_id`) in prev_events and
// auth_events: the ID, or in v1/v2 the pair [event_id, {"sha256": unpadded standard base64 of
// its reference hash}].
json::value event_reference(std::string_view event_id, const json::object& referenced, const RoomVersionRules& rules);

// v1/v2: a new event ID "$" + 18 random characters + ":" + server_name.
std::string new_server_scoped_event_id(std::string_view server_name);

// v12: the room ID an m.room.create event defines: "!" + URL-safe base64 of its reference hash.
std::string room_id_from_create_event(const json::object& create_pdu, const RoomVersionRules& rules);

// Completes a locally built PDU: sets hashes.sha256 and returns the event ID, leaving it
// unsigned. v1/v2: the event ID is the PDU's "event_id", set to
// new_server_scoped_event_id(server_name) first when it has none (it is hashed with the
// event). v3+: the PDU must not contain event_id (these versions do not carry it).
// The event ID does not depend on signatures, and ed25519 signatures are deterministic, so this
// server stores its events unsigned and signs them when they leave for another server
// (sign_own_event): a room without other servers never pays for a signature.
std::string finalize_local_event(json::object& pdu, const RoomVersionRules& rules, std::string_view server_name);
// The same, then signed with `key` as `server_name`: for an event that leaves at once (a join
// made on another server's template) or one that stands for another server's in tests.
std::string finalize_local_event(json::object& pdu, const RoomVersionRules& rules, std::string_view server_name,
                                 const core::SigningKey& key);

// Adds `server_name`'s signature (of the redacted event without signatures and unsigned) to a
// PDU, keeping the signatures it has: a resident server countersigns a join it accepts through
// send_join.
void add_event_signature(json::object& pdu, const RoomVersionRules& rules, std::string_view server_name,
                         const core::SigningKey& key);

// What every PDU leaving this server goes through: an event of this server's users that has
// no signature of `server_name` yet (the store holds them unsigned) gets one; any other PDU is
// left as it is.
void sign_own_event(json::object& pdu, const RoomVersionRules& rules, std::string_view server_name,
                    const core::SigningKey& key);

// How many bytes sign_own_event adds to the canonical JSON of an unsigned PDU: its size limit
// (kMaxPduBytes) counts the signatures.
std::size_t signature_bytes(std::string_view server_name, std::string_view key_id);

}  // namespace myelin::rooms
