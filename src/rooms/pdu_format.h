#pragma once
// The first check on a PDU received over federation (server-server-api.md "Checks performed
// on receipt of a PDU", step 1): is it a valid event of its room version (the PDU schemas of
// data/api/server-server/definitions/pdu_v*.yaml, rooms/fragments/v6-canonical-json.md, and
// client-server-api "Size limits")? Pure; never throws.
#include "core/error.h"
#include "core/json.h"
#include "rooms/room_version.h"

namespace myelin::rooms {

// Events larger than this, as canonical JSON with signatures, are invalid.
inline constexpr std::size_t kMaxPduBytes = 65536;

// Checks the PDU's shape for `rules`:
// - type (string, <= 255 bytes), sender (a user ID), content (object), origin_server_ts and
//   depth (integers, depth >= 0 and below 2^63 - 1; v6+ 2^53 - 1), hashes.sha256 (string),
//   signatures (object of objects of strings), unsigned (object, when present);
// - room_id: a room ID ("!opaque:server" before v12, "!" + 43 URL-safe base64 characters in
//   v12), absent only on a v12 m.room.create; state_key (string, <= 255 bytes) when present;
// - event_id: v1/v2 a "$opaque:server" event ID; prev_events (<= 20) and auth_events (<= 10):
//   v1/v2 [event ID, {"sha256": string}] pairs, v3+ event IDs in the version's format;
// - redacts (top level, or content.redacts from v11), when present, an event ID;
// - v6+: only integers in [-(2^53)+1, (2^53)-1], no floats, anywhere;
// - at most kMaxPduBytes as canonical JSON.
// Fails with M_BAD_JSON (M_TOO_LARGE for the size) and a message naming the field.
core::Status check_pdu_format(const json::object& pdu, const RoomVersionRules& rules);

}  // namespace myelin::rooms
