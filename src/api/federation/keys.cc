// GET  /_matrix/key/v2/server               — server-server-api "Publishing Keys"
// GET  /_matrix/key/v2/query/{serverName}   — "Querying Keys Through Another Server"
// POST /_matrix/key/v2/query
// Whether this server is a notary at all is homeserver::KeyServer's.
#include "api/handlers.h"

namespace myelin::api {

// Public: another server needs our keys before it can check anything we signed.
void get_server_keys(Call& call) { call.reply(call.hs.key_server.document()); }

void get_key_query(Call& call) {
  auto minimum = int_query_param(call.request, "minimum_valid_until_ts", 0);
  if (!minimum) return call.fail(minimum.error());
  homeserver::KeyRing::Criteria criteria{{}, *minimum};
  if (call.request.params.size() > 1) criteria.key_ids.push_back(call.param(1));  // the legacy {keyId}
  call.hs.key_server.query({{call.param(0), std::move(criteria)}},
                           [call](core::Result<json::object> r) { call.answer(r); });
}

void post_key_query(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  const json::value* servers = body->if_contains("server_keys");
  if (!servers || !servers->is_object())
    return call.fail(core::make_error(core::Errc::kBadJson, "server_keys must be an object"));
  std::map<std::string, homeserver::KeyRing::Criteria> wanted;
  for (const auto& [server, keys] : servers->get_object()) {
    if (!keys.is_object()) return call.fail(core::make_error(core::Errc::kBadJson, "Criteria must be objects"));
    auto& criteria = wanted[std::string(server)];
    for (const auto& [key_id, wanted_key] : keys.get_object()) {
      criteria.key_ids.emplace_back(key_id);
      const json::value* ts =
          wanted_key.is_object() ? wanted_key.get_object().if_contains("minimum_valid_until_ts") : nullptr;
      if (ts && ts->is_int64())
        criteria.minimum_valid_until_ts = std::max(criteria.minimum_valid_until_ts, ts->get_int64());
    }
  }
  call.hs.key_server.query(std::move(wanted), [call](core::Result<json::object> r) { call.answer(r); });
}

}  // namespace myelin::api
