#include "homeserver/timeline/timeline.h"

#include "core/clock.h"

namespace myelin::homeserver {

core::Result<Sent> Timeline::send(const core::RoomId& room_id, EventDraft draft,
                                  const std::optional<storage::Transaction>& txn) {
  if (txn) {
    if (auto earlier = store_.txn_event(*txn)) {
      auto stored = store_.event(*earlier);
      return Sent{*earlier, stored ? stored->pos : 0};
    }
  }
  std::shared_ptr<RoomState> state = rooms_.room(room_id);
  if (!state) return core::fail(core::Errc::kForbidden, "Unknown room or not a member");
  // Re-sending the current state unchanged (same sender, same content) sends nothing.
  if (draft.state_key) {
    const StateEntry* current = state->find(draft.type, *draft.state_key);
    if (current && string_field(*current->pdu, "sender") == draft.sender &&
        current->pdu->at("content") == json::value(draft.content))
      return Sent{current->event_id, current->pos};
  }
  auto built = builder_.build(*state, draft);
  if (!built) return std::unexpected(built.error());
  built->row.txn = txn;
  const storage::Persisted at = write_path_.write(*state, *built);
  return Sent{built->row.event_id, at.pos};
}

void Timeline::expire_transactions() { store_.purge_transactions(core::now_ms() - 86'400'000); }

}  // namespace myelin::homeserver
