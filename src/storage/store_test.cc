#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <limits>

#include "storage/store.h"

namespace myelin::storage {
namespace {

std::unique_ptr<Store> memory_store() { return open_sqlite_store({":memory:", false}); }

NewEvent state_event(const std::string& id, const std::string& type, const std::string& key, const std::string& json,
                     std::vector<std::string> prev) {
  NewEvent e;
  e.event_id = id;
  e.room_id = "!r:x";
  e.type = type;
  e.state_key = key;
  e.sender = "@a:x";
  e.json = json;
  e.prev_events = std::move(prev);
  e.state_group_before = kStateGroupOfPrevious;
  return e;
}

NewEvent message(const std::string& id, std::int64_t before, std::vector<std::string> prev,
                 std::string sender = "@a:x") {
  NewEvent e;
  e.event_id = id;
  e.room_id = "!r:x";
  e.type = "m.room.message";
  e.sender = std::move(sender);
  e.json = R"({"content":{"body":"hi"}})";
  e.prev_events = std::move(prev);
  e.state_group_before = before;
  return e;
}

// create, join, power levels in one batch with the room.
std::vector<Persisted> seed_room(Store& store) {
  std::vector<NewEvent> batch{
      state_event("$create", "m.room.create", "", R"({"content":{}})", {}),
      state_event("$join", "m.room.member", "@a:x", R"({"content":{"membership":"join"}})", {"$create"}),
      state_event("$pl", "m.room.power_levels", "", R"({"content":{}})", {"$join"})};
  batch[0].state_group_before = 0;
  return store.persist_events(batch, RoomRecord{"!r:x", "12", "@a:x", false});
}

TEST(StoreTest, UsersDevicesAndTokens) {
  auto store = memory_store();
  EXPECT_TRUE(store->create_user({"@a:x", "hash", false, false, 1, "A", ""}));
  EXPECT_FALSE(store->create_user({"@a:x", "hash", false, false, 1, "A", ""}));
  store->upsert_device({"@a:x", "D1", "phone", 5, "192.0.2.0"});
  store->upsert_device({"@a:x", "D1", "", 6, ""});  // keeps the name and IP
  auto device = store->device("@a:x", "D1");
  ASSERT_TRUE(device);
  EXPECT_EQ(device->display_name, "phone");
  EXPECT_EQ(device->last_seen_ts, 6);
  store->add_access_token(std::string("\x01\x02", 2), {"@a:x", "D1"});
  EXPECT_EQ(store->token_owner(std::string("\x01\x02", 2))->device_id, "D1");
  store->delete_device("@a:x", "D1");
  EXPECT_FALSE(store->token_owner(std::string("\x01\x02", 2)));
  EXPECT_TRUE(store->devices("@a:x").empty());
}

TEST(StoreTest, RegistrationTokensAreCountedAndExpire) {
  auto store = memory_store();
  store->add_registration_token({"once", 1, 0, 0, std::nullopt});
  store->add_registration_token({"old", std::nullopt, 0, 0, 100});
  EXPECT_TRUE(store->use_registration_token("once", 50));
  EXPECT_FALSE(store->use_registration_token("once", 50));
  EXPECT_FALSE(store->use_registration_token("old", 200));
  EXPECT_FALSE(store->use_registration_token("missing", 0));
  EXPECT_EQ(store->registration_token("once")->completed, 1);
  EXPECT_TRUE(store->delete_registration_token("old"));
  EXPECT_EQ(store->registration_tokens().size(), 1u);
}

TEST(StoreTest, EventsStateGroupsAndMemberships) {
  auto store = memory_store();
  auto seeded = seed_room(*store);
  ASSERT_EQ(seeded.size(), 3u);
  EXPECT_LT(seeded[0].pos, seeded[2].pos);
  auto msg = store->persist_events({message("$m1", seeded[2].state_group, {"$pl"})}, std::nullopt);
  EXPECT_EQ(msg[0].state_group, seeded[2].state_group);  // shared, no new group
  EXPECT_EQ(store->current_pos(), msg[0].pos);
  auto state = store->state_group(msg[0].state_group);
  EXPECT_EQ(state.size(), 3u);
  EXPECT_EQ((state[{"m.room.member", "@a:x"}]), "$join");
  EXPECT_EQ(store->state_group(seeded[0].state_group).size(), 1u);
  auto memberships = store->user_memberships("@a:x");
  ASSERT_EQ(memberships.size(), 1u);
  EXPECT_EQ(memberships[0].membership, "join");
  EXPECT_EQ(store->forward_extremities("!r:x").size(), 1u);
  EXPECT_EQ(store->forward_extremities("!r:x")[0].event_id, "$m1");
  EXPECT_EQ(store->room(*core::RoomId::parse("!r:x"))->version, "12");
}

// Only events that change a membership or the history_visibility are listed: a profile
// change (join after join) or a repeated setting adds nothing.
TEST(StoreTest, VisibilityValueChangesSkipRepeats) {
  auto store = memory_store();
  auto seeded = seed_room(*store);
  auto later = store->persist_events(
      {state_event("$profile", "m.room.member", "@a:x", R"({"content":{"membership":"join","displayname":"A"}})",
                   {"$pl"}),
       state_event("$hv", "m.room.history_visibility", "", R"({"content":{"history_visibility":"joined"}})",
                   {"$profile"}),
       state_event("$hv2", "m.room.history_visibility", "", R"({"content":{"history_visibility":"joined"}})", {"$hv"}),
       state_event("$leave", "m.room.member", "@a:x", R"({"content":{"membership":"leave"}})", {"$hv2"}),
       state_event("$hv3", "m.room.history_visibility", "", R"({"content":{"history_visibility":"shared"}})",
                   {"$leave"})},
      std::nullopt);
  auto membership = store->membership_changes("!r:x", "@a:x");
  ASSERT_EQ(membership.size(), 2u);
  EXPECT_EQ(membership[0].pos, seeded[1].pos);
  EXPECT_EQ(membership[0].value, "join");
  EXPECT_EQ(membership[1].pos, later[3].pos);
  EXPECT_EQ(membership[1].value, "leave");
  auto visibility = store->history_visibility_changes("!r:x");
  ASSERT_EQ(visibility.size(), 2u);
  EXPECT_EQ(visibility[0].pos, later[1].pos);
  EXPECT_EQ(visibility[0].value, "joined");
  EXPECT_EQ(visibility[1].pos, later[4].pos);
  EXPECT_EQ(visibility[1].value, "shared");
  EXPECT_TRUE(store->membership_changes("!r:x", "@b:x").empty());
}

TEST(StoreTest, LongStateChainsResolveThroughSnapshots) {
  auto store = memory_store();
  auto seeded = seed_room(*store);
  std::int64_t group = seeded.back().state_group;
  std::string prev = "$pl";
  for (int i = 0; i < 120; ++i) {
    auto e = state_event("$s" + std::to_string(i), "m.custom", std::to_string(i % 7), R"({"content":{}})", {prev});
    e.state_group_before = group;
    group = store->persist_events({e}, std::nullopt)[0].state_group;
    prev = e.event_id;
  }
  auto state = store->state_group(group);
  EXPECT_EQ(state.size(), 3u + 7u);
  EXPECT_EQ((state[{"m.custom", "0"}]), "$s119");
  EXPECT_EQ(store->current_state("!r:x"), state);
  auto replaced = store->event("$s119");
  ASSERT_TRUE(replaced && replaced->replaces_state);
  EXPECT_EQ(*replaced->replaces_state, "$s112");
}

TEST(StoreTest, PaginationCountsTxnsAndRedaction) {
  auto store = memory_store();
  auto seeded = seed_room(*store);
  std::string prev = "$pl";
  for (int i = 0; i < 10; ++i) {
    auto e = message("$m" + std::to_string(i), seeded.back().state_group, {prev}, i % 2 ? "@b:x" : "@a:x");
    if (i == 3) e.txn = Transaction{"@a:x", "D", "/rooms/!r:x/send/m.room.message", "t3"};
    store->persist_events({e}, std::nullopt);
    prev = e.event_id;
  }
  const StreamPos now = store->current_pos();
  auto newest = store->room_events("!r:x", 0, now, 4, Direction::kBackward);
  ASSERT_EQ(newest.size(), 4u);
  EXPECT_EQ(newest[0].event_id, "$m9");
  auto oldest = store->room_events("!r:x", 0, now, 2, Direction::kForward);
  EXPECT_EQ(oldest[0].event_id, "$create");
  EXPECT_EQ(store->room_events("!r:x", newest[0].pos, now, 10, Direction::kForward).size(), 0u);
  EXPECT_EQ(store->txn_event({"@a:x", "D", "/rooms/!r:x/send/m.room.message", "t3"}), "$m3");
  EXPECT_EQ(store->event("$m3")->txn_id, "t3");

  auto redaction = message("$red", seeded.back().state_group, {prev});
  redaction.type = "m.room.redaction";
  redaction.redaction = std::make_pair(std::string("$m2"), std::string(R"({"content":{}})"));
  store->persist_events({redaction}, std::nullopt);
  auto redacted = store->event("$m2");
  EXPECT_EQ(redacted->json, R"({"content":{}})");
  EXPECT_EQ(redacted->redacted_by, "$red");
}

TEST(StoreTest, TransactionsAreScopedToTheDeviceAndEndpointAndExpire) {
  auto store = memory_store();
  auto seeded = seed_room(*store);
  auto first = message("$first", seeded.back().state_group, {"$pl"});
  first.txn = Transaction{"@a:x", "D", "/rooms/!r:x/send/m.room.message", "t"};
  store->persist_events({first}, std::nullopt);
  // The same ID to another room, event type or endpoint, or from another device, is new.
  for (const Transaction& other : {Transaction{"@a:x", "D", "/rooms/!s:x/send/m.room.message", "t"},
                                   Transaction{"@a:x", "D", "/rooms/!r:x/send/m.reaction", "t"},
                                   Transaction{"@a:x", "D", "/rooms/!r:x/redact/$first", "t"},
                                   Transaction{"@a:x", "E", "/rooms/!r:x/send/m.room.message", "t"}})
    EXPECT_FALSE(store->txn_event(other)) << other.endpoint;
  auto second = message("$second", seeded.back().state_group, {"$first"});
  second.txn = Transaction{"@a:x", "D", "/rooms/!r:x/redact/$first", "t"};
  store->persist_events({second}, std::nullopt);
  EXPECT_EQ(store->txn_event(*first.txn), "$first");
  EXPECT_EQ(store->txn_event(*second.txn), "$second");
  // To-device transactions share the table and its scope.
  const Transaction to_device{"@a:x", "D", "/sendToDevice/m.room.message", "t"};
  EXPECT_TRUE(store->add_to_device({}, to_device, {}));
  EXPECT_FALSE(store->add_to_device({}, to_device, {}));
  store->purge_transactions(0);
  EXPECT_EQ(store->txn_event(*first.txn), "$first");
  store->purge_transactions(std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(store->txn_event(*first.txn));
  EXPECT_TRUE(store->add_to_device({}, to_device, {}));
  EXPECT_EQ(store->event("$first")->txn_id, "t");  // the event keeps its transaction_id
}

TEST(StoreTest, FailedBatchLeavesNothingBehind) {
  auto store = memory_store();
  seed_room(*store);
  const StreamPos before = store->current_pos();
  std::vector<NewEvent> batch{message("$ok", 0, {"$pl"}), message("$create", 0, {"$ok"})};  // duplicate ID
  EXPECT_THROW(store->persist_events(batch, std::nullopt), StorageError);
  EXPECT_FALSE(store->event("$ok"));
  EXPECT_EQ(store->current_pos(), before);
  EXPECT_EQ(store->forward_extremities("!r:x")[0].event_id, "$pl");
}

TEST(StoreTest, AccountDataReceiptsFiltersAliases) {
  auto store = memory_store();
  StreamPos first = store->set_account_data("@a:x", "", "m.direct", "{}");
  StreamPos second = store->set_account_data("@a:x", "", "m.direct", R"({"x":1})");
  EXPECT_GT(second, first);
  auto entries = store->account_data_since("@a:x", 0);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].content, R"({"x":1})");
  EXPECT_TRUE(store->account_data_since("@a:x", second).empty());

