#include "homeserver/timeline/write_path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/crypto.h"
#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/room_cache.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

struct WritePathFixture : ::testing::Test {
  TimelineOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  core::SigningKey key = core::SigningKey::generate("");
  RoomCache rooms{*store, static_cast<std::size_t>(config.room_cache_state_events)};
  EventBuilder builder{config, *store, *store, key};
  WritePath write_path{*store, rooms};
  std::vector<std::string> heard;  // "<subscriber>:<type>:<creates_room>"

  void subscribe(const std::string& name) {
    write_path.subscribe([this, name](const Written& written) {
      heard.push_back(name + ":" + written.event.row.type + ":" + (written.creates_room ? "new" : "old"));
      // Announced after persist and apply: the store has the event, the room reflects it.
      auto stored = store->event(written.event.row.event_id);
      ASSERT_TRUE(stored);
      EXPECT_EQ(stored->pos, written.at.pos);
      EXPECT_GE(written.room.last_pos, written.at.pos);
    });
  }

  // A room (v10 unless told) made of its create event and the creator's join.
  std::string create_room(const std::string& version = "10", std::vector<BuiltEvent>* out = nullptr) {
    RoomState scratch;
    scratch.room_id = "!room:localhost";
    scratch.rules = rooms::find_room_version(version);
    std::vector<BuiltEvent> built;
    const std::vector<EventDraft> drafts{
        {"@a:localhost", "m.room.create", "", {{"creator", "@a:localhost"}, {"room_version", version}}, {}},
        {"@a:localhost", "m.room.member", "@a:localhost", {{"membership", "join"}}, {}}};
    for (const EventDraft& draft : drafts) {
      auto event = builder.build(scratch, draft);
      EXPECT_TRUE(event) << event.error().message;
      event->row.state_group_before = built.empty() ? 0 : storage::kStateGroupOfPrevious;
      scratch.apply(event->row, event->pdu, storage::Persisted{0, 0});
      built.push_back(std::move(*event));
    }
    if (out) *out = built;
    write_path.write_new_room({scratch.room_id, version, "@a:localhost", false}, *scratch.rules, built);
    return scratch.room_id;
  }
};

TEST_F(WritePathFixture, SubscribersHearEveryEventInOrderAfterItIsPersistedAndApplied) {
  subscribe("first");
  subscribe("second");
  const std::string room_id = create_room();
  EXPECT_EQ(heard, (std::vector<std::string>{"first:m.room.create:new", "second:m.room.create:new",
                                             "first:m.room.member:new", "second:m.room.member:new"}));
  std::shared_ptr<RoomState> room = rooms.room(room_id);
  ASSERT_TRUE(room);
  EXPECT_TRUE(room->joined.contains("@a:localhost"));

  heard.clear();
  auto message = builder.build(*room, {"@a:localhost", "m.room.message", std::nullopt, {{"body", "hi"}}, {}});
  ASSERT_TRUE(message);
  const storage::Persisted at = write_path.write(*room, *message);
  EXPECT_EQ(heard, (std::vector<std::string>{"first:m.room.message:old", "second:m.room.message:old"}));
  EXPECT_EQ(store->event(message->row.event_id)->pos, at.pos);
  EXPECT_EQ(room->last_pos, at.pos);
}

TEST_F(WritePathFixture, AnEventThatReplacesTheStateReloadsTheHeldRoomInPlace) {
  const std::string room_id = create_room();
  std::shared_ptr<RoomState> room = rooms.room(room_id);
  // A state that, as resolution might decide, forgets the creator's join.
  store->persist_outliers({{"$other", room_id, "m.room.member", "@b:elsewhere", "@b:elsewhere", 1, 1,
                            R"({"type":"m.room.member","content":{"membership":"join"}})"}});
  auto topic = builder.build(*room, {"@a:localhost", "m.room.topic", "", {{"topic", "t"}}, {}});
  ASSERT_TRUE(topic);
  storage::StateMap resolved{{{"m.room.create", ""}, room->find("m.room.create", "")->event_id},
                             {{"m.room.member", "@b:elsewhere"}, "$other"},
                             {{"m.room.topic", ""}, topic->row.event_id}};
  topic->row.current_state = resolved;
  const storage::Persisted at = write_path.write(*room, *topic);
  EXPECT_EQ(rooms.room(room_id).get(), room.get());  // the one object per room
  EXPECT_EQ(room->state.size(), 3u);
  EXPECT_EQ(room->joined, (std::set<std::string>{"@b:elsewhere"}));
  EXPECT_EQ(room->last_pos, at.pos);
  EXPECT_EQ(room->find("m.room.member", "@b:elsewhere")->pos, 0);  // an outlier
}

