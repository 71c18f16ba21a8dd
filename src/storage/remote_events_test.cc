// Outliers and the explicit states of NewEvent (state_before, current_state): what a remote
// join and the receiver of remote events write.
#include <gtest/gtest.h>

#include "storage/store.h"

namespace myelin::storage {
namespace {

std::unique_ptr<Store> memory_store() { return open_sqlite_store({":memory:", false}); }

NewOutlier outlier(const std::string& id, const std::string& type, const std::string& key, const std::string& json) {
  return NewOutlier{id, "!r:y", type, key, "@b:y", 1, 10, json};
}

// A remote room's state as send_join gives it: create, @b:y's join, a public join rule, shared
// history; all outliers.
std::vector<NewOutlier> remote_state() {
  return {outlier("$create", "m.room.create", "", R"({"content":{}})"),
          outlier("$b", "m.room.member", "@b:y", R"({"content":{"membership":"join"}})"),
          outlier("$rules", "m.room.join_rules", "", R"({"content":{"join_rule":"public"}})"),
          outlier("$hv", "m.room.history_visibility", "", R"({"content":{"history_visibility":"shared"}})")};
}

StateMap state_of(const std::vector<NewOutlier>& events) {
  StateMap state;
  for (const auto& e : events) state[{e.type, *e.state_key}] = e.event_id;
  return state;
}

NewEvent join_of(const std::string& id, const std::string& user, const StateMap& before) {
  NewEvent e;
  e.event_id = id;
  e.room_id = "!r:y";
  e.type = "m.room.member";
  e.state_key = user;
  e.sender = user;
  e.depth = 2;
  e.json = R"({"content":{"membership":"join"}})";
  e.prev_events = {"$b"};
  e.state_before = before;
  e.current_state = before;
  (*e.current_state)[{"m.room.member", user}] = id;
  return e;
}

TEST(RemoteEventsTest, OutliersAreFoundByIdButAreNotInTheTimeline) {
  auto store = memory_store();
  store->persist_outliers(remote_state());
  auto create = store->event("$create");
  ASSERT_TRUE(create);
  EXPECT_EQ(create->pos, 0);
  EXPECT_EQ(create->state_group, 0);
  EXPECT_EQ(create->type, "m.room.create");
  EXPECT_EQ(create->state_key, "");
  EXPECT_EQ(store->events({"$create", "$unknown", "$b"}).size(), 2u);
  EXPECT_TRUE(store->room_events("!r:y", 0, 1'000, 10, Direction::kForward).empty());
  EXPECT_TRUE(store->current_state("!r:y").empty());
  // Idempotent: the first copy stays.
  store->persist_outliers({outlier("$create", "m.room.create", "", R"({"content":{"other":1}})")});
  EXPECT_EQ(store->event("$create")->json, R"({"content":{}})");
}

TEST(RemoteEventsTest, ARemoteJoinTakesItsStateFromTheOutliers) {
  auto store = memory_store();
  store->create_user({"@a:x", "hash", false, false, 1, "A", ""});
  const auto outliers = remote_state();
  store->persist_outliers(outliers);
  const StateMap before = state_of(outliers);
  store->forget_room(*core::UserId::parse("@a:x"), *core::RoomId::parse("!r:y"));
  const auto at = store->persist_events({join_of("$a", "@a:x", before)}, RoomRecord{"!r:y", "10", "@b:y", false});
  ASSERT_EQ(at.size(), 1u);

  StateMap after = before;
  after[{"m.room.member", "@a:x"}] = "$a";
  EXPECT_EQ(store->current_state("!r:y"), after);
  EXPECT_EQ(store->state_group(at[0].state_group), after);
  auto join = store->event("$a");
  ASSERT_TRUE(join);
  EXPECT_EQ(join->pos, at[0].pos);
  EXPECT_FALSE(join->replaces_state);
  // The timeline holds only the join; the state before it is its group minus itself.
  auto timeline = store->room_events("!r:y", 0, at[0].pos, 10, Direction::kForward);
  ASSERT_EQ(timeline.size(), 1u);
  EXPECT_EQ(timeline[0].event_id, "$a");
  const auto extremities = store->forward_extremities("!r:y");
  ASSERT_EQ(extremities.size(), 1u);
  EXPECT_EQ(extremities[0].event_id, "$a");

  // Memberships of the outliers and of the join, and the values the visibility rules read, all
  // taking effect at the join.
  auto members = store->room_members(*core::RoomId::parse("!r:y"));
  ASSERT_EQ(members.size(), 2u);
  for (const auto& member : members) {
    EXPECT_EQ(member.membership, "join");
    EXPECT_EQ(member.pos, at[0].pos);
  }
  ASSERT_EQ(store->membership_changes("!r:y", "@b:y").size(), 1u);
  EXPECT_EQ(store->membership_changes("!r:y", "@b:y")[0].pos, at[0].pos);
  ASSERT_EQ(store->history_visibility_changes("!r:y").size(), 1u);
  EXPECT_EQ(store->history_visibility_changes("!r:y")[0].value, "shared");
  EXPECT_FALSE(store->is_forgotten("@a:x", "!r:y"));  // joining again un-forgets
  // The user directory sees the room's public join rule, though it is an outlier.
  EXPECT_EQ(store->search_user_directory("@a:x", {"A"}, true, 10, 100).size(), 1u);
}

TEST(RemoteEventsTest, ReplacedCurrentStateFollowsOnlyTheKeysThatChanged) {
  auto store = memory_store();
  const auto outliers = remote_state();
  store->persist_outliers(outliers);
  const StateMap before = state_of(outliers);
  const auto first = store->persist_events({join_of("$a", "@a:x", before)}, RoomRecord{"!r:y", "10", "@b:y", false});

  // A later event whose resolved state has @b:y left, the history world_readable and no join rule.
  store->persist_outliers(
      {outlier("$b-left", "m.room.member", "@b:y", R"({"content":{"membership":"leave"}})"),
       outlier("$hv2", "m.room.history_visibility", "", R"({"content":{"history_visibility":"world_readable"}})")});
  NewEvent message;
  message.event_id = "$m";
  message.room_id = "!r:y";
  message.type = "m.room.message";
  message.sender = "@b:y";
  message.json = R"({"content":{"body":"hi"}})";
  message.prev_events = {"$a"};
  message.state_group_before = first[0].state_group;
  StateMap resolved = store->current_state("!r:y");
  resolved[{"m.room.member", "@b:y"}] = "$b-left";
  resolved[{"m.room.history_visibility", ""}] = "$hv2";
  resolved.erase({"m.room.join_rules", ""});
  message.current_state = resolved;
  const auto second = store->persist_events({message}, std::nullopt);

  EXPECT_EQ(store->current_state("!r:y"), resolved);
  const auto b = store->membership_changes("!r:y", "@b:y");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].pos, second[0].pos);
  EXPECT_EQ(b[1].value, "leave");
  EXPECT_EQ(store->membership_changes("!r:y", "@a:x").size(), 1u);  // unchanged: nothing new
  EXPECT_EQ(store->history_visibility_changes("!r:y").back().value, "world_readable");
  for (const auto& member : store->room_members(*core::RoomId::parse("!r:y")))
    EXPECT_EQ(member.membership, member.user_id == "@b:y" ? "leave" : "join");
}

TEST(RemoteEventsTest, ATimelineEventReplacesItsOutlier) {
  auto store = memory_store();
  store->persist_outliers(remote_state());
  NewEvent event = join_of("$b", "@b:y", {});
  event.state_before.reset();
  event.current_state.reset();
  event.state_group_before = 0;
  event.json = R"({"content":{"membership":"join"},"timeline":true})";
  const auto at = store->persist_events({event}, RoomRecord{"!r:y", "10", "@b:y", false});
  auto stored = store->event("$b");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->pos, at[0].pos);
  EXPECT_EQ(stored->json, event.json);
  store->persist_outliers(remote_state());  // stays a timeline event
  EXPECT_EQ(store->event("$b")->pos, at[0].pos);
}

}  // namespace
}  // namespace myelin::storage

