// Server-side key backups (client-server-api "Server-side key backups"):
// POST/GET /_matrix/client/v3/room_keys/version, GET/PUT/DELETE room_keys/version/{version},
// PUT/GET/DELETE room_keys/keys[/{roomId}[/{sessionId}]]?version=...
#include "api/handlers.h"

namespace myelin::api {
namespace {

using core::Errc;

// The room and session named by the path (the routes differ only in how many they name).
std::pair<std::optional<std::string>, std::optional<std::string>> narrowing(const Call& call) {
  const auto& params = call.request.params;
  return {params.size() > 0 ? std::optional(params[0]) : std::nullopt,
          params.size() > 1 ? std::optional(params[1]) : std::nullopt};
}

// Runs `then(version)` with the required ?version= parameter.
template <class Then>
void with_version(Call& call, Then then) {
  auto version = call.request.query_param("version");
  if (!version) return call.fail(core::make_error(Errc::kMissingParam, "Missing version"));
  then(*version);
}

}  // namespace

void post_backup_version(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.answer(call.hs.key_backup.create_version(call.user().user_id, *body));
}

void get_backup_version(Call& call) {
  const std::string version = call.request.params.empty() ? "" : call.param(0);
  call.answer(call.hs.key_backup.version(call.user().user_id, version));
}

void put_backup_version(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.answer(call.hs.key_backup.update_version(call.user().user_id, call.param(0), *body));
}

void delete_backup_version(Call& call) {
  call.answer(call.hs.key_backup.delete_version(call.user().user_id, call.param(0)));
}

void put_backup_keys(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  with_version(call, [&](const std::string& version) {
    auto [room, session] = narrowing(call);
    call.answer(call.hs.key_backup.put_keys(call.user().user_id, version, room, session, *body));
  });
}

void get_backup_keys(Call& call) {
  with_version(call, [&](const std::string& version) {
    auto [room, session] = narrowing(call);
    call.answer(call.hs.key_backup.get_keys(call.user().user_id, version, room, session));
  });
}

void delete_backup_keys(Call& call) {
  with_version(call, [&](const std::string& version) {
    auto [room, session] = narrowing(call);
    call.answer(call.hs.key_backup.delete_keys(call.user().user_id, version, room, session));
  });
}

}  // namespace myelin::api
