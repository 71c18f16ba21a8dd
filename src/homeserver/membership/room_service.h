#pragma once
// Room-level operations of the client API that are more than one plain event: creating a room
// (client-server-api "Creation"), the membership transitions (join, knock, invite, leave,
// kick, ban, unban, forget), profile propagation into rooms and room upgrades. Events into an
// existing room go through the local send path (Timeline::send); a new room's first events are
// built by the EventBuilder and written in one batch (WritePath::write_new_room). Either way the
// auth rules are the only place that decides what is allowed.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/membership/options.h"
#include "homeserver/push/options.h"
#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/options.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/timeline.h"
#include "homeserver/timeline/write_path.h"
#include "storage/account_store.h"
#include "storage/event_store.h"
#include "storage/room_directory_store.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

// Joins a local user to a room this server is not in, through other servers (federation's
// RemoteJoins::join, wired in homeserver.h): the room, the servers to try in order, the member
// content; `done` runs once, with the room ID or the error for the client.
using RemoteJoin =
    std::function<void(const core::UserId& user_id, const core::RoomId& room_id, std::vector<std::string> servers,
                       json::object content, std::function<void(core::Result<std::string>)> done)>;
// Knocks for a local user on a room this server is not in, through other servers (federation's
// RemoteMemberships::knock): like RemoteJoin, with the knock's member content.
using RemoteKnock = RemoteJoin;
// Another server's alias, as its server resolves it (federation's RemoteJoins::query_alias).
struct ResolvedAlias {
  std::string room_id;
  std::vector<std::string> servers;  // join candidates
};
using ResolveAlias =
    std::function<void(const core::RoomAlias& alias, std::function<void(core::Result<ResolvedAlias>)> done)>;

// Asks another server's user's server to countersign our invite (federation's
// RemoteMemberships::invite): the room's version, the built invite, the room's stripped
// state; `done` with the countersigned event or the error for the client.
using RemoteInvite =
    std::function<void(const rooms::RoomVersionRules& rules, json::object pdu, json::array invite_room_state,
                       std::function<void(core::Result<json::object>)> done)>;
// Rejects an invite to (or retracts a knock on) a room known only through it, through `server`
// (federation's RemoteMemberships::leave); the membership is dropped locally even when that
// fails.
using RemoteLeave =
    std::function<void(const core::UserId& user_id, const core::RoomId& room_id, const std::string& server,
                       const std::string& reason, std::function<void(core::Status)> done)>;

class RoomService {
 public:
  RoomService(const MembershipOptions& config, const TimelineOptions& timeline_config, const PushOptions& push_config,
              storage::EventStore& store, storage::AccountStore& account_store,
              storage::RoomDirectoryStore& directory_store, storage::UserDataStore& user_data_store, RoomCache& rooms,
              const EventBuilder& builder, WritePath& write_path, Timeline& timeline, RemoteJoin remote_join,
              ResolveAlias resolve_alias, RemoteInvite remote_invite, RemoteLeave remote_leave,
              RemoteKnock remote_knock)
      : config_(config),
        timeline_config_(timeline_config),
        push_config_(push_config),
        store_(store),
        account_store_(account_store),
        directory_store_(directory_store),
        user_data_store_(user_data_store),
        rooms_(rooms),
        builder_(builder),
        write_path_(write_path),
        timeline_(timeline),
        remote_join_(std::move(remote_join)),
        resolve_alias_(std::move(resolve_alias)),
        remote_invite_(std::move(remote_invite)),
        remote_leave_(std::move(remote_leave)),
        remote_knock_(std::move(remote_knock)) {}

  // The version of rooms created without one (rooms.default_version; /capabilities shows it).
  const std::string& default_room_version() const { return config_.default_room_version; }

  // POST /createRoom with its already-parsed body. Returns the new room ID.
  core::Result<std::string> create_room(const core::UserId& creator, const json::object& request);

