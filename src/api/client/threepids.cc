// Third-party identifiers (client-server-api "Adding Account Administrative Contact
// Information"): GET /account/3pid, POST /account/3pid/bind, /account/3pid/unbind and
// /account/3pid/delete; and inviting by one (threepid_invite.h). myelin validates no e-mail addresses or phone numbers
// itself, so an account holds none (/3pid/add is not offered); a user can bind one that an identity server validated,
// through homeserver::IdentityServers (off unless the admin enables it).
#include "api/client/reader.h"
#include "api/client/threepid_invite.h"
#include "api/handlers.h"

namespace myelin::api {

void invite_3pid(Call& call, const core::RoomId& room_id, const json::object& invite,
                 std::function<void(core::Status)> done) {
  auto id_server = required_string(invite, "id_server");
  if (!id_server) return done(std::unexpected(id_server.error()));
  auto token = required_string(invite, "id_access_token");
  if (!token) return done(std::unexpected(token.error()));
  auto medium = required_string(invite, "medium");
  if (!medium) return done(std::unexpected(medium.error()));
  auto address = required_string(invite, "address");
  if (!address) return done(std::unexpected(address.error()));
  const core::UserId sender = call.user().user_id;
  // Only a member of the room makes this server ask an identity server anything for it (the
  // invite itself is still checked by the auth rules).
  auto own = call.hs.room_reader.state_event(reader(call), room_id, "m.room.member", sender.str());
  const json::value* content = own ? own->if_contains("content") : nullptr;
  const json::value* membership =
      content && content->is_object() ? content->get_object().if_contains("membership") : nullptr;
  if (!membership || !membership->is_string() || membership->get_string() != "join")
    return done(core::fail(core::Errc::kForbidden, "You are not in this room"));
  call.hs.identity_servers.lookup(
      *id_server, *token, *medium, *address,
      [call, room_id, sender, id_server = *id_server, token = *token, medium = *medium, address = *address,
       done = std::move(done)](core::Result<std::optional<std::string>> found) mutable {
        if (!found) return done(std::unexpected(found.error()));
        if (*found)
          return call.hs.rooms.invite_any(sender, room_id, **found, "",
                                          [done = std::move(done)](const core::Result<std::string>& invited) {
                                            done(invited ? core::Status() : std::unexpected(invited.error()));
                                          });
        call.hs.identity_servers.store_invite(
            id_server, token, medium, address, room_id.str(), sender.str(),
            [call, room_id, sender,
             done = std::move(done)](core::Result<homeserver::IdentityServers::StoredInvite> stored) {
              if (!stored) return done(std::unexpected(stored.error()));
              auto sent = call.hs.event_sender.send_state(sender, room_id, "m.room.third_party_invite", stored->token,
                                                          std::move(stored->content), std::nullopt);
              done(sent ? core::Status() : std::unexpected(sent.error()));
            });
      });
}

namespace {

// /unbind and /delete: {medium, address, id_server?} → {id_server_unbind_result}.
void unbind(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto medium = required_string(*body, "medium");
  if (!medium) return call.fail(medium.error());
  auto address = required_string(*body, "address");
  if (!address) return call.fail(address.error());
  auto id_server = optional_string(*body, "id_server");
  if (!id_server) return call.fail(id_server.error());
  call.hs.identity_servers.unbind(call.user().user_id, *medium, *address, *id_server,
                                  [call](core::Result<std::string> result) {
                                    if (!result) return call.fail(result.error());
                                    call.reply(json::object{{"id_server_unbind_result", *result}});
                                  });
}

}  // namespace

void get_account_3pids(Call& call) { call.reply(json::object{{"threepids", json::array{}}}); }

void post_3pid_bind(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.hs.identity_servers.bind(call.user().user_id, *body, [call](core::Status ok) {
    if (!ok) return call.fail(ok.error());
    call.reply(json::object{});
  });
}

void post_3pid_unbind(Call& call) { unbind(call); }

// The account holds no 3PIDs, so deleting one is unbinding it.
void post_3pid_delete(Call& call) { unbind(call); }

}  // namespace myelin::api
