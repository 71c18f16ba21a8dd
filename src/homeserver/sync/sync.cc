#include "homeserver/sync/sync.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/pagination.h"
#include "homeserver/push/push_evaluator.h"
#include "homeserver/push/push_rules.h"
#include "rooms/auth.h"
#include "homeserver/timeline/visibility.h"

namespace myelin::homeserver {

using storage::StreamPos;

std::string stream_token(StreamPos pos) { return "s" + std::to_string(pos); }

std::string sync_token(const SyncToken& token) {
  if (token.to_device == token.pos) return stream_token(token.pos);
  return stream_token(token.pos) + "_" + std::to_string(token.to_device);
}

std::optional<SyncToken> parse_sync_token(std::string_view token) {
  if (token.starts_with("s")) token.remove_prefix(1);
  auto number = [](std::string_view text) -> std::optional<StreamPos> {
    StreamPos value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
  };
  const std::size_t underscore = token.find('_');
  auto pos = number(token.substr(0, underscore));
  if (!pos) return std::nullopt;
  if (underscore == std::string_view::npos) return SyncToken{*pos, *pos};
  auto to_device = number(token.substr(underscore + 1));
  if (!to_device || *to_device > *pos) return std::nullopt;
  return SyncToken{*pos, *to_device};
}

std::optional<StreamPos> parse_stream_token(std::string_view token) {
  auto parsed = parse_sync_token(token);
  return parsed ? std::optional(parsed->pos) : std::nullopt;
}

namespace {

json::array format_all(storage::EventStore& store, const std::vector<storage::StoredEvent>& events,
                       std::string_view device, bool with_prev_content) {
  json::array out;
  out.reserve(events.size());
  for (const auto& event : events) out.push_back(client_event(store, event, device, with_prev_content));
  return out;
}

// The state just before `first` (its state group, with its own change undone).
storage::StateMap state_before(storage::EventStore& store, const storage::StoredEvent& first) {
  storage::StateMap state = store.state_group(first.state_group);
  if (first.state_key) {
    storage::StateKey key{first.type, *first.state_key};
    if (first.replaces_state)
      state[key] = *first.replaces_state;
    else
      state.erase(key);
  }
  return state;
}

// Notification and highlight counts of the events after the user's read position, from their
// push rules. Looks at the newest kUnreadWindow events at most (the counts saturate there).
std::pair<std::int64_t, std::int64_t> unread_counts(storage::EventStore& store, const RoomState& room,
                                                    const std::string& user, StreamPos read_up_to, StreamPos now,
                                                    const json::object& rules) {
  constexpr std::size_t kUnreadWindow = 100;
  if (room.last_pos <= read_up_to) return {0, 0};
  const json::object* member = room.content("m.room.member", user);
  const json::object* create = room.pdu("m.room.create", "");
  if (!create) return {0, 0};
  rooms::PowerLevels levels(room.content("m.room.power_levels", ""), *create, *room.rules);
  PushContext context{user, member ? std::string(string_field(*member, "displayname")) : "",
                      static_cast<std::int64_t>(room.joined.size()),
                      [&levels](std::string_view sender, std::string_view key) {
                        return key == "room" && levels.at_least(sender, levels.notifications_room());
                      }};
  std::int64_t notifications = 0, highlights = 0;
  for (const auto& event : store.room_events(room.room_id, read_up_to, now, kUnreadWindow, storage::Direction::kBackward)) {
    if (event.sender == user) continue;
    auto pdu = core::parse_json_object(event.json);
    if (!pdu) continue;
    const PushResult result = evaluate_push_rules(rules, *pdu, context);
    notifications += result.notify;
    highlights += result.highlight;
  }
  return {notifications, highlights};
}

json::object receipts_event(const std::vector<storage::Receipt>& receipts, const std::string& viewer) {
  json::object content;
  for (const auto& receipt : receipts) {
    if (receipt.receipt_type == "m.read.private" && receipt.user_id != viewer) continue;
    json::object data{{"ts", receipt.ts}};
    if (!receipt.thread_id.empty()) data["thread_id"] = receipt.thread_id;
    core::child(core::child(content, receipt.event_id), receipt.receipt_type)[receipt.user_id] =
        std::move(data);
  }
  return content;
}

}  // namespace

json::object SyncService::compute(const SyncRequest& request, bool& has_updates) {
  const StreamPos now = position_store_.current_pos();
  const StreamPos since = std::min(request.since.pos, now);
  const std::string& user = request.session.user_id;
  const std::string& device = request.session.device_id;
  const Filter& filter = request.filter;

  std::map<std::string, json::array> room_account_data;
  json::array global_account_data;
  for (auto& entry : user_data_store_.account_data_since(user, since)) {
    auto content = core::parse_json_object(entry.content);
    json::object event{{"type", entry.type}, {"content", content ? std::move(*content) : json::object{}}};
    if (entry.room_id.empty()) {
      if (filter.account_data.matches(entry.type, user)) global_account_data.push_back(std::move(event));
    } else if (filter.room.account_data.matches(entry.type, user)) {
      room_account_data[entry.room_id].push_back(std::move(event));
    }
  }
  // Clients learn their push rules from account data: an initial sync always carries them.
  if (since == 0 && filter.account_data.matches("m.push_rules", user) &&
      !user_data_store_.account_data(user, "", "m.push_rules"))
    global_account_data.push_back(json::object{{"type", "m.push_rules"}, {"content", default_push_rules(user)}});
  if (!global_account_data.empty()) has_updates = true;

  std::optional<json::object> rules;   // the user's push rules, loaded when first needed
  auto push_rules = [&]() -> const json::object& {
    if (!rules) rules = load_push_rules(user_data_store_, user);
    return *rules;
  };
  SentMembers& sent = sent_members(request.session);
  const char* state_field = request.use_state_after ? "state_after" : "state";
  json::object join, invite, leave, knock;
  const std::vector<storage::Membership> memberships = store_.user_memberships(user);
  for (const auto& membership : memberships) {
    if (!filter.room.matches_room(membership.room_id)) continue;
    RoomState* room = timeline_.room(membership.room_id);
    if (!room) continue;
    const bool changed_since = since == 0 || membership.pos > since;

    if (membership.membership == "invite" || membership.membership == "knock") {
      if (!changed_since) continue;
      json::array stripped;
      for (const char* type : {"m.room.create", "m.room.join_rules", "m.room.name", "m.room.avatar",
                               "m.room.canonical_alias", "m.room.encryption", "m.room.topic"})
        if (const json::object* pdu = room->pdu(type, "")) stripped.push_back(stripped_event(*pdu));
      // The user's own invite or knock, and the membership of whoever sent it: clients name an
      // invite (a DM above all) after the inviter's display name.
      if (const json::object* own = room->pdu("m.room.member", user)) {
        stripped.push_back(stripped_event(*own));
        const json::value* sender = own->if_contains("sender");
        if (sender && sender->is_string() && sender->get_string() != user)
          if (const json::object* pdu = room->pdu("m.room.member", std::string_view(sender->get_string())))
            stripped.push_back(stripped_event(*pdu));
      }
      if (membership.membership == "invite")
        invite[membership.room_id] = {{"invite_state", {{"events", std::move(stripped)}}}};
      else
        knock[membership.room_id] = {{"knock_state", {{"events", std::move(stripped)}}}};
      has_updates = true;
      continue;
    }

    if (membership.membership != "join") {
      const bool report = since > 0 ? membership.pos > since : filter.room.include_leave;
      if (!report || store_.is_forgotten(user, membership.room_id)) continue;
      const Visible visible = visible_events(store_, *room, user);
      Page page = filtered_events(store_, membership.room_id, visible.within(since, membership.pos),
                                  static_cast<std::size_t>(filter.room.timeline.limit),
                                  storage::Direction::kBackward, filter.room.timeline);
      auto& events = page.events;
      std::reverse(events.begin(), events.end());
      // A room the user was not in at `since` (joined and left within this sync, or never
      // joined: an invite rejected, a knock refused, a ban) comes with the state at its
      // timeline's start. With use_state_after (v1.16), the state after the leave instead: all
      // of it, or what changed since `since` when the user was in then. Either way never later
      // than the last position the user may read; with an empty timeline, the state there and
      // their own membership, which is all a user who may read nothing gets.
      const bool joined_at_since = membership_at(store_, membership, since) == "join";
      std::vector<std::string> state_ids;
      if (!joined_at_since || request.use_state_after) {
        storage::StateMap state;
        if (!events.empty() && !request.use_state_after) {
          state = state_before(store_, events.front());
        } else {
          state = state_at(store_, *room, visible.last(membership.pos));
          state[{"m.room.member", user}] = membership.event_id;
        }
        for (const auto& [key, event_id] : state)
          if (filter.room.state.matches(key.first, "")) state_ids.push_back(event_id);
      }
      std::vector<storage::StoredEvent> state_events = store_.events(state_ids);
      if (joined_at_since) std::erase_if(state_events, [since](const auto& event) { return event.pos <= since; });
      std::string prev_batch = stream_token(events.empty() ? since : events.front().pos - 1);
      leave[membership.room_id] = {
          {"timeline", {{"events", format_all(store_, events, device, true)},
                        {"limited", page.more}, {"prev_batch", prev_batch}}},
          {state_field, {{"events", format_all(store_, state_events, device, false)}}},
          {"account_data", {{"events", json::array{}}}}};
      has_updates = true;
      continue;
    }

    // Joined rooms.
    // New to this sync: an initial or full-state sync, or a join since `since` (a profile
    // change re-sends a join event without being a new join).
    const bool newly = since == 0 || request.full_state ||
                       (membership.pos > since && membership_at(store_, membership, since) != "join");
    // The timeline: a room new to this sync shows the history the user may read; otherwise
    // what came since `since`, all of it readable while they stayed joined (the common case,
    // with no lookups), else only what the rules allow. Either way the events of the current
    // state come too, where they fall in the window: the user may read the current state, and
    // clients build it from the timeline (Synapse does the same).
    const StreamPos lower = newly ? 0 : since;
    const EventFilter& timeline_filter = filter.room.timeline;
    const auto limit = static_cast<std::size_t>(timeline_filter.limit);
    std::vector<storage::StoredEvent> events;
    bool limited = false;
    if (room->last_pos > lower) {
      std::vector<PosRange> ranges{{lower, now}};
      if (newly || membership.pos > since) {
        std::vector<StreamPos> current;
        for (const auto& [key, entry] : room->state)
          if (entry.pos > lower) current.push_back(entry.pos);
        ranges = visible_events(store_, *room, user).with(std::move(current)).within(lower, now);
      }
      Page page = filtered_events(store_, membership.room_id, std::move(ranges), limit, storage::Direction::kBackward,
                                  timeline_filter);
      events = std::move(page.events);
      limited = page.more;
      std::reverse(events.begin(), events.end());
    }

    json::array ephemeral;
    const StreamPos typing_at = typing_.changed_at(membership.room_id);
    if (typing_at > since || (newly && typing_at > 0)) {
      json::array user_ids;
      for (const auto& typist : typing_.users(membership.room_id)) user_ids.emplace_back(typist);
      if (typing_at > since || !user_ids.empty())
        ephemeral.push_back(json::object{{"type", "m.typing"}, {"content", {{"user_ids", std::move(user_ids)}}}});
    }
    if (auto receipts = user_data_store_.receipts_since(membership.room_id, newly ? 0 : since); !receipts.empty()) {
      json::object content = receipts_event(receipts, user);
      if (!content.empty()) ephemeral.push_back(json::object{{"type", "m.receipt"}, {"content", std::move(content)}});
    }
    json::array account_data = std::move(room_account_data[membership.room_id]);

    if (!newly && events.empty() && ephemeral.empty() && account_data.empty()) continue;
    has_updates = true;

    // State: everything up to the timeline's start for a room new to this sync; otherwise the
    // changes between `since` and the timeline's start that the timeline does not show. With
    // use_state_after (v1.16) up to the timeline's end: the client then takes the room's state
    // from this list alone, so it repeats the timeline's state changes.
    std::set<std::string> senders;
    for (const auto& event : events) senders.insert(event.sender);
    if (newly) senders.insert(user);
    const EventFilter& state_filter = filter.room.state;
    auto wanted = [&](const storage::StateKey& key) {
      if (!state_filter.matches(key.first, "")) return false;
      if (key.first == "m.room.member" && state_filter.lazy_load_members) return senders.contains(key.second);
      return true;
    };
    std::vector<std::string> state_ids;
    if (newly) {
      storage::StateMap state = events.empty() || request.use_state_after ? store_.state_group(room->state_group)
                                                                          : state_before(store_, events.front());
      for (const auto& [key, event_id] : state)
        if (wanted(key)) state_ids.push_back(event_id);
    } else {
      std::set<std::string> in_timeline;
      if (!request.use_state_after)
        for (const auto& event : events) in_timeline.insert(event.event_id);
      if (limited) {
        const StreamPos start = events.empty() || request.use_state_after ? now + 1 : events.front().pos;
        // Every state change in the gap (and, for state_after, in the timeline), members
        // included even when lazy-loading: the client cannot have seen them.
        for (const auto& [key, entry] : room->state)
          if (entry.pos > since && entry.pos < start && state_filter.matches(key.first, ""))
            state_ids.push_back(entry.event_id);
      } else if (request.use_state_after) {
        // No gap: the changes are the timeline's state events that are still current (read
        // from the timeline, not a walk over the room's state).
        for (const auto& event : events) {
          if (!event.state_key || !state_filter.matches(event.type, "")) continue;
          const StateEntry* entry = room->find(event.type, *event.state_key);
          if (entry && entry->event_id == event.event_id) state_ids.push_back(event.event_id);
        }
      }
      // Lazy loading: the members of everyone who speaks in the timeline come with it,
      // except those this device already has.
      if (state_filter.lazy_load_members) {
        const auto& already = sent[membership.room_id];
        for (const auto& sender : senders) {
          const StateEntry* member = room->find("m.room.member", sender);
          if (!member || in_timeline.contains(member->event_id) ||
              (!state_filter.include_redundant_members && already.contains(sender)))
            continue;
          if (std::find(state_ids.begin(), state_ids.end(), member->event_id) == state_ids.end())
            state_ids.push_back(member->event_id);
        }
      }
    }
    const auto state_events = store_.events(state_ids);
    if (state_filter.lazy_load_members) {
      auto& members = sent[membership.room_id];
      if (newly) members.clear();
      for (const std::vector<storage::StoredEvent>* list : {&state_events, &std::as_const(events)})
        for (const auto& event : *list)
          if (event.type == "m.room.member" && event.state_key) members.insert(*event.state_key);
    }

    json::object room_json;
    room_json["timeline"] = {
        {"events", format_all(store_, events, device, true)},
        {"limited", limited},
        {"prev_batch", stream_token(events.empty() ? now : events.front().pos - 1)}};
    room_json[state_field] = {{"events", format_all(store_, state_events, device, false)}};
    room_json["ephemeral"] = {{"events", std::move(ephemeral)}};
    room_json["account_data"] = {{"events", std::move(account_data)}};

    StreamPos read_up_to = 0;
    for (const char* type : {"m.read", "m.read.private"}) {
      if (auto receipt = user_data_store_.user_receipt(membership.room_id, user, type)) {
        if (auto read = store_.event(receipt->event_id)) read_up_to = std::max(read_up_to, read->pos);
      }
    }
    read_up_to = std::max(read_up_to, membership.pos);
    const auto [notifications, highlights] = unread_counts(store_, *room, user, read_up_to, now, push_rules());
    room_json["unread_notifications"] = {{"notification_count", notifications}, {"highlight_count", highlights}};

    json::object summary{{"m.joined_member_count", room->joined.size()},
                         {"m.invited_member_count", room->invited.size()}};
    if (!room->pdu("m.room.name", "") && !room->pdu("m.room.canonical_alias", "")) {
      json::array heroes;
      for (const auto* group : {&room->joined, &room->invited})
        for (const auto& member : *group)
          if (member != user && heroes.size() < 5) heroes.emplace_back(member);
      summary["m.heroes"] = std::move(heroes);
    }
    room_json["summary"] = std::move(summary);
    join[membership.room_id] = std::move(room_json);
  }

  json::object response;
  // End-to-end encryption: device lists (incremental syncs only), the device's inbox and keys.
  if (since > 0) {
    DeviceListUpdate lists = device_lists_.changes(user, since, now, memberships);
    if (!lists.empty()) has_updates = true;
    json::array changed(lists.changed.begin(), lists.changed.end()), left(lists.left.begin(), lists.left.end());
    response["device_lists"] = {{"changed", std::move(changed)}, {"left", std::move(left)}};
  }
  ToDeviceBatch inbox = to_device_.take(request.session, std::min(request.since.to_device, since), now);
  if (!inbox.events.empty()) has_updates = true;
  response["to_device"] = {{"events", std::move(inbox.events)}};
  keys_.add_key_counts(user, device, response);
  response["next_batch"] = sync_token({now, inbox.delivered_up_to});
  response["rooms"] = {{"join", std::move(join)}, {"invite", std::move(invite)},
                       {"leave", std::move(leave)}, {"knock", std::move(knock)}};
  response["account_data"] = {{"events", std::move(global_account_data)}};
  json::array presence = presence_.events_since(user, since);
  if (!presence.empty()) has_updates = true;
  response["presence"] = {{"events", std::move(presence)}};
  return response;
}

SyncService::SentMembers& SyncService::sent_members(const Session& session) {
  constexpr std::size_t kMaxDevices = 10'000;
  const std::string key = session.user_id + '|' + session.device_id;
  if (!sent_members_.contains(key) && sent_members_.size() >= kMaxDevices) sent_members_.clear();
  return sent_members_[key];
}

struct SyncService::Pending {
  std::string user;
  std::string room;   // a room watched without being joined to it ("" for none)
  Compute compute;
  std::function<void(json::object)> done;
  Notifier::WaiterId waiter = 0;
  std::unique_ptr<http::Timer> timer;
  bool finished = false;
};

void SyncService::sync(SyncRequest request, std::function<void(json::object)> done) {
  presence_.on_sync(request.session.user_id, request.set_presence);
  const std::string user = request.session.user_id;
  const std::int64_t timeout = request.since.pos == 0 ? 0 : request.timeout_ms;
  long_poll(user, "", timeout, [this, request = std::move(request)](bool& has_updates) {
    return compute(request, has_updates);
  }, std::move(done));
}

void SyncService::long_poll(const std::string& user, const std::string& room, std::int64_t timeout_ms,
                            Compute build, std::function<void(json::object)> done) {
  bool has_updates = false;
  json::object body = build(has_updates);
  if (has_updates || timeout_ms <= 0 || stopping_) {
    done(std::move(body));
    return;
  }
  auto pending = std::make_shared<Pending>();
  pending->user = user;
  pending->room = room;
  pending->compute = std::move(build);
  pending->done = std::move(done);
  const auto timeout = std::chrono::milliseconds(std::min<std::int64_t>(timeout_ms, 300'000));
  std::weak_ptr<Pending> weak = pending;
  pending->timer = scheduler_.after(timeout, [this, weak] {
    auto p = weak.lock();
    if (!p || p->finished) return;
    p->finished = true;
    notifier_.cancel(p->waiter);
    bool ignored = false;
    p->done(p->compute(ignored));
  });
  wait(std::move(pending));
}

void SyncService::stop_waiting() {
  stopping_ = true;
  notifier_.notify_all();
}

void SyncService::wait(std::shared_ptr<Pending> pending) {
  pending->waiter = notifier_.wait(pending->user, pending->room, [this, pending] {
    if (pending->finished) return;
    bool has_updates = false;
    json::object body = pending->compute(has_updates);
    if (!has_updates && !stopping_) {
      wait(pending);
      return;
    }
    pending->finished = true;
    pending->timer->cancel();
    pending->done(std::move(body));
  });
}

}  // namespace myelin::homeserver