  // Resolves a room ID or a local alias (M_NOT_FOUND for an unknown alias, M_INVALID_PARAM for
  // neither).
  core::Result<core::RoomId> resolve_room(const std::string& room_id_or_alias);
  // GET /directory/room/{alias} for another server's alias: asked of that server (ResolveAlias).
  void resolve_remote_alias(const core::RoomAlias& alias, std::function<void(core::Result<ResolvedAlias>)> done) {
    resolve_alias_(alias, std::move(done));
  }

  core::Result<std::string> join(const core::UserId& user_id, const core::RoomId& room_id, const std::string& reason);
  core::Result<std::string> knock(const core::UserId& user_id, const core::RoomId& room_id, const std::string& reason);
  // Sets target's membership to `membership` (invite, leave, ban) as `sender`; leaving yourself
  // is sender == target.
  core::Result<std::string> set_membership(const core::UserId& sender, const core::RoomId& room_id,
                                           const core::UserId& target, const std::string& membership,
                                           const std::string& reason, bool is_direct = false);
  core::Status forget(const core::UserId& user_id, const core::RoomId& room_id);

  // POST /join/{roomIdOrAlias}: resolve_room (another server's alias through ResolveAlias),
  // then join; a room this server is not in (unknown here, or no local member while others are
  // joined) goes to the RemoteJoin, through `via`, then the alias's servers, the room ID's
  // server (before v12) and the alias's server. A guest joins only local rooms whose
  // m.room.guest_access is can_join (client-server-api "Guest Access";
  // M_GUEST_ACCESS_FORBIDDEN). `done` runs once, with the room ID.
  void join_room(const core::UserId& user_id, bool guest, const std::string& room_id_or_alias,
                 std::vector<std::string> via, const std::string& reason,
                 std::function<void(core::Result<std::string>)> done);
  // POST /knock/{roomIdOrAlias}: the room resolved as join_room does, then knock; a room this
  // server is not in goes to the RemoteKnock, through the same servers. `done` runs once, with
  // the room ID.
  void knock_room(const core::UserId& user_id, const std::string& room_id_or_alias, std::vector<std::string> via,
                  const std::string& reason, std::function<void(core::Result<std::string>)> done);
  // POST /rooms/{roomId}/leave: M_NOT_FOUND for an unknown room; nothing to do (success) when
  // the user has left, is banned or never had a membership.
  core::Status leave(const core::UserId& user_id, const core::RoomId& room_id, const std::string& reason);
  // leave, or for a room known only through another server's invite or a knock (no create
  // event here), the RemoteLeave through the inviter's server or the one that took the knock
  // (unsigned.knocked_through, RemoteMemberships::knock). `done` runs once.
  void leave_room(const core::UserId& user_id, const core::RoomId& room_id, const std::string& reason,
                  std::function<void(core::Status)> done);
  // POST /rooms/{roomId}/{invite,ban,kick,unban}: set_membership for `target`, returning the
  // event ID. A kick is only of a joined, invited or knocking user, an unban only of a banned
  // one (else M_FORBIDDEN). `target` is the request's user_id as sent: M_INVALID_PARAM for a
  // malformed one, after those checks (a malformed ID is in no room and banned from none).
  core::Result<std::string> invite(const core::UserId& sender, const core::RoomId& room_id, const std::string& target,
                                   const std::string& reason);
  // invite, and for another server's user: the invite built here, countersigned by their
  // server (RemoteInvite) and then written; its errors are the client's. `done` runs once.
  void invite_any(const core::UserId& sender, const core::RoomId& room_id, const std::string& target,
                  const std::string& reason, std::function<void(core::Result<std::string>)> done);
  // Federation's /3pid/onbind (server-server-api "Third-party invites"): an identity server says
  // an address was bound to `mxid`, with the invites it stored for it. Each invite to one of
  // our rooms, by one of our users, for a user of ours, becomes their invite member event
  // carrying third_party_invite (display_name from the room's m.room.third_party_invite, and
  // the identity server's `signed`), once `key_valid` confirmed that the key which signed it is
  // still valid at its key_validity_url; the auth rules check the signature against the keys of
  // that event, so nobody but the identity server can forge one. Invites of other rooms, and
  // those already taken, are left out; at most 100 are read, one after the other. `done` gets
  // M_FORBIDDEN when one could not be made (the others still are).
  using KeyValid = std::function<void(const std::string& validity_url, const std::string& public_key,
                                      std::function<void(bool)> done)>;
  void accept_third_party_invites(const json::object& body, KeyValid key_valid, std::function<void(core::Status)> done);
  core::Result<std::string> ban(const core::UserId& sender, const core::RoomId& room_id, const std::string& target,
                                const std::string& reason);
  core::Result<std::string> kick(const core::UserId& sender, const core::RoomId& room_id, const std::string& target,
                                 const std::string& reason);
  core::Result<std::string> unban(const core::UserId& sender, const core::RoomId& room_id, const std::string& target,
                                  const std::string& reason);

