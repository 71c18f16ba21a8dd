#include "homeserver/visibility.h"

#include "core/json.h"

namespace myelin::homeserver {
namespace {

std::string membership_of(const storage::StoredEvent& event) {
  auto pdu = core::parse_json_object(event.json);
  if (!pdu) return "";
  auto content = pdu->if_contains("content");
  return content && content->is_object() ? std::string(string_field(content->get_object(), "membership")) : "";
}

// The position where the user's run of `first`/`second` memberships that ends at `event` began.
storage::StreamPos start_of_run(storage::Store& store, std::optional<storage::StoredEvent> event,
                                std::string_view first, std::string_view second) {
  storage::StreamPos start = event ? event->pos : 0;
  while (event) {
    const std::string membership = membership_of(*event);
    if (membership != first && membership != second) break;
    start = event->pos;
    if (!event->replaces_state) break;
    event = store.event(*event->replaces_state);
  }
  return start;
}

}  // namespace

std::optional<VisibleRange> visible_range(storage::Store& store, const RoomState& room,
                                          const std::string& user_id) {
  const json::object* setting = room.content("m.room.history_visibility", "");
  const std::string visibility = setting ? std::string(string_field(*setting, "history_visibility")) : "shared";
  const storage::StreamPos now = store.current_pos();
  const StateEntry* member = room.find("m.room.member", user_id);
  const std::string membership = room.membership(user_id);
  if (membership != "join" && membership != "leave" && membership != "ban") {
    if (visibility == "world_readable") return VisibleRange{0, now};
    return std::nullopt;
  }
  auto current = store.event(member->event_id);
  if (!current) return std::nullopt;
  VisibleRange range{0, membership == "join" ? now : current->pos};
  // For a departed user, the membership run ends with the event their leave replaced.
  std::optional<storage::StoredEvent> last_member = current;
  if (membership != "join") {
    if (!current->replaces_state) return std::nullopt;
    last_member = store.event(*current->replaces_state);
    if (!last_member || membership_of(*last_member) != "join") {
      if (visibility == "world_readable") return VisibleRange{0, now};
      return std::nullopt;  // left without ever joining (e.g. rejected an invite)
    }
  }
  if (visibility == "joined") range.from = start_of_run(store, last_member, "join", "join");
  if (visibility == "invited") range.from = start_of_run(store, last_member, "join", "invite");
  return range;
}

std::string membership_at(storage::Store& store, const storage::Membership& current, storage::StreamPos since) {
  if (current.pos <= since) return current.membership;
  auto event = store.event(current.event_id);
  while (event && event->pos > since) {
    if (!event->replaces_state) return "";
    event = store.event(*event->replaces_state);
  }
  return event ? membership_of(*event) : "";
}

}  // namespace myelin::homeserver
