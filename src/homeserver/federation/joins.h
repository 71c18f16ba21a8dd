#pragma once
// The resident server's side of the remote join handshake (server-server-api "Joining
// Rooms"): GET /make_join gives another server a join template on our room's current state,
// PUT /send_join checks its signed join, countersigns it, writes it through the write path like
// a local event and answers the room's state before it with the auth chain. `origin` is always
// the verified requesting server. A restricted room's template names one of our users who may
// invite as join_authorised_via_users_server when the user is joined to an allowed room (as
// we know it); our countersignature is the authorising server's.
#include <functional>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/error.h"
#include "core/json.h"
#include "homeserver/federation/pdu_checks.h"
#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/options.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/write_path.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

class FederationJoins {
 public:
  FederationJoins(const TimelineOptions& config, storage::EventStore& store, RoomCache& rooms,
                  const EventBuilder& builder, WritePath& write_path, KeyFetcher& keys, const core::SigningKey& key)
      : config_(config),
        store_(store),
        rooms_(rooms),
        builder_(builder),
        write_path_(write_path),
        keys_(keys),
        key_(key) {}

  // {room_version, event}: an unsigned m.room.member join of `user_id` on the room's forward
  // extremities and current state. `versions` are the ver query parameters (none: only "1").
  // M_INVALID_PARAM for malformed IDs, M_NOT_FOUND when no local user is joined to the room,
  // M_FORBIDDEN when the user is not of `origin`, the room's server ACL denies `origin` (so
  // for send_join too) or the auth rules refuse the join,
  // M_INCOMPATIBLE_ROOM_VERSION (with room_version) when the room's version is not offered.
  core::Result<json::object> make_join(const std::string& origin, const std::string& room_id,
                                       const std::string& user_id, const std::vector<std::string>& versions);
  // GET /make_leave (server-server-api "Leaving Rooms"): the same for a leave, any version.
  core::Result<json::object> make_leave(const std::string& origin, const std::string& room_id,
                                        const std::string& user_id);
  // GET /make_knock (server-server-api "Knocking upon a room"): the same for a knock; also
  // M_INCOMPATIBLE_ROOM_VERSION when the room's version has no knocks, and the auth rules'
  // M_FORBIDDEN when the join rule is not knock (or knock_restricted) or the user may not.
  core::Result<json::object> make_knock(const std::string& origin, const std::string& room_id,
                                        const std::string& user_id, const std::vector<std::string>& versions);

  // PUT /v2/send_join/{roomId}/{eventId}: {state, auth_chain, event, members_omitted,
  // servers_in_room, origin}. The event must be a valid PDU of the room's version with that ID,
  // a join of a user of `origin` by themselves whose prev_events and auth_events we have,
  // signed by `origin` (keys through the KeyFetcher), with its content hash, allowed by its
  // auth events and by the current state. Errors: M_NOT_FOUND (not in the room), M_BAD_JSON
  // (format), M_INVALID_PARAM (anything else about the event), M_FORBIDDEN (auth rules). A
  // join already accepted is answered again without a second write. `omit_members`: member
  // events other than the heroes' (rooms with neither name nor canonical alias) are left out
  // of state, and state events out of auth_chain. `done` runs once, on the loop.
  void send_join(const std::string& origin, const std::string& room_id, const std::string& event_id, json::object pdu,
                 bool omit_members, std::function<void(core::Result<json::object>)> done);
  // PUT /v2/send_leave/{roomId}/{eventId}: send_join's checks for a leave (no countersignature,
  // no omit_members), then written through the write path; a leave already written is
  // accepted again. `done` runs once, on the loop.
  void send_leave(const std::string& origin, const std::string& room_id, const std::string& event_id, json::object pdu,
                  std::function<void(core::Status)> done);
  // PUT /v1/send_knock/{roomId}/{eventId}: send_leave's checks and write for a knock, answered
  // {knock_room_state}: the PDUs of the room's stripped state (timeline/client_format.h's
  // types, the create event first) as they are now. `done` runs once, on the loop.
  void send_knock(const std::string& origin, const std::string& room_id, const std::string& event_id, json::object pdu,
                  std::function<void(core::Result<json::object>)> done);

 private:
  // The room, when a local user is joined to it (else M_NOT_FOUND) and its server ACL allows
  // `origin` (else M_FORBIDDEN).
  core::Result<std::shared_ptr<RoomState>> resident_room(const std::string& origin, const std::string& room_id) const;
  // make_join, make_leave and make_knock (`versions` null: any).
  core::Result<json::object> make_member(const std::string& origin, const std::string& room_id,
                                         const std::string& user_id, const std::vector<std::string>* versions,
                                         const std::string& membership);
  // The checks of a `membership` member event that need no keys, up to the auth rules
  // against its own auth events.
  core::Status check_member(const std::string& origin, const RoomState& room, const std::string& event_id,
                            const json::object& pdu, const std::string& membership) const;
  // A `membership` event sent by `origin` for `room`: a sender of another server refused, then
  // its signatures verified (M_FORBIDDEN when the origin's are missing or wrong, whatever else
  // is wrong with it), then check_member;
  // `next` gets the event, on the loop.
  void verify_member(const std::string& origin, std::shared_ptr<RoomState> room, const std::string& event_id,
                     json::object pdu, const std::string& membership,
                     std::function<void(std::shared_ptr<RoomState>, core::Result<json::object>)> next);
  // send_leave and send_knock: a `membership` event of a user of `origin` checked, verified,
  // authorised by the current state and written (nothing when written before); `done` gets the
  // room, on the loop.
  void send_member(const std::string& origin, const std::string& room_id, const std::string& event_id, json::object pdu,
                   const std::string& membership, std::function<void(core::Result<std::shared_ptr<RoomState>>)> done);
  // After the signatures verified: auth against the current state, countersignature, write,
  // answer.
  core::Result<json::object> accept_join(RoomState& room, json::object pdu, bool omit_members);
  // The answer for a join written before (a retried send_join).
  core::Result<json::object> answer_again(const RoomState& room, const storage::StoredEvent& join, bool omit_members);

  const TimelineOptions& config_;
  storage::EventStore& store_;
  RoomCache& rooms_;
  const EventBuilder& builder_;
  WritePath& write_path_;
  KeyFetcher& keys_;
  const core::SigningKey& key_;
};

}  // namespace myelin::homeserver
