// Membership transitions (client-server-api/_index.md "Room membership") for local rooms.

#include <algorithm>

#include "core/ids.h"
#include "homeserver/membership/room_service.h"
#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/join_rules.h"
#include "rooms/third_party_invite.h"

namespace myelin::homeserver {

using core::Errc;

core::Result<core::RoomId> RoomService::resolve_room(const std::string& room_id_or_alias) {
  if (room_id_or_alias.starts_with("#")) {
    if (!core::RoomAlias::parse(room_id_or_alias)) return core::fail(Errc::kInvalidParam, "Invalid room alias");
    auto room_id = directory_store_.alias_room(room_id_or_alias);
    if (!room_id) return core::fail(Errc::kNotFound, "Room alias not found");
    auto parsed = core::RoomId::parse(*room_id);  // checked when the alias was made
    if (!parsed) return core::fail(Errc::kInternal, "Invalid stored room ID");
    return std::move(*parsed);
  }
  auto room_id = core::RoomId::parse(room_id_or_alias);
  if (!room_id) return core::fail(Errc::kInvalidParam, "Not a room ID or alias");
  return std::move(*room_id);
}

core::Result<std::string> RoomService::join(const core::UserId& user_id, const core::RoomId& room_id,
                                            const std::string& reason) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room) return core::fail(Errc::kNotFound, "No known server can join this room");
  json::object content = member_content(user_id, "join", reason);
  if (const json::object* current = room->content("m.room.member", user_id.str()); current && *current == content)
    return room_id;  // already joined with this profile: nothing to send
  std::string authoriser = restricted_join_authoriser(rooms_, config_.server_name, *room, user_id);
  if (!authoriser.empty()) content["join_authorised_via_users_server"] = authoriser;
  auto sent = timeline_.send(room_id, {user_id, "m.room.member", user_id, std::move(content), {}});
  if (!sent) return std::unexpected(sent.error());
  return room_id;
}

core::Result<std::string> RoomService::knock(const core::UserId& user_id, const core::RoomId& room_id,
                                             const std::string& reason) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room) return core::fail(Errc::kNotFound, "No known server can knock on this room");
  auto sent =
      timeline_.send(room_id, {user_id, "m.room.member", user_id, member_content(user_id, "knock", reason), {}});
  if (!sent) return std::unexpected(sent.error());
  return room_id;
}

core::Result<std::string> RoomService::set_membership(const core::UserId& sender, const core::RoomId& room_id,
                                                      const core::UserId& target, const std::string& membership,
                                                      const std::string& reason, bool is_direct) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room) return core::fail(Errc::kForbidden, "Unknown room or not a member");
  const std::string suffix = ":" + config_.server_name;
  if (membership == "invite") {
    if (!target.str().ends_with(suffix))
      return core::fail(Errc::kForbidden, "Inviting users on other servers needs federation");
    if (!account_store_.user(target)) return core::fail(Errc::kNotFound, "Unknown user");
    if (room->membership(target.str()) == "invite") return room_id;  // already invited: idempotent
  }
  json::object content =
      membership == "invite" ? member_content(target, membership, reason) : json::object{{"membership", membership}};
  if (membership != "invite" && !reason.empty()) content["reason"] = reason;
  if (is_direct) content["is_direct"] = true;
  auto sent = timeline_.send(room_id, {sender, "m.room.member", target, std::move(content), {}});
  if (!sent) return std::unexpected(sent.error());
  return sent->event_id;
}

core::Status RoomService::forget(const core::UserId& user_id, const core::RoomId& room_id) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room) return core::fail(Errc::kNotFound, "Unknown room");
  const std::string membership = room->membership(user_id.str());
  if (membership == "join" || membership == "invite" || membership == "knock")
    return core::fail(Errc::kUnknown, "Leave the room before forgetting it");
  store_.forget_room(user_id, room_id);
  return {};
}

bool RoomService::needs_remote_join(const core::RoomId& room_id) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room || !room->pdu("m.room.create", "")) return true;  // unknown, or known only by an invite
  const std::string suffix = ":" + config_.server_name;
  auto local = [&suffix](const std::string& user) { return user.ends_with(suffix); };
  return std::ranges::none_of(room->joined, local) && !std::ranges::all_of(room->joined, local);
}

