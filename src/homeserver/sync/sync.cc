// GET /sync: the response is computed section by section — account data, rooms
// (sync_rooms.cc), end-to-end encryption, presence — within one window (since, now].
#include "homeserver/sync/sync.h"

#include <algorithm>

#include "homeserver/push/push_rules.h"
#include "homeserver/sync/sync_pass.h"
#include "homeserver/timeline/ignored_users.h"

namespace myelin::homeserver {

using storage::StreamPos;

SyncPass::SyncPass(const SyncRequest& request, const Filter& filter, storage::EventStore& store,
                   storage::RelationStore& relations, storage::UserDataStore& user_data, StreamPos now,
                   const Typing& typing, SentMembers& sent, UnreadCounts& unread, PushRulesCache& rules_cache,
                   Aggregations& aggregations, const std::string& server_name, const core::SigningKey& key)
    : request(request),
      store(store),
      relations(relations),
      user_data(user_data),
      typing(typing),
      sent(sent),
      unread(unread),
      rules_cache(rules_cache),
      aggregations(aggregations),
      server_name(server_name),
      key(key),
      now(now),
      since(std::min(request.since.pos, now)),
      user(request.session.user_id),
      device(request.session.device_id),
      filter(filter),
      state_field(request.use_state_after ? "state_after" : "state") {}

const PushRuleset& SyncPass::push_rules() {
  if (!push_rules_) push_rules_ = rules_cache.rules(user_data, user);
  return *push_rules_;
}

SyncAccountData account_data_section(SyncPass& pass) {
  SyncAccountData out;
  for (auto& entry : pass.user_data.account_data_since(pass.user, pass.since)) {
    auto content = core::parse_json_object(entry.content);
    json::object event{{"type", entry.type}, {"content", content ? std::move(*content) : json::object{}}};
    if (entry.room_id.empty()) {
      if (pass.filter.account_data.matches(entry.type, pass.user)) out.global.push_back(std::move(event));
    } else if (pass.filter.room.account_data.matches(entry.type, pass.user)) {
      out.rooms[entry.room_id].push_back(std::move(event));
    }
  }
  // Clients learn their push rules from account data: an initial sync always carries them.
  if (pass.since == 0 && pass.filter.account_data.matches("m.push_rules", pass.user) &&
      !pass.user_data.account_data(pass.user, "", "m.push_rules"))
    out.global.push_back(json::object{{"type", "m.push_rules"}, {"content", default_push_rules(pass.user)}});
  if (!out.global.empty()) pass.has_updates = true;
  return out;
}

json::array room_ephemeral(const Typing& typing, storage::UserDataStore& user_data, const std::string& room_id,
                           const std::string& viewer, StreamPos since, bool newly) {
  json::array ephemeral;
  const StreamPos typing_at = typing.changed_at(room_id);
  if (typing_at > since || (newly && typing_at > 0)) {
    json::array user_ids;
    for (const auto& typist : typing.users(room_id)) user_ids.emplace_back(typist);
    if (typing_at > since || !user_ids.empty())
      ephemeral.push_back(json::object{{"type", "m.typing"}, {"content", {{"user_ids", std::move(user_ids)}}}});
  }
  json::object receipts;
  for (const auto& receipt : user_data.receipts_since(room_id, newly ? 0 : since)) {
    if (receipt.receipt_type == "m.read.private" && receipt.user_id != viewer) continue;
    json::object data{{"ts", receipt.ts}};
    if (!receipt.thread_id.empty()) data["thread_id"] = receipt.thread_id;
    core::child(core::child(receipts, receipt.event_id), receipt.receipt_type)[receipt.user_id] = std::move(data);
  }
  if (!receipts.empty()) ephemeral.push_back(json::object{{"type", "m.receipt"}, {"content", std::move(receipts)}});
  return ephemeral;
}

namespace {

// End-to-end encryption: device lists (incremental syncs only), the device's to-device inbox
// and its one-time/fallback key counts, and so next_batch (which says how far the inbox went).
void e2ee_section(SyncPass& pass, const std::vector<storage::Membership>& memberships, DeviceLists& device_lists,
                  ToDevice& to_device, Keys& keys, json::object& response) {
  if (pass.since > 0) {
    DeviceListUpdate lists = device_lists.changes(pass.user, pass.since, pass.now, memberships);
    if (!lists.empty()) pass.has_updates = true;
    json::array changed(lists.changed.begin(), lists.changed.end()), left(lists.left.begin(), lists.left.end());
    response["device_lists"] = {{"changed", std::move(changed)}, {"left", std::move(left)}};
  }
  const StreamPos inbox_from = std::min(pass.request.since.to_device, pass.since);
  ToDeviceBatch inbox = to_device.take(pass.request.session, inbox_from, pass.now);
  if (!inbox.events.empty()) pass.has_updates = true;
  response["to_device"] = {{"events", std::move(inbox.events)}};
  keys.add_key_counts(pass.user, pass.device, response);
  response["next_batch"] = sync_token({pass.now, inbox.delivered_up_to});
}

}  // namespace

json::object SyncService::compute(const SyncRequest& request, bool& has_updates) {
  json::object response;
  sent_members_.with(request.session.user_id.str() + '|' + request.session.device_id,
                     [&](SentMembers& sent) { response = compute_with(request, sent, has_updates); });
  return response;
}

json::object SyncService::compute_with(const SyncRequest& request, SentMembers& sent, bool& has_updates) {
  // Ignoring users: the list as it is now, so a change applies from the next computation on
  // (client-server-api "Ignoring Users"); the filter is copied only for a user who ignores someone.
  std::optional<Filter> with_ignored;
  if (IgnoredUsers ignored = ignored_users(user_data_store_, request.session.user_id)) {
    with_ignored = request.filter;
    with_ignored->room.timeline.ignored = std::move(ignored);
  }
  SyncPass pass(request, with_ignored ? *with_ignored : request.filter, store_, relation_store_, user_data_store_,
                position_store_.current_pos(), typing_, sent, unread_counts_, push_rules_cache_, aggregations_,
                server_name_, key_);
  SyncAccountData account_data = account_data_section(pass);
  const std::vector<storage::Membership> memberships = store_.user_memberships(pass.user);
  json::object rooms = rooms_section(pass, rooms_, memberships, account_data.rooms);

  json::object response;
  e2ee_section(pass, memberships, device_lists_, to_device_, keys_, response);
  response["rooms"] = std::move(rooms);
  response["account_data"] = {{"events", std::move(account_data.global)}};
  json::array presence = presence_.events_since(pass.user, pass.since);
  // A room joined within the window brings its members' presence, changed or not.
  if (pass.since > 0) {
    std::vector<std::shared_ptr<RoomState>> held;
    std::vector<const RoomState*> joined;
    for (const auto& membership : memberships) {
      if (membership.membership != "join" || membership.pos <= pass.since) continue;
      if (std::shared_ptr<RoomState> room = rooms_.room(membership.room_id)) {
        joined.push_back(room.get());
        held.push_back(std::move(room));
      }
    }
    for (auto& event : presence_.unchanged_events(joined, pass.user, pass.since)) presence.push_back(std::move(event));
  }
  if (!presence.empty()) pass.has_updates = true;
  response["presence"] = {{"events", std::move(presence)}};
  if (pass.has_updates) has_updates = true;
  return response;
}

void SyncService::sync(SyncRequest request, std::function<void(json::object)> done) {
  presence_.on_sync(request.session.user_id, request.set_presence);
  const std::string user = request.session.user_id;
  const std::int64_t timeout = request.since.pos == 0 ? 0 : request.timeout_ms;
  long_poll_.run(
      user, "", timeout,
      [this, request = std::move(request)](bool& has_updates) { return compute(request, has_updates); },
      std::move(done));
}

}  // namespace myelin::homeserver
