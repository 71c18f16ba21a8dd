#include "homeserver/timeline/room_cache.h"

#include <gtest/gtest.h>

#include "homeserver/timeline/test_support.h"

namespace myelin::homeserver {
namespace {

// The cached room and the room as the store has it agree on everything the send path and
// /sync read.
void expect_same(const RoomState& cached, const RoomState& stored) {
  EXPECT_EQ(cached.room_id, stored.room_id);
  EXPECT_EQ(cached.rules, stored.rules);
  ASSERT_EQ(cached.state.size(), stored.state.size()) << cached.room_id;
  for (const auto& [key, entry] : cached.state) {
    const StateEntry* other = stored.find(key.first, key.second);
    ASSERT_TRUE(other) << key.first << " " << key.second;
    EXPECT_EQ(entry.event_id, other->event_id);
    EXPECT_EQ(entry.pos, other->pos);
    EXPECT_EQ(*entry.pdu, *other->pdu);
  }
  ASSERT_EQ(cached.extremities.size(), stored.extremities.size());
  for (std::size_t i = 0; i < cached.extremities.size(); ++i) {
    EXPECT_EQ(cached.extremities[i].event_id, stored.extremities[i].event_id);
    EXPECT_EQ(cached.extremities[i].depth, stored.extremities[i].depth);
  }
  EXPECT_EQ(cached.state_group, stored.state_group);
  EXPECT_EQ(cached.last_pos, stored.last_pos);
  EXPECT_EQ(cached.joined, stored.joined);
  EXPECT_EQ(cached.invited, stored.invited);
}

// Rooms of two state events (create, the creator's join), so a bound of 4 keeps two of them;
// version 10, whose room IDs are not derived from the create event.
struct RoomCacheTest : ::testing::Test {
  TimelineOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  core::SigningKey key = core::SigningKey::generate("test");
  RoomCache rooms{*store, 4};
  EventBuilder builder{config, *store, *store, key};
  WritePath write_path{*store, rooms};
  Timeline timeline{*store, rooms, builder, write_path};
  const std::string alice = "@alice:localhost";
  const std::vector<std::string> ids{"!a:localhost", "!b:localhost", "!c:localhost"};