void RoomService::resolve_with_servers(
    const std::string& room_id_or_alias, std::vector<std::string> via,
    std::function<void(core::Result<std::pair<core::RoomId, std::vector<std::string>>>)> done) {
  auto alias = core::RoomAlias::parse(room_id_or_alias);
  if (!alias || alias->server() == config_.server_name) {
    auto room_id = resolve_room(room_id_or_alias);
    if (!room_id) return done(std::unexpected(room_id.error()));
    via.emplace_back(room_id->server());
    return done(std::make_pair(std::move(*room_id), std::move(via)));
  }
  resolve_alias_(*alias, [via = std::move(via), server = std::string(alias->server()),
                          done = std::move(done)](core::Result<ResolvedAlias> resolved) mutable {
    if (!resolved) return done(std::unexpected(resolved.error()));
    auto room_id = core::RoomId::parse(resolved->room_id);
    if (!room_id) return done(core::fail(Errc::kUnknown, "The alias's server named an invalid room", 502));
    via.insert(via.end(), resolved->servers.begin(), resolved->servers.end());
    via.emplace_back(room_id->server());
    via.push_back(std::move(server));
    done(std::make_pair(std::move(*room_id), std::move(via)));
  });
}

void RoomService::join_room(const core::UserId& user_id, bool guest, const std::string& room_id_or_alias,
                            std::vector<std::string> via, const std::string& reason,
                            std::function<void(core::Result<std::string>)> done) {
  resolve_with_servers(
      room_id_or_alias, std::move(via),
      [this, user_id, guest, reason,
       done = std::move(done)](core::Result<std::pair<core::RoomId, std::vector<std::string>>> resolved) mutable {
        if (!resolved) return done(std::unexpected(resolved.error()));
        join_resolved(user_id, guest, resolved->first, std::move(resolved->second), reason, std::move(done));
      });
}

void RoomService::join_resolved(const core::UserId& user_id, bool guest, const core::RoomId& room_id,
                                std::vector<std::string> servers, const std::string& reason,
                                std::function<void(core::Result<std::string>)> done) {
  if (needs_remote_join(room_id)) {
    if (guest) return done(core::fail(Errc::kGuestAccessForbidden, "Guests may not join rooms of other servers"));
    // Invited from another server: that server first.
    if (std::shared_ptr<RoomState> room = rooms_.room(room_id))
      if (const json::object* own = room->pdu("m.room.member", user_id.str()))
        if (auto inviter = core::UserId::parse(string_field(*own, "sender")))
          servers.insert(servers.begin(), std::string(inviter->server()));
    return remote_join_(user_id, room_id, std::move(servers), member_content(user_id, "join", reason), std::move(done));
  }
  if (guest) {
    std::shared_ptr<RoomState> room = rooms_.room(room_id);
    const json::object* access = room ? room->content("m.room.guest_access", "") : nullptr;
    if (!access || string_field(*access, "guest_access") != "can_join")
      return done(core::fail(Errc::kGuestAccessForbidden, "Guests may not join this room"));
  }
  done(join(user_id, room_id, reason));
}

void RoomService::knock_room(const core::UserId& user_id, const std::string& room_id_or_alias,
                             std::vector<std::string> via, const std::string& reason,
                             std::function<void(core::Result<std::string>)> done) {
  resolve_with_servers(room_id_or_alias, std::move(via),
                       [this, user_id, reason, done = std::move(done)](
                           core::Result<std::pair<core::RoomId, std::vector<std::string>>> resolved) mutable {
                         if (!resolved) return done(std::unexpected(resolved.error()));
                         const core::RoomId& room_id = resolved->first;
                         if (!needs_remote_join(room_id)) return done(knock(user_id, room_id, reason));
                         remote_knock_(user_id, room_id, std::move(resolved->second),
                                       member_content(user_id, "knock", reason), std::move(done));
                       });
}

core::Status RoomService::leave(const core::UserId& user_id, const core::RoomId& room_id, const std::string& reason) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room) return core::fail(Errc::kNotFound, "Unknown room");
  const std::string membership = room->membership(user_id.str());
  if (membership == "leave" || membership == "ban" || membership.empty()) return {};
  auto left = set_membership(user_id, room_id, user_id, "leave", reason);
  if (!left) return std::unexpected(left.error());
  return {};
}

