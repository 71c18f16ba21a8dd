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
  call.hs.key_server.query({{call.param(0), *minimum}}, [call](core::Result<json::object> r) { call.answer(r); });
}

void post_key_query(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  const json::value* servers = body->if_contains("server_keys");
  if (!servers || !servers->is_object())
    return call.fail(core::make_error(core::Errc::kBadJson, "server_keys must be an object"));
  std::map<std::string, std::int64_t> wanted;
  for (const auto& [server, keys] : servers->get_object()) {
    if (!keys.is_object()) return call.fail(core::make_error(core::Errc::kBadJson, "Criteria must be objects"));
    std::int64_t minimum = 0;
    for (const auto& [key_id, criteria] : keys.get_object()) {
      const json::value* ts =
          criteria.is_object() ? criteria.get_object().if_contains("minimum_valid_until_ts") : nullptr;
      if (ts && ts->is_int64()) minimum = std::max(minimum, ts->get_int64());
    }
    wanted[std::string(server)] = minimum;
  }
  call.hs.key_server.query(std::move(wanted), [call](core::Result<json::object> r) { call.answer(r); });
}

}  // namespace myelin::api
