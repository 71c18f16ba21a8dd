#include "homeserver/timeline/search_text.h"

#include "homeserver/timeline/room_state.h"

namespace myelin::homeserver {

std::optional<storage::SearchText> search_text_of(std::string_view type, const std::optional<std::string>& state_key,
                                                  const json::object& content) {
  const bool message = type == "m.room.message" && !state_key;
  const bool name = type == "m.room.name" && state_key == "";
  const bool topic = type == "m.room.topic" && state_key == "";
  if (!message && !name && !topic) return std::nullopt;
  const char* column = message ? "body" : name ? "name" : "topic";
  std::string text(string_field(content, column));
  const json::value* block = topic ? content.if_contains("m.topic") : nullptr;
  const json::value* texts = block && block->is_object() ? block->get_object().if_contains("m.text") : nullptr;
  if (texts && texts->is_array()) {
    for (const auto& entry : texts->get_array()) {
      if (!entry.is_object()) continue;
      const json::object& representation = entry.get_object();
      auto body = representation.if_contains("body");
      auto mimetype = representation.if_contains("mimetype");
      if (!body || !body->is_string() || body->get_string() == text ||
          (mimetype && !(mimetype->is_string() && mimetype->get_string() == "text/plain")))
        continue;
      text += (text.empty() ? "" : " ") + std::string(body->get_string());
      break;
    }
  }
  if (text.empty()) return std::nullopt;
  return storage::SearchText{column, std::move(text)};
}

}  // namespace myelin::homeserver