namespace myelin::storage {
namespace {

TEST(RemoteEventsTest, HistoryGoesBelowEveryPositionAndCarriesItsVisibility) {
  auto store = memory_store();
  const auto outliers = remote_state();
  store->persist_outliers(outliers);
  const auto at =
      store->persist_events({join_of("$a", "@a:x", state_of(outliers))}, RoomRecord{"!r:y", "10", "@b:y", false});
  const StreamPos now = store->current_pos();
  auto message = [](const std::string& id) {
    return NewOutlier{id, "!r:y", "m.room.message", std::nullopt, "@b:y", 1, 10, "{}"};
  };

  // The newest history first: two messages and the join again (already in the timeline).
  auto first = store->persist_history(
      {"!r:y", {message("$m1"), message("$m2"), outlier("$a", "m.room.member", "@a:x", "{}")}, "shared"});
  EXPECT_EQ(first, (std::vector<StreamPos>{-2, -1}));
  EXPECT_EQ(store->current_pos(), now);  // the stream did not move
  // Older history goes below it, an outlier of the state moving into the timeline; its
  // history_visibility is a change at its position, and the visibility below the batch
  // replaces the one recorded below the first batch.
  auto second = store->persist_history(
      {"!r:y",
       {outlier("$create", "m.room.create", "", R"({"content":{}})"),
        outlier("$hv", "m.room.history_visibility", "", R"({"content":{"history_visibility":"joined"}})"),
        message("$m0")},
       "shared"});
  EXPECT_EQ(second, (std::vector<StreamPos>{-5, -4, -3}));
  auto timeline = store->room_events("!r:y", std::numeric_limits<StreamPos>::min() / 2, now, 10, Direction::kForward);
  std::vector<std::string> ids;
  for (const auto& event : timeline) ids.push_back(event.event_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"$create", "$hv", "$m0", "$m1", "$m2", "$a"}));
  EXPECT_EQ(store->event("$hv")->pos, -4);
  EXPECT_EQ(store->event("$hv")->state_group, 0);
  const auto changes = store->history_visibility_changes("!r:y");
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].pos, -6);
  EXPECT_EQ(changes[0].value, "shared");
  EXPECT_EQ(changes[1].pos, -4);
  EXPECT_EQ(changes[1].value, "joined");
  EXPECT_EQ(changes[2].pos, at[0].pos);
  // Nothing current changed.
  EXPECT_EQ(store->forward_extremities("!r:y").size(), 1u);
  EXPECT_EQ(store->current_state("!r:y").at({"m.room.history_visibility", ""}), "$hv");
}

}  // namespace
}  // namespace myelin::storage