  store->set_receipt({"!r:x", "m.read", "@a:x", "", "$1", 10, 0});
  StreamPos latest = store->set_receipt({"!r:x", "m.read", "@a:x", "", "$2", 11, 0});
  EXPECT_EQ(store->receipts_since("!r:x", 0).size(), 1u);
  EXPECT_EQ(store->user_receipt("!r:x", "@a:x", "m.read", "")->event_id, "$2");
  EXPECT_TRUE(store->receipts_since("!r:x", latest).empty());
  EXPECT_TRUE(store->receipts_since("!other:x", 0).empty());
  StreamPos newer = store->set_receipt({"!r:x", "m.read", "@b:x", "", "$2", 12, 0});
  ASSERT_EQ(store->receipts_since("!r:x", latest).size(), 1u);  // a remembered bound never hides a new one
  EXPECT_EQ(store->receipts_since("!r:x", latest)[0].pos, newer);
  EXPECT_TRUE(store->receipts_since("!r:x", newer).empty());

  EXPECT_EQ(store->add_filter("@a:x", "{}", "d0", 1, 10), 0);
  EXPECT_EQ(store->add_filter("@a:x", R"({"a":1})", "d1", 1, 10), 1);
  EXPECT_EQ(store->add_filter("@a:x", "{}", "d0", 2, 10), 0);  // the same filter again
  EXPECT_EQ(store->add_filter("@b:x", "{}", "d0", 2, 10), 0);  // another user's own
  EXPECT_EQ(store->filter("@a:x", 1, 3), R"({"a":1})");
  EXPECT_FALSE(store->filter("@c:x", 1, 3));

