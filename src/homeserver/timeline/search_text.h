#pragma once
// What the search index keeps of an event (client-server-api "Server Side Search"): the body of
// an m.room.message, the name of the room's m.room.name, the topic of its m.room.topic and the
// first text/plain m.topic representation that differs from it. The entrance that builds an
// event sets it on the row (storage::NewEvent::search_text), none in an encrypted room; the
// migration that created the index took the same from the events stored before it.
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

std::optional<storage::SearchText> search_text_of(std::string_view type, const std::optional<std::string>& state_key,
                                                  const json::object& content);

}  // namespace myelin::homeserver
