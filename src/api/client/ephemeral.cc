// PUT  /_matrix/client/v3/rooms/{roomId}/typing/{userId}                  — client-server-api
//      "Typing Notifications"
// POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}  — "Receipts"
// POST /_matrix/client/v3/rooms/{roomId}/read_markers                     — "Read and unread
//      markers" (fully read markers)
// The rules are homeserver::Ephemeral's.
#include <string>
#include <utility>
#include <vector>

#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {
namespace {

using core::Errc;

// The optional thread_id of a receipt body: "" when absent or null, else "main" or an event ID.
core::Result<std::string> thread_of(const json::object& body, const std::string& type) {
  auto thread = body.if_contains("thread_id");
  if (!thread || thread->is_null()) return std::string();
  if (!thread->is_string() || thread->get_string().empty())
    return core::fail(Errc::kInvalidParam, "thread_id must be a non-empty string");
  std::string thread_id(thread->get_string());
  if (type == "m.fully_read") return core::fail(Errc::kInvalidParam, "m.fully_read cannot have a thread_id");
  if (thread_id != "main" && !core::is_valid_event_id(thread_id))
    return core::fail(Errc::kInvalidParam, "thread_id must be \"main\" or an event ID");
  return thread_id;
}

}  // namespace

void put_typing(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  if (call.param(1) != call.user().user_id)
    return call.fail(core::make_error(Errc::kForbidden, "You can only set your own typing state"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto typing = optional_bool(*body, "typing");
  if (!typing) return call.fail(typing.error());
  if (!*typing) return call.fail(core::make_error(Errc::kMissingParam, "Missing typing"));
  auto timeout = optional_int(*body, "timeout");
  if (!timeout) return call.fail(timeout.error());
  call.answer(call.hs.ephemeral.set_typing(call.user().user_id, *room_id, **typing, *timeout));
}

void post_receipt(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto event_id = call.event_id_param(2);
  if (!event_id) return call.fail(event_id.error());
  const std::string& type = call.param(1);
  if (type != "m.read" && type != "m.read.private" && type != "m.fully_read")
    return call.fail(core::make_error(Errc::kInvalidParam, "Unknown receipt type"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto thread_id = thread_of(*body, type);
  if (!thread_id) return call.fail(thread_id.error());
  call.answer(call.hs.ephemeral.set_receipt(call.user().user_id, *room_id, type, *event_id, *thread_id));
}

void post_read_markers(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  std::vector<std::pair<std::string, std::string>> markers;
  for (const char* type : {"m.fully_read", "m.read", "m.read.private"}) {
    auto event_id = optional_string(*body, type);
    if (!event_id) return call.fail(event_id.error());
    if (*event_id) markers.emplace_back(type, std::move(**event_id));
  }
  call.answer(call.hs.ephemeral.set_read_markers(call.user().user_id, *room_id, markers));
}

}  // namespace myelin::api