TEST_F(WritePathFixture, ASubscriberThatWritesIsAnnouncedBeforeLaterSubscribersHearTheFirstEvent) {
  subscribe("first");
  bool replied = false;
  write_path.subscribe([&](const Written& written) {
    if (written.creates_room || replied) return;
    replied = true;
    std::shared_ptr<RoomState> room = rooms.room(written.room.room_id);
    auto reply = builder.build(*room, {"@a:localhost", "m.room.message", std::nullopt, {{"body", "reply"}}, {}});
    ASSERT_TRUE(reply);
    write_path.write(*room, *reply);
  });
  subscribe("last");
  const std::string room_id = create_room();
  heard.clear();
  auto message = builder.build(*rooms.room(room_id), {"@a:localhost", "m.room.topic", "", {{"topic", "t"}}, {}});
  ASSERT_TRUE(message);
  write_path.write(*rooms.room(room_id), *message);
  EXPECT_EQ(heard, (std::vector<std::string>{"first:m.room.topic:old", "first:m.room.message:old",
                                             "last:m.room.message:old", "last:m.room.topic:old"}));
}

// v1/v2 (rooms/fragments/v1-event-ids.md, pdu_v1): the event carries its "$id:server" ID, and
// prev_events/auth_events are [id, {"sha256": reference hash}] pairs, also for events read
// back from the store; every built event passes the receipt format check once signed (as it
// leaves for another server).
TEST_F(WritePathFixture, V1EventsCarryTheirIdAndReferenceByPairs) {
  const rooms::RoomVersionRules& v1 = *rooms::find_room_version("1");
  auto as_sent = [&](json::object pdu) {
    rooms::sign_own_event(pdu, v1, "localhost", key);
    return pdu;
  };
  std::vector<BuiltEvent> built;
  const std::string room_id = create_room("1", &built);
  ASSERT_EQ(built.size(), 2u);
  const json::object& create = built[0].pdu;
  const json::object& join = built[1].pdu;
  EXPECT_EQ(create.at("event_id"), json::value(built[0].row.event_id));
  EXPECT_TRUE(built[0].row.event_id.ends_with(":localhost"));
  const json::value reference = rooms::event_reference(built[0].row.event_id, create, v1);
  EXPECT_EQ(join.at("prev_events"), json::value(json::array{reference}));
  EXPECT_EQ(join.at("auth_events"), json::value(json::array{reference}));
  for (const BuiltEvent& event : built) {
    EXPECT_FALSE(event.pdu.contains("signatures"));
    const auto format = rooms::check_pdu_format(as_sent(event.pdu), v1);
    EXPECT_TRUE(format) << format.error().message;
  }
  std::shared_ptr<RoomState> room = rooms.room(room_id);
  ASSERT_TRUE(room);
  auto message = builder.build(*room, {"@a:localhost", "m.room.message", std::nullopt, {{"body", "hi"}}, {}});
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_EQ(message->pdu.at("prev_events"),
            json::value(json::array{rooms::event_reference(built[1].row.event_id, join, v1)}));
  EXPECT_EQ(rooms::referenced_event_ids(message->pdu, "auth_events", v1).size(), 2u);  // create, sender's join
  EXPECT_TRUE(rooms::check_pdu_format(as_sent(message->pdu), v1));
}

// The size limit counts the signature an event gets when it leaves (it is stored unsigned).
TEST_F(WritePathFixture, TheSizeLimitCountsTheSignatureToCome) {
  std::shared_ptr<RoomState> room = rooms.room(create_room("10"));
  ASSERT_TRUE(room);
  auto with_body = [&](std::size_t bytes) {
    return builder.build(
        *room, {"@a:localhost", "m.room.message", std::nullopt, {{"body", std::string(bytes, 'x')}}, {}, 1000});
  };
  auto empty = with_body(0);
  ASSERT_TRUE(empty) << empty.error().message;
  const std::size_t signature = rooms::signature_bytes("localhost", key.key_id());
  const std::size_t room_left = rooms::kMaxPduBytes - signature - empty->row.json.size();
  auto largest = with_body(room_left);
  ASSERT_TRUE(largest) << largest.error().message;
  json::object sent = largest->pdu;
  rooms::sign_own_event(sent, *room->rules, "localhost", key);
  EXPECT_EQ(core::canonical_json(sent).size(), rooms::kMaxPduBytes);
  auto over = with_body(room_left + 1);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().errcode, "M_TOO_LARGE");
}

TEST(RoomStateApplyTest, AnEventReplacesTheExtremitiesItNames) {
  RoomState room;
  room.extremities = {{"$a", 3}, {"$b", 4}};
  storage::NewEvent row;
  row.event_id = "$c";
  row.type = "m.room.message";
  row.depth = 5;
  row.prev_events = {"$a"};
  room.apply(row, json::object{}, {7, 2});
  ASSERT_EQ(room.extremities.size(), 2u);
  EXPECT_EQ(room.extremities[0].event_id, "$b");
  EXPECT_EQ(room.extremities[1].event_id, "$c");
  EXPECT_EQ(room.last_pos, 7);
  EXPECT_EQ(room.state_group, 2);
  row.event_id = "$d";
  row.prev_events = {"$b", "$c"};
  room.apply(row, json::object{}, {8, 2});
  ASSERT_EQ(room.extremities.size(), 1u);
  EXPECT_EQ(room.extremities[0].event_id, "$d");
}

}  // namespace
}  // namespace myelin::homeserver
