#pragma once
// Our users' invites of other servers' users, their knocks on and leaves of rooms this server
// is not in (server-server-api "Inviting to a room", "Knocking upon a room", "Leaving Rooms
// (Rejecting Invites)"), behind RoomService's RemoteInvite, RemoteKnock and RemoteLeave
// callbacks (wired in homeserver.h).
#include <memory>
#include <vector>

#include <functional>
#include <string>

#include "core/crypto.h"
#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/federation/pdu_checks.h"
#include "homeserver/federation/transport.h"
#include "homeserver/timeline/options.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/write_path.h"

namespace myelin::homeserver {

class RemoteMemberships {
 public:
  RemoteMemberships(const TimelineOptions& config, RoomCache& rooms, WritePath& write_path, Transport& transport,
                    KeyFetcher& keys, const core::SigningKey& key)
      : config_(config), rooms_(rooms), write_path_(write_path), transport_(transport), keys_(keys), key_(key) {}

  // PUT /v2/invite to the invitee's server with our built invite `pdu` (signed here) and the room's
  // stripped state (v1 invite, for a room of version 1 or 2, when the server knows no v2);
  // `done` gets the same event with that server's signature added (verified),
  // else the server's M_FORBIDDEN / M_NOT_FOUND, or 502 M_UNKNOWN (unreachable, nonsense).
  void invite(const rooms::RoomVersionRules& rules, json::object pdu, json::array invite_room_state,
              std::function<void(core::Result<json::object>)> done);

  // Knocks for the local `user_id` on `room_id` through `servers` in turn (our own name,
  // repeats and invalid names skipped; at most kMaxCandidates): GET make_knock with every
  // version we support, the template filled with `content` (membership set here), PUT v1
  // send_knock. The knock is then stored as the room's current state (write_with_room_state)
  // with the answer's knock_room_state, which /sync shows as knock_state, and the server that
  // took it in unsigned.knocked_through (a retraction goes there). `done(room_id)`; else as
  // RemoteJoins::join. Runs once, on the loop.
  void knock(const core::UserId& user_id, const core::RoomId& room_id, std::vector<std::string> servers,
             json::object content, std::function<void(core::Result<std::string>)> done);

  // Leaves (rejects the invite to) a room we know only through an invite or knock: make_leave
  // and v2 send_leave through `server` (the inviter's), the leave then stored as the room's
  // current state. When that fails (unreachable, refused) the invite is still dropped here: a
  // leave of our own making, with no prev or auth events, is stored instead and goes nowhere.
  // `done` runs once, on the loop.
  void leave(const core::UserId& user_id, const core::RoomId& room_id, const std::string& server,
             const std::string& reason, std::function<void(core::Status)> done);

 private:
  struct Knock;
  // PUT v2 invite (v1 when `v1`, for a server that knows no v2).
  void send_invite(const rooms::RoomVersionRules& rules, const std::string& server, json::object pdu,
                   json::array invite_room_state, const std::string& event_id, bool v1,
                   std::function<void(core::Result<json::object>)> done);
  void try_knock(std::shared_ptr<Knock> knock);
  void on_make_knock(std::shared_ptr<Knock> knock, const std::string& server, const IncomingResponse& response);
  void on_make_leave(const std::string& user_id, const std::string& room_id, const std::string& server,
                     const std::string& reason, const IncomingResponse& response,
                     std::function<void(core::Status)> done);
  // The leave made here when the remote handshake failed.
  void leave_locally(const std::string& user_id, const std::string& room_id, const std::string& reason);

  const TimelineOptions& config_;
  RoomCache& rooms_;
  WritePath& write_path_;
  Transport& transport_;
  KeyFetcher& keys_;
  const core::SigningKey& key_;
};

}  // namespace myelin::homeserver
