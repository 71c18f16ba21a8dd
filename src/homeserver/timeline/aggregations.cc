#include "homeserver/timeline/aggregations.h"

#include <map>
#include <set>

#include "homeserver/timeline/client_format.h"

namespace myelin::homeserver {

void Aggregations::bundle(const std::string& user_id, std::string_view device, storage::StreamPos upto,
                          const std::vector<storage::StoredEvent>& events, json::array& formatted) {
  bundle_chunk(user_id, device, upto, events, formatted, true);
}

void Aggregations::bundle(const std::string& user_id, std::string_view device, storage::StreamPos upto,
                          const storage::StoredEvent& event, json::object& formatted) {
  json::array one{std::move(formatted)};
  bundle_chunk(user_id, device, upto, {event}, one, true);
  formatted = std::move(one.front().as_object());
}

// `with_threads` is off for the latest replies of threads: a reply is no thread root (threads
// do not nest), which also keeps the recursion to one level.
void Aggregations::bundle_chunk(const std::string& user_id, std::string_view device, storage::StreamPos upto,
                                const std::vector<storage::StoredEvent>& events, json::array& formatted,
                                bool with_threads) {
  std::vector<storage::ParentRef> parents;
  std::set<std::string> redacted;
  for (const auto& event : events) {
    if (event.state_key) continue;
    parents.push_back({event.event_id, event.pos});
    if (event.redacted_by) redacted.insert(event.event_id);
  }
  if (parents.empty()) return;
  static const std::vector<std::string> kBundled{"m.replace", "m.thread", "m.reference"};
  const std::vector<storage::ChildCount> counts =
      relations_.child_counts(events.front().room_id, parents, kBundled, upto);
  if (counts.empty()) return;

  std::vector<std::string> replaced, referenced, roots;
  std::vector<storage::StreamPos> latest_positions;
  std::map<std::string, const storage::ChildCount*> threads;
  for (const auto& count : counts) {
    if (count.rel_type == "m.replace" && !redacted.contains(count.parent_id)) {
      replaced.push_back(count.parent_id);
    } else if (count.rel_type == "m.reference") {
      referenced.push_back(count.parent_id);
    } else if (count.rel_type == "m.thread" && with_threads) {
      roots.push_back(count.parent_id);
      latest_positions.push_back(count.latest_pos);
      threads[count.parent_id] = &count;
    }
  }
  std::map<std::string, json::object> bundles;  // parent -> its m.relations
  if (!replaced.empty())
    for (const auto& [parent, edit] : relations_.latest_replacements(replaced, upto))
      bundles[parent]["m.replace"] = client_event(events_, edit, device);
  if (!referenced.empty()) {
    std::map<std::string, json::array> chunks;
    for (const auto& [parent, child] : relations_.references(referenced, upto, kMaxReferences))
      chunks[parent].push_back(json::object{{"event_id", child}});
    for (auto& [parent, chunk] : chunks) bundles[parent]["m.reference"] = json::object{{"chunk", std::move(chunk)}};
  }
  if (!roots.empty()) {
    const std::vector<storage::StoredEvent> latest = relations_.events_at(latest_positions);
    json::array latest_json;
    for (const auto& event : latest) latest_json.push_back(client_event(events_, event, device));
    bundle_chunk(user_id, device, upto, latest, latest_json, false);
    std::map<storage::StreamPos, json::object*> by_pos;
    for (std::size_t i = 0; i < latest.size(); ++i) by_pos[latest[i].pos] = &latest_json[i].as_object();
    const std::vector<std::string> took_part = relations_.participated(events.front().room_id, user_id, roots);
    const std::set<std::string> participated(took_part.begin(), took_part.end());
    for (const auto& [root, count] : threads) {
      auto it = by_pos.find(count->latest_pos);
      if (it == by_pos.end()) continue;
      bundles[root]["m.thread"] = json::object{{"latest_event", std::move(*it->second)},
                                               {"count", count->count},
                                               {"current_user_participated", participated.contains(root)}};
    }
  }
  for (std::size_t i = 0; i < events.size() && i < formatted.size(); ++i) {
    auto it = bundles.find(events[i].event_id);
    if (it == bundles.end() || !formatted[i].is_object()) continue;
    core::child(formatted[i].as_object(), "unsigned")["m.relations"] = std::move(it->second);
  }
}

}  // namespace myelin::homeserver
