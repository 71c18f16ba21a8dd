// homeserver/timeline/space_hierarchy.h
#include "homeserver/timeline/space_hierarchy.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/room_directory.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

// `via`: a non-empty list of strings; otherwise the link does not count.
bool valid_via(const json::object& content) {
  const json::value* via = content.if_contains("via");
  if (!via || !via->is_array() || via->get_array().empty()) return false;
  return std::all_of(via->get_array().begin(), via->get_array().end(),
                     [](const json::value& server) { return server.is_string(); });
}

bool is_space(const RoomState& room) {
  const json::object* create = room.content("m.room.create", "");
  return create && string_field(*create, "type") == "m.space";
}

// The token "h<offset>_<max_depth>_<0|1 suggested_only>".
std::string make_token(std::size_t offset, const HierarchyQuery& query) {
  return "h" + std::to_string(offset) + "_" + std::to_string(query.max_depth) + "_" +
         (query.suggested_only ? "1" : "0");
}

// The next unsigned number of `text` from `at`, which it moves past it.
std::optional<std::uint64_t> number_at(std::string_view text, std::size_t& at) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data() + at, text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() + at) return std::nullopt;
  at = static_cast<std::size_t>(end - text.data());
  return value;
}

// The entry of one room: its summary and, for a space, its m.space.child links as stripped
// state with origin_server_ts.
json::object room_entry(const RoomState& room, const std::vector<SpaceChild>& children) {
  json::object entry = room_summary_fields(room);
  json::array children_state;
  for (const auto& child : children) {
    json::object event = stripped_event(*child.pdu);
    event["origin_server_ts"] = child.origin_server_ts;
    children_state.push_back(std::move(event));
  }
  entry["children_state"] = std::move(children_state);
  return entry;
}

}  // namespace

bool valid_space_order(std::string_view order) {
  if (order.empty() || order.size() > 50) return false;
  return std::all_of(order.begin(), order.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::vector<SpaceChild> space_children(const RoomState& space, bool suggested_only) {
  std::vector<SpaceChild> children;
  for (auto it = space.state.lower_bound({"m.space.child", ""});
       it != space.state.end() && it->first.first == "m.space.child"; ++it) {
    const json::object* pdu = it->second.pdu.get();
    const json::value* content = pdu ? pdu->if_contains("content") : nullptr;
    if (!content || !content->is_object() || !valid_via(content->get_object())) continue;
    const json::object& fields = content->get_object();
    if (suggested_only) {
      const json::value* suggested = fields.if_contains("suggested");
      if (!suggested || !suggested->is_bool() || !suggested->get_bool()) continue;
    }
    SpaceChild child{it->first.second, std::nullopt, 0, pdu};
    if (const json::value* order = fields.if_contains("order"); order && order->is_string())
      if (valid_space_order(order->get_string())) child.order = std::string(order->get_string());
    if (const json::value* ts = pdu->if_contains("origin_server_ts"); ts && ts->is_int64())
      child.origin_server_ts = ts->get_int64();
    children.push_back(std::move(child));
  }
  // std::string compares bytes, which for \x20..\x7E is code point order.
  std::sort(children.begin(), children.end(), [](const SpaceChild& a, const SpaceChild& b) {
    if (a.order.has_value() != b.order.has_value()) return a.order.has_value();
    if (a.order && *a.order != *b.order) return *a.order < *b.order;
    if (a.origin_server_ts != b.origin_server_ts) return a.origin_server_ts < b.origin_server_ts;
    return a.room_id < b.room_id;
  });
  if (children.size() > SpaceHierarchy::kMaxChildren) children.resize(SpaceHierarchy::kMaxChildren);
  return children;
}

core::Status HierarchyQuery::set_limit(std::int64_t value) {
  if (value <= 0) return core::fail(Errc::kInvalidParam, "limit must be greater than zero");
  limit = std::min(value, kMaxLimit);
  return {};
}

core::Status HierarchyQuery::set_max_depth(std::int64_t value) {
  if (value < 0) return core::fail(Errc::kInvalidParam, "max_depth must not be negative");
  max_depth = std::min(value, kMaxDepth);
  return {};
}

core::Status HierarchyQuery::set_from(std::string_view token) {
  std::size_t at = 1;
  const bool shaped = token.starts_with('h');
  auto offset = shaped ? number_at(token, at) : std::nullopt;
  std::optional<std::uint64_t> depth, suggested;
  if (offset && at < token.size() && token[at] == '_') depth = number_at(token, ++at);
  if (depth && at < token.size() && token[at] == '_') suggested = number_at(token, ++at);
  if (!suggested || at != token.size() || *suggested > 1 || *offset > SpaceHierarchy::kMaxRooms)
    return core::fail(Errc::kInvalidParam, "Unknown pagination token");
  if (static_cast<std::int64_t>(*depth) != max_depth || (*suggested == 1) != suggested_only)
    return core::fail(Errc::kInvalidParam, "suggested_only and max_depth cannot change on paginated requests");
  this->offset = static_cast<std::size_t>(*offset);
  return {};
}

core::Result<json::object> SpaceHierarchy::hierarchy(const core::UserId& user_id, const core::RoomId& root,
                                                     const HierarchyQuery& query) {
  JoinedRooms joined(store_, user_id.str());
  auto may_see = [&](const RoomState& room) { return may_preview(room, room.membership(user_id.str()), &joined); };
  {
    std::shared_ptr<RoomState> room = rooms_.room(root.str());
    if (!room || !room->rules || !may_see(*room))
      return core::fail(Errc::kForbidden, "You are not allowed to view this room");
  }
  struct Pending {
    std::string room_id;
    std::int64_t depth;
  };
  std::vector<Pending> stack{{root.str(), 0}};  // the next room to visit last
  std::set<std::string> visited;
  std::size_t seen = 0;  // rooms the caller may preview, in walk order
  json::array rooms;
  const auto limit = static_cast<std::size_t>(query.limit);
  bool exhausted = false;
  while (!stack.empty() && rooms.size() < limit) {
    Pending next = std::move(stack.back());
    stack.pop_back();
    if (!visited.insert(next.room_id).second) continue;
    if (visited.size() > kMaxRooms) {
      exhausted = true;
      break;
    }
    // Unknown here: a room on another server (no federation yet), or never created.
    std::shared_ptr<RoomState> room = rooms_.room(next.room_id);
    if (!room || !room->rules || !may_see(*room)) continue;
    std::vector<SpaceChild> children;
    if (is_space(*room)) children = space_children(*room, query.suggested_only);
    if (seen++ >= query.offset) rooms.push_back(room_entry(*room, children));
    if (next.depth >= query.max_depth) continue;
    for (auto child = children.rbegin(); child != children.rend(); ++child)
      if (!visited.contains(child->room_id)) stack.push_back({child->room_id, next.depth + 1});
  }
  json::object response{{"rooms", std::move(rooms)}};
  std::erase_if(stack, [&](const Pending& pending) { return visited.contains(pending.room_id); });
  if (!stack.empty() && !exhausted) response["next_batch"] = make_token(seen, query);
  return response;
}

}  // namespace myelin::homeserver