void RoomService::leave_room(const core::UserId& user_id, const core::RoomId& room_id, const std::string& reason,
                             std::function<void(core::Status)> done) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  const json::object* own = room ? room->pdu("m.room.member", user_id.str()) : nullptr;
  if (!own || room->pdu("m.room.create", "")) return done(leave(user_id, room_id, reason));
  const std::string membership = room->membership(user_id.str());
  if (membership == "knock") {
    // Known only through a knock: retracted through the server that took it.
    const json::value* through = own->if_contains("unsigned");
    through = through && through->is_object() ? through->get_object().if_contains("knocked_through") : nullptr;
    const std::string server = through && through->is_string() ? std::string(through->get_string()) : "";
    return remote_leave_(user_id, room_id, server, reason, std::move(done));
  }
  if (membership != "invite") return done({});
  // Known only through another server's invite: rejected through the inviter's server.
  auto inviter = core::UserId::parse(string_field(*own, "sender"));
  if (!inviter) return done(leave(user_id, room_id, reason));
  remote_leave_(user_id, room_id, std::string(inviter->server()), reason, std::move(done));
}

void RoomService::invite_any(const core::UserId& sender, const core::RoomId& room_id, const std::string& target,
                             const std::string& reason, std::function<void(core::Result<std::string>)> done) {
  auto invitee = core::UserId::parse(target);
  if (!invitee || invitee->server() == config_.server_name) return done(invite(sender, room_id, target, reason));
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room) return done(core::fail(Errc::kForbidden, "Unknown room or not a member"));
  if (room->membership(target) == "invite") return done(room_id.str());  // already invited: idempotent
  json::object content{{"membership", "invite"}};
  if (!reason.empty()) content["reason"] = reason;
  auto built = builder_.build(*room, {sender.str(), "m.room.member", target, std::move(content), {}});
  if (!built) return done(std::unexpected(built.error()));
  json::array stripped = stripped_room_state(*room, {sender.str()});
  json::object pdu = built->pdu;
  remote_invite_(*room->rules, std::move(pdu), std::move(stripped),
                 [this, room_id, event = std::move(*built),
                  done = std::move(done)](core::Result<json::object> countersigned) mutable {
                   if (!countersigned) return done(std::unexpected(countersigned.error()));
                   std::shared_ptr<RoomState> room = rooms_.room(room_id);
                   if (!room) return done(core::fail(Errc::kForbidden, "Unknown room or not a member"));
                   event.row.json = core::canonical_json(*countersigned);
                   event.pdu = std::move(*countersigned);
                   write_path_.write(*room, event);
                   done(event.row.event_id);
                 });
}

namespace {

core::Result<core::UserId> parse_target(const std::string& target) {
  auto user_id = core::UserId::parse(target);
  if (!user_id) return core::fail(Errc::kInvalidParam, "Invalid user ID");
  return std::move(*user_id);
}

}  // namespace

core::Result<std::string> RoomService::invite(const core::UserId& sender, const core::RoomId& room_id,
                                              const std::string& target, const std::string& reason) {
  auto user_id = parse_target(target);
  if (!user_id) return std::unexpected(user_id.error());
  return set_membership(sender, room_id, *user_id, "invite", reason);
}

void RoomService::accept_third_party_invites(const json::object& body, KeyValid key_valid,
                                             std::function<void(core::Status)> done) {
  constexpr std::size_t kMaxInvites = 100;
  const json::value* invites = body.if_contains("invites");
  if (!invites || !invites->is_array()) return done({});
  json::array kept = invites->get_array();
  if (kept.size() > kMaxInvites) kept.resize(kMaxInvites);
  accept_invites_from(std::make_shared<const json::array>(std::move(kept)), 0, std::move(key_valid), std::nullopt,
                      std::move(done));
}

