#pragma once
// One computation of a /sync response, shared by its sections (internal to sync/): the request,
// the window (since, now] it reports, and what the sections share — the device's lazy-loading
// memory, typing, the kept notification counts, the user's push rules (read once, when first
// needed), the users they ignore (read once, carried by the timeline filter). Each section sets
// `has_updates` when it found something new.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "homeserver/push/push_rules_cache.h"
#include "homeserver/sync/sync.h"
#include "homeserver/sync/typing.h"
#include "homeserver/sync/unread_counts.h"
#include "homeserver/timeline/aggregations.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/room_state.h"
#include "storage/event_store.h"
#include "storage/relation_store.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

struct SyncPass {
  // `filter`: the request's, with the ignored users in its timeline filter.
  SyncPass(const SyncRequest& request, const Filter& filter, storage::EventStore& store,
           storage::RelationStore& relations, storage::UserDataStore& user_data, storage::StreamPos now,
           const Typing& typing, SentMembers& sent, UnreadCounts& unread, PushRulesCache& rules_cache,
           Aggregations& aggregations, const std::string& server_name, const core::SigningKey& key);

  const SyncRequest& request;
  storage::EventStore& store;
  storage::RelationStore& relations;
  storage::UserDataStore& user_data;
  const Typing& typing;
  SentMembers& sent;
  UnreadCounts& unread;
  PushRulesCache& rules_cache;
  Aggregations& aggregations;
  const std::string& server_name;  // and key: this server's events in the federation format are signed
  const core::SigningKey& key;
  const storage::StreamPos now;
  const storage::StreamPos since;
  const std::string& user;
  const std::string& device;
  const Filter& filter;
  const char* const state_field;  // "state", or "state_after" with use_state_after
  bool has_updates = false;

  // The user's push rules, loaded on first use.
  const PushRuleset& push_rules();
  // Whether the user ignores `sender` (client-server-api "Ignoring Users").
  bool ignores(std::string_view sender) const {
    return filter.room.timeline.ignored && filter.room.timeline.ignored->contains(sender);
  }

 private:
  std::optional<PushRuleset> push_rules_;
};

// Account data changed since `since`: the user's global entries, and per room.
struct SyncAccountData {
  json::array global;
  std::map<std::string, json::array> rooms;
};
SyncAccountData account_data_section(SyncPass& pass);

// A room's typing (when it changed since `since`, or anyone types in a room `newly` seen) and
// the receipts after `since` (all of them when `newly`), as m.typing and m.receipt events;
// others' private receipts are left out for `viewer`.
json::array room_ephemeral(const Typing& typing, storage::UserDataStore& user_data, const std::string& room_id,
                           const std::string& viewer, storage::StreamPos since, bool newly);

// What counting a user's unread notifications reads: the stores, the kept counts, their push
// rules (read when first needed) and the users they ignore (nullptr: nobody), whose events
// count for nothing.
struct UnreadContext {
  storage::EventStore& store;
  storage::RelationStore& relations;
  storage::UserDataStore& user_data;
  UnreadCounts& unread;
  const std::string& user;
  std::function<const PushRuleset&()> push_rules;
  const std::set<std::string, std::less<>>* ignored = nullptr;
};

// Notification and highlight counts of the events after the user's read positions in `room`
// (their receipts, per thread, never before their membership), from their push rules, counted
// on from the last count (UnreadCounts). An event in a thread (its relation's thread,
// homeserver/timeline/relations.h) counts there, read up to that thread's receipts. Each count
// looks at the newest 100 events of its range at most (the counts saturate there); only events
// with an m.relates_to cost a lookup of their thread, one query for all of them. badge.cc.
RoomUnread room_unread(const UnreadContext& context, const RoomState& room, const storage::Membership& membership,
                       storage::StreamPos now);

// The "rooms" section: join, invite, leave and knock, one entry per room of `memberships`
// that has news. Takes each joined room's account data out of `room_account_data`.
json::object rooms_section(SyncPass& pass, RoomCache& rooms, const std::vector<storage::Membership>& memberships,
                           std::map<std::string, json::array>& room_account_data);
// A joined room's entry, or nullopt when it has nothing new for this sync (sync_joined.cc).
std::optional<json::object> joined_room(SyncPass& pass, const RoomState& room, const storage::Membership& membership,
                                        json::array account_data);

// Shared by the room sections: the events as the filter's event_format asks (client events,
// or PDUs carrying their event_id and the client event's content and unsigned).
json::array format_all(SyncPass& pass, const RoomState& room, const std::vector<storage::StoredEvent>& events,
                       bool with_prev_content);

}  // namespace myelin::homeserver
