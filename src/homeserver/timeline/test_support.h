#pragma once
// For unit tests of the services built on the timeline: a scheduler that never runs anything,
// the local send path with its parts (nothing subscribed to the write path), and rooms written
// straight to the store.
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/options.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/search_text.h"
#include "homeserver/timeline/timeline.h"
#include "homeserver/timeline/write_path.h"
#include "http/http.h"
#include "storage/store.h"

namespace myelin::homeserver::testing {

// An identifier the test knows to be valid.
template <class Id>
Id id(std::string_view text) {
  return *Id::parse(text);
}

// Nothing waits: the notifier's wake-ups are simply dropped.
class NoScheduler final : public http::Scheduler {
 public:
  void post(std::function<void()>) override {}
  std::unique_ptr<http::Timer> after(std::chrono::milliseconds, std::function<void()>) override { return nullptr; }
  void run_blocking(std::function<void()>, std::function<void()>) override {}
};

// Timeline::send and what it is built from, over `store`.
struct SendPath {
  SendPath(const TimelineOptions& options, storage::Store& store, const core::SigningKey& key)
      : rooms(store, options.room_cache_state_events),
        builder(options, store, store, key),
        write_path(store, rooms),
        timeline(store, rooms, builder, write_path) {}
  RoomCache rooms;
  EventBuilder builder;
  WritePath write_path;
  Timeline timeline;
};

inline storage::NewEvent test_event(const std::string& room_id, const std::string& id, const std::string& type,
                                    std::optional<std::string> state_key, const std::string& sender,
                                    json::object content) {
  storage::NewEvent event;
  event.event_id = id;
  event.room_id = room_id;
  event.type = type;
  event.state_key = state_key;
  event.sender = sender;
  event.search_text = search_text_of(type, state_key, content);
  json::object pdu{{"type", type}, {"sender", sender}, {"room_id", room_id}, {"content", std::move(content)}};
  if (state_key) pdu["state_key"] = *state_key;
  event.json = core::to_string(pdu);
  event.state_group_before = storage::kStateGroupOfPrevious;
  return event;
}

// A room with an m.room.create by `creator`, a join of each of `joined` and one message by the
// creator ($<room ID without "!">-message), in room version 12, unsigned (the services read it
// through the room cache, which does not check what the store holds).
inline void add_test_room(storage::Store& store, const std::string& room_id, const std::string& creator,
                          const std::vector<std::string>& joined) {
  std::vector<storage::NewEvent> events;
  events.push_back(test_event(room_id, "$" + room_id.substr(1) + "-create", "m.room.create", "", creator, {}));
  events.front().state_group_before = 0;
  for (const auto& user : joined)
    events.push_back(test_event(room_id, "$" + room_id.substr(1) + "-" + user.substr(1), "m.room.member", user, user,
                                {{"membership", "join"}}));
  events.push_back(test_event(room_id, "$" + room_id.substr(1) + "-message", "m.room.message", std::nullopt, creator,
                              {{"body", "hello"}}));
  store.persist_events(events, storage::RoomRecord{room_id, "12", creator, false});
}

}  // namespace myelin::homeserver::testing