  // Sends a fresh m.room.member join with the user's new profile into every joined room.
  void propagate_profile(const core::UserId& user_id);
  // Leaves every room the user is joined to, invited to or knocking on (account deactivation).
  void leave_all(const core::UserId& user_id);

  // POST /rooms/{roomId}/upgrade: returns the replacement room's ID. `additional_creators`
  // (v12 rooms; ignored for versions without them) are not carried over from the old room.
  core::Result<std::string> upgrade(const core::UserId& user_id, const core::RoomId& room_id,
                                    const std::string& new_version,
                                    const std::vector<std::string>& additional_creators);

 private:
  // Whether a join must go through another server: the room is unknown here, or no local user
  // is joined while users of other servers are.
  bool needs_remote_join(const core::RoomId& room_id);
  // accept_third_party_invites: invites[next..], `failure` the first refusal so far.
  void accept_invites_from(std::shared_ptr<const json::array> invites, std::size_t next, KeyValid key_valid,
                           std::optional<core::Error> failure, std::function<void(core::Status)> done);
  // The content of a member event for `user_id` with their current profile.
  json::object member_content(const std::string& user_id, const std::string& membership, const std::string& reason);
  // "#<alias_name>:<server>" when valid, free and within the creator's bound on aliases.
  core::Result<std::string> new_alias(const std::string& creator, const std::string& alias_name);
  // The old room's m.room.tombstone pointing at `new_room`; its event ID.
  core::Result<std::string> send_tombstone(const std::string& user_id, const core::RoomId& room_id,
                                           const std::string& new_room);
  // An upgrade's last steps in the old room, after the tombstone: restricted power levels (when
  // it has any), and its publication, members' room push rules and aliases moved to `new_room`.
  void retire_room(const std::string& user_id, const core::RoomId& room_id, const std::string& new_room,
                   bool restrict_power_levels);

  const MembershipOptions& config_;
  const TimelineOptions& timeline_config_;
  const PushOptions& push_config_;
  storage::EventStore& store_;
  storage::AccountStore& account_store_;
  storage::RoomDirectoryStore& directory_store_;
  storage::UserDataStore& user_data_store_;
  RoomCache& rooms_;
  const EventBuilder& builder_;
  WritePath& write_path_;
  Timeline& timeline_;
  // The room of `room_id_or_alias` and the servers to reach it through: `via`, then (another
  // server's alias, asked of it) the alias's servers, the room ID's server and the alias's.
  void resolve_with_servers(const std::string& room_id_or_alias, std::vector<std::string> via,
                            std::function<void(core::Result<std::pair<core::RoomId, std::vector<std::string>>>)> done);
  // join_room once the room is known: locally, or through `servers`.
  void join_resolved(const core::UserId& user_id, bool guest, const core::RoomId& room_id,
                     std::vector<std::string> servers, const std::string& reason,
                     std::function<void(core::Result<std::string>)> done);

  RemoteJoin remote_join_;
  ResolveAlias resolve_alias_;
  RemoteInvite remote_invite_;
  RemoteLeave remote_leave_;
  RemoteKnock remote_knock_;
};

}  // namespace myelin::homeserver
