// GET /_matrix/key/v2/server — server-server-api "Publishing Keys"
#include "api/handlers.h"

namespace myelin::api {

// Public: another server needs our keys before it can check anything we signed.
void get_server_keys(Call& call) { call.reply(call.hs.key_server.document()); }

}  // namespace myelin::api