  void SetUp() override {
    for (const auto& id : ids) create_room(id);
  }
  // Written through a cache of its own: the one tested starts empty.
  void create_room(const std::string& room_id) {
    RoomState scratch;
    scratch.room_id = room_id;
    scratch.rules = rooms::find_room_version("10");
    std::vector<BuiltEvent> built;
    for (EventDraft draft : {EventDraft{alice, "m.room.create", "", {{"creator", alice}, {"room_version", "10"}}, {}},
                             EventDraft{alice, "m.room.member", alice, {{"membership", "join"}}, {}}}) {
      auto event = builder.build(scratch, draft);
      ASSERT_TRUE(event) << event.error().message;
      event->row.state_group_before = built.empty() ? 0 : storage::kStateGroupOfPrevious;
      scratch.apply(event->row, event->pdu, storage::Persisted{0, 0});
      built.push_back(std::move(*event));
    }
    RoomCache creating{*store, 100};
    WritePath{*store, creating}.write_new_room({room_id, "10", alice, false}, *scratch.rules, built);
  }
  void send(const std::string& room_id, EventDraft draft) {
    auto sent = timeline.send(testing::id<core::RoomId>(room_id), std::move(draft));
    ASSERT_TRUE(sent) << sent.error().message;
  }
};

TEST_F(RoomCacheTest, BeyondItsBoundTheLeastRecentlyUsedRoomGoesWhenAnotherIsLoaded) {
  ASSERT_TRUE(rooms.room(ids[0]));
  ASSERT_TRUE(rooms.room(ids[1]));
  ASSERT_TRUE(rooms.room(ids[0]));  // a is now used more recently than b
  EXPECT_EQ(rooms.size(), 2u);
  ASSERT_TRUE(rooms.room(ids[2]));
  EXPECT_EQ(rooms.size(), 2u);
  EXPECT_TRUE(rooms.cached(ids[0]));
  EXPECT_FALSE(rooms.cached(ids[1]));
  EXPECT_TRUE(rooms.cached(ids[2]));
  // The evicted room is loaded again at its next use; now a is the least recently used.
  auto b = rooms.room(ids[1]);
  ASSERT_TRUE(b);
  expect_same(*b, *rooms.load(ids[1]));
  EXPECT_FALSE(rooms.cached(ids[0]));
  EXPECT_FALSE(rooms.room("!unknown:localhost"));
  EXPECT_EQ(rooms.size(), 2u);
}

TEST_F(RoomCacheTest, AnEvictedRoomLoadsAgainAsItWas) {
  send(ids[0], {alice, "m.room.name", "", {{"name", "A"}}, {}});
  send(ids[0], {alice, "m.room.member", "@bob:localhost", {{"membership", "invite"}}, {}});
  send(ids[0], {alice, "m.room.message", std::nullopt, {{"body", "hi"}}, {}});
  const RoomState before = *rooms.room(ids[0]);  // a copy
  ASSERT_TRUE(before.invited.contains("@bob:localhost"));
  ASSERT_TRUE(rooms.room(ids[1]));
  ASSERT_TRUE(rooms.room(ids[2]));
  ASSERT_FALSE(rooms.cached(ids[0]));
  auto again = rooms.room(ids[0]);
  ASSERT_TRUE(again);
  expect_same(*again, before);
  EXPECT_EQ(again->extremities.front().depth, before.extremities.front().depth);
  EXPECT_GT(again->extremities.front().depth, 1);
}

TEST_F(RoomCacheTest, ARoomInUseIsNeverFreedNorLoadedTwice) {
  std::shared_ptr<RoomState> held = rooms.room(ids[0]);
  const RoomState* address = held.get();
  ASSERT_TRUE(rooms.room(ids[1]));
  ASSERT_TRUE(rooms.room(ids[2]));  // over the bound: b goes, a is held
  EXPECT_TRUE(rooms.cached(ids[0]));
  EXPECT_FALSE(rooms.cached(ids[1]));
  EXPECT_EQ(rooms.room(ids[0]).get(), address);
  ASSERT_TRUE(rooms.room(ids[1]));
  ASSERT_TRUE(rooms.room(ids[2]));
  EXPECT_EQ(rooms.room(ids[0]).get(), address);
  EXPECT_EQ(held->room_id, ids[0]);

  // A subscriber that loads other rooms while the write path announces: the written room is
  // the caller's and stays the cached one.
  write_path.subscribe([&](const Written& written) {
    if (written.room.room_id != ids[0]) return;
    for (const auto& id : ids) ASSERT_TRUE(rooms.room(id));
    for (const auto& id : ids) ASSERT_TRUE(rooms.room(id));
    EXPECT_EQ(&written.room, address);
    EXPECT_EQ(written.room.last_pos, written.at.pos);
  });
  held.reset();  // Timeline::send holds it itself
  send(ids[0], {alice, "m.room.message", std::nullopt, {{"body", "hi"}}, {}});
  auto a = rooms.room(ids[0]);
  EXPECT_EQ(a.get(), address);
  expect_same(*a, *rooms.load(ids[0]));
}

TEST_F(RoomCacheTest, WritesAndEvictionsKeepTheCacheEqualToTheStore) {
  RoomCache small{*store, 12};
  WritePath path{*store, small};
  Timeline sender{*store, small, builder, path};
  bool wrote_cached = false, wrote_loaded = false;
  for (int i = 0; i < 30; ++i) {
    const std::string& room_id = ids[(i * 7 + i / 3) % ids.size()];
    (small.cached(room_id) ? wrote_cached : wrote_loaded) = true;
    EventDraft draft{alice, "m.room.message", std::nullopt, {{"body", "message " + std::to_string(i)}}, {}};
    if (i % 3 == 1) draft = {alice, "m.room.name", "", {{"name", "name " + std::to_string(i)}}, {}};
    if (i % 3 == 2)
      draft = {alice, "m.room.member", "@u" + std::to_string(i) + ":localhost", {{"membership", "invite"}}, {}};
    auto sent = sender.send(testing::id<core::RoomId>(room_id), std::move(draft));
    ASSERT_TRUE(sent) << sent.error().message;
    for (const auto& id : ids)
      if (small.cached(id)) expect_same(*small.room(id), *small.load(id));
  }
  EXPECT_TRUE(wrote_cached);
  EXPECT_TRUE(wrote_loaded);
}

}  // namespace
}  // namespace myelin::homeserver