  EXPECT_TRUE(store->create_alias("#a:x", "!r:x", "@a:x"));
  EXPECT_FALSE(store->create_alias("#a:x", "!s:x", "@a:x"));
  EXPECT_EQ(store->alias_room("#a:x"), "!r:x");
  EXPECT_EQ(store->room_aliases("!r:x").size(), 1u);
  EXPECT_EQ(store->alias_count("@a:x"), 1);
  EXPECT_TRUE(store->delete_alias("#a:x"));
  EXPECT_EQ(store->alias_count("@a:x"), 0);
  store->add_report({"!r:x", "$e", "@a:x", "spam", -100, 5});
  store->add_report({"!r:x", "", "@b:x", "", std::nullopt, 6});
  EXPECT_EQ(store->report_count("@a:x"), 1);
  auto reports = store->reports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].reason, "spam");
  EXPECT_EQ(reports[0].score, -100);
  EXPECT_FALSE(reports[1].score);
  EXPECT_EQ(reports[1].user_id, "");
  store->add_report({"", "", "@a:x", "rude", std::nullopt, 7, "@c:x"});
  EXPECT_EQ(store->reports().back().user_id, "@c:x");
  EXPECT_FALSE(store->alias_room("#a:x"));
}

TEST(StoreTest, FiltersBeyondTheBoundEvictTheLeastRecentlyUsedAndIdsAreNeverReused) {
  auto store = open_sqlite_store({":memory:", false});
  constexpr std::int64_t kDay = 24 * 60 * 60 * 1000;
  EXPECT_EQ(store->add_filter("@a:x", "0", "d0", 0, 3), 0);
  EXPECT_EQ(store->add_filter("@a:x", "1", "d1", kDay, 3), 1);
  EXPECT_EQ(store->add_filter("@a:x", "2", "d2", 2 * kDay, 3), 2);
  EXPECT_TRUE(store->filter("@a:x", 0, 3 * kDay));  // in use: now the most recent
  EXPECT_EQ(store->add_filter("@a:x", "3", "d3", 4 * kDay, 3), 3);
  EXPECT_FALSE(store->filter("@a:x", 1, 4 * kDay));                 // the least recently used went
  EXPECT_EQ(store->add_filter("@a:x", "0", "d0", 5 * kDay, 3), 0);  // reposting is a use
  EXPECT_EQ(store->add_filter("@a:x", "2", "d2", 5 * kDay, 3), 2);
  // Evicting the newest kept filter (3, least recently used now) never hands its ID out again.
  EXPECT_EQ(store->add_filter("@a:x", "4", "d4", 6 * kDay, 3), 4);
  EXPECT_FALSE(store->filter("@a:x", 3, 6 * kDay));
  EXPECT_TRUE(store->filter("@a:x", 0, 6 * kDay));
  EXPECT_EQ(store->add_filter("@a:x", "1", "d1", 7 * kDay, 3), 5);  // an evicted filter comes back anew
}

TEST(StoreTest, ReopeningAFileKeepsDataAndPositions) {
  auto dir = std::filesystem::temp_directory_path() / ("myelin_store_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "db.sqlite").string();
  StreamPos pos = 0;
  {
    auto store = open_sqlite_store({path, false});
    seed_room(*store);
    store->allocate_pos();
    pos = store->current_pos();
    store->forget_room(*core::UserId::parse("@a:x"), *core::RoomId::parse("!r:x"));
  }
  {
    auto store = open_sqlite_store({path, false});
    EXPECT_EQ(store->current_pos(), pos);
    EXPECT_TRUE(store->event("$pl"));
    EXPECT_TRUE(store->is_forgotten("@a:x", "!r:x"));
    EXPECT_GT(store->allocate_pos(), pos);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace myelin::storage