void RoomService::accept_invites_from(std::shared_ptr<const json::array> invites, std::size_t next, KeyValid key_valid,
                                      std::optional<core::Error> failure, std::function<void(core::Status)> done) {
  for (; next < invites->size(); ++next) {
    const json::value& entry = (*invites)[next];
    if (!entry.is_object()) continue;
    const json::object& invite = entry.get_object();
    auto text = [&](std::string_view key) {
      const json::value* value = invite.if_contains(key);
      return value && value->is_string() ? std::string(value->get_string()) : std::string();
    };
    auto room_id = core::RoomId::parse(text("room_id"));
    auto sender = core::UserId::parse(text("sender"));
    auto target = core::UserId::parse(text("mxid"));
    const json::value* signed_ = invite.if_contains("signed");
    if (!room_id || !sender || !target || !signed_ || !signed_->is_object()) continue;
    if (sender->server() != config_.server_name || target->server() != config_.server_name) continue;
    const json::value* token = signed_->get_object().if_contains("token");
    std::shared_ptr<RoomState> room = rooms_.room(*room_id);
    if (!room || !token || !token->is_string()) continue;
    const json::object* stored = room->content("m.room.third_party_invite", std::string(token->get_string()));
    const std::string membership = room->membership(target->str());
    if (!stored || membership == "join" || membership == "invite") continue;
    auto key = rooms::third_party_invite_key(*stored, signed_->get_object());
    if (!key) {
      failure = failure.value_or(core::make_error(Errc::kForbidden, "An invite's signature does not verify"));
      continue;
    }
    const json::value* name = stored->if_contains("display_name");
    json::object content = member_content(*target, "invite", "");
    content["third_party_invite"] =
        json::object{{"display_name", name && name->is_string() ? *name : json::value("")}, {"signed", *signed_}};
    // Asked of the identity server: the next invites wait for its answer.
    return key_valid(key->validity_url, key->public_key,
                     [this, invites, next, key_valid, failure, done = std::move(done), room_id = *room_id,
                      sender = *sender, target = *target, content = std::move(content)](bool valid) mutable {
                       core::Result<Sent> sent = core::fail(Errc::kForbidden, "The invite's key is no longer valid");
                       if (valid)
                         sent = timeline_.send(room_id, {sender, "m.room.member", target, std::move(content), {}});
                       if (!sent && !failure) failure = sent.error();
                       accept_invites_from(std::move(invites), next + 1, std::move(key_valid), std::move(failure),
                                           std::move(done));
                     });
  }
  done(failure ? core::Status(std::unexpected(*failure)) : core::Status());
}

core::Result<std::string> RoomService::ban(const core::UserId& sender, const core::RoomId& room_id,
                                           const std::string& target, const std::string& reason) {
  auto user_id = parse_target(target);
  if (!user_id) return std::unexpected(user_id.error());
  return set_membership(sender, room_id, *user_id, "ban", reason);
}

core::Result<std::string> RoomService::kick(const core::UserId& sender, const core::RoomId& room_id,
                                            const std::string& target, const std::string& reason) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  const std::string membership = room ? room->membership(target) : "";
  if (membership != "join" && membership != "invite" && membership != "knock")
    return core::fail(Errc::kForbidden, "The user is not in the room");
  auto user_id = parse_target(target);
  if (!user_id) return std::unexpected(user_id.error());
  return set_membership(sender, room_id, *user_id, "leave", reason);
}

core::Result<std::string> RoomService::unban(const core::UserId& sender, const core::RoomId& room_id,
                                             const std::string& target, const std::string& reason) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (room && room->membership(target) != "ban") return core::fail(Errc::kForbidden, "User is not banned");
  auto user_id = parse_target(target);
  if (!user_id) return std::unexpected(user_id.error());
  return set_membership(sender, room_id, *user_id, "leave", reason);
}

void RoomService::propagate_profile(const core::UserId& user_id) {
  for (const auto& membership : store_.user_memberships(user_id)) {
    if (membership.membership != "join") continue;
    std::shared_ptr<RoomState> room = rooms_.room(membership.room_id);
    if (!room) continue;
    auto room_id = core::RoomId::parse(membership.room_id);  // the store's own: checked on the way in
    if (!room_id) continue;
    json::object content = member_content(user_id, "join", "");
    // Keep room-specific fields the user did not change (e.g. is_direct is not on joins).
    (void)timeline_.send(*room_id, {user_id, "m.room.member", user_id, std::move(content), {}});
  }
}

void RoomService::leave_all(const core::UserId& user_id) {
  for (const auto& membership : store_.user_memberships(user_id)) {
    if (membership.membership != "join" && membership.membership != "invite" && membership.membership != "knock")
      continue;
    // A refused leave (e.g. an unknown room) must not stop the caller (a deactivation).
    if (auto room_id = core::RoomId::parse(membership.room_id))
      (void)set_membership(user_id, *room_id, user_id, "leave", "");
  }
}

}  // namespace myelin::homeserver
