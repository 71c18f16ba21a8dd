#pragma once
// Invites from other servers (server-server-api "Inviting to a room", PUT /v2/invite): the
// invite event is checked (format for the named version, its ID, an m.room.member invite of a
// local user sent by a user of `origin` into that room, the sender's server signature),
// countersigned and answered. Unless a local user is joined (the event then arrives through
// /send), it is written as the room's current state: a room known only through an invite has
// a record and a current state holding just the invite, whose PDU keeps the stripped state the
// inviter sent in unsigned.invite_room_state (at most kMaxInviteState events), which /sync shows
// as invite_state. A join afterwards goes through the inviter's server (RoomService). The
// deprecated v1 /invite carries the stripped state in the event's unsigned and is only for
// rooms of version 1 or 2.
#include <cstddef>
#include <functional>
#include <string>

#include "core/crypto.h"
#include "core/error.h"
#include "core/json.h"
#include "homeserver/federation/pdu_checks.h"
#include "homeserver/timeline/options.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/write_path.h"
#include "storage/account_store.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

class FederationInvites {
 public:
  static constexpr std::size_t kMaxInviteState = 50;

  FederationInvites(const TimelineOptions& config, storage::AccountStore& accounts, RoomCache& rooms,
                    WritePath& write_path, KeyFetcher& keys, const core::SigningKey& key)
      : config_(config), accounts_(accounts), rooms_(rooms), write_path_(write_path), keys_(keys), key_(key) {}

  // {room_version, event, invite_room_state}: answers {event} with our signature added.
  // M_INCOMPATIBLE_ROOM_VERSION for a version we do not support, M_BAD_JSON for a malformed
  // body or event, M_INVALID_PARAM for an event that is not such an invite, M_FORBIDDEN when
  // its sender's server signature does not verify. `done` runs once, on the loop.
  void receive(const std::string& origin, const std::string& room_id, const std::string& event_id, json::object body,
               std::function<void(core::Result<json::object>)> done);
  // PUT /v1/invite: the body is the event itself, with the stripped state in
  // unsigned.invite_room_state; its room version is "2" when that state's create event says
  // so, else "1" (the spec: a v1 invite is of version 1 or 2). Then as receive, answering {event}
  // (the caller wraps it in [200, ...]).
  void receive_v1(const std::string& origin, const std::string& room_id, const std::string& event_id,
                  json::object event, std::function<void(core::Result<json::object>)> done);

 private:
  core::Status check_invite(const std::string& origin, const std::string& room_id, const std::string& event_id,
                            const json::object& pdu, const rooms::RoomVersionRules& rules);
  // Stores the countersigned invite with `stripped` (see the header comment).
  void store(const rooms::RoomVersionRules& rules, json::object pdu, json::array stripped);

  const TimelineOptions& config_;
  storage::AccountStore& accounts_;
  RoomCache& rooms_;
  WritePath& write_path_;
  KeyFetcher& keys_;
  const core::SigningKey& key_;
};

// The PDU `pdu` of `rules` as a timeline row (ID, keys, depth, timestamp, canonical text,
// prev_events); the caller sets the state fields.
BuiltEvent built_from_pdu(json::object pdu, const rooms::RoomVersionRules& rules);

// The valid stripped state events of another server's `value` (an invite's or a knock's room
// state: type, state_key, sender strings and a content object; nothing else kept), at most
// FederationInvites::kMaxInviteState of 64 KB in all; anything else is dropped.
json::array stripped_state_of(const json::value* value);

// A member event of a local user in a room this server is not in (an invite received, a knock
// accepted) written by write_out_of_room, with `stripped` added to its unsigned as `key`, for /sync; a
// new room record names the sender of `stripped`'s create event (else the event's sender).
void write_with_room_state(RoomCache& rooms, WritePath& write_path, const rooms::RoomVersionRules& rules,
                           json::object pdu, json::array stripped, std::string_view key);

// A member event of a room this server is not in (an invite received, a leave of one) written
// as the room's current state: what we knew of the room (nothing, or an earlier invite) with
// the event applied; no forward extremity retired. A new room record names `creator`.
void write_out_of_room(RoomCache& rooms, WritePath& write_path, const rooms::RoomVersionRules& rules, json::object pdu,
                       const std::string& creator);

}  // namespace myelin::homeserver
