// Back-filling over federation: a room on b.example with history from before a.example's user
// joined; /messages on a.example pages back into it through RemoteBackfill.
#include "homeserver/federation/remote_backfill.h"

#include <gtest/gtest.h>

#include "homeserver/federation/join_test_support.h"
#include "homeserver/timeline/aggregations.h"
#include "homeserver/timeline/room_reader.h"

namespace myelin::homeserver {
namespace {

using testing::FakeKeyFetcher;
using testing::id;
using testing::TestServer;

// Holds every request until the test lets it go.
struct HeldTransport final : Transport {
  std::vector<std::pair<OutgoingRequest, std::function<void(IncomingResponse)>>> held;
  void send(OutgoingRequest request, std::function<void(IncomingResponse)> done) override {
    held.emplace_back(std::move(request), std::move(done));
  }
  void fetch_url(std::string, std::size_t, std::chrono::seconds, std::function<void(IncomingResponse)> done) override {
    done({0, "", "no URLs here", {}});
  }
};

struct RemoteBackfillTest : ::testing::Test {
  std::map<std::string, TestServer*> servers;
  FakeKeyFetcher keys;
  TestServer a{"a.example", servers, keys};
  TestServer b{"b.example", servers, keys};
  RemoteBackfill backfill{"a.example", *a.store, a.path.rooms, a.transport, keys, a.scheduler};
  Aggregations aggregations{*a.store, *a.store};
  RoomReader reader{
      a.path.rooms,
      *a.store,
      *a.store,
      *a.store,
      aggregations,
      [this](const std::string& room_id, std::function<void()> done) { backfill.backfill(room_id, std::move(done)); }};
  std::string room = b.create_room("@bob:b.example", "10");

  void send(TestServer& server, const std::string& type, std::optional<std::string> state_key, json::object content) {
    auto sent =
        server.path.timeline.send(id<core::RoomId>(room), {"@bob:b.example", type, state_key, std::move(content), {}});
    ASSERT_TRUE(sent) << sent.error().message;
  }
  void send_messages(int count) {
    for (int i = 0; i < count; ++i)
      send(b, "m.room.message", std::nullopt, {{"msgtype", "m.text"}, {"body", "m" + std::to_string(i)}});
  }
  void join() { ASSERT_TRUE(a.remote_join("@alice:a.example", room, {"b.example"})); }

  // One /messages page backwards from `from`; answered exactly once.
  core::Result<MessagesPage> page(std::optional<storage::StreamPos> from, std::int64_t limit = 10) {
    int answers = 0;
    std::optional<core::Result<MessagesPage>> out;
    reader.messages({id<core::UserId>("@alice:a.example"), "DEVICE"}, id<core::RoomId>(room),
                    {true, from, std::nullopt, limit, EventFilter{}}, [&](core::Result<MessagesPage> answer) {
                      ++answers;
                      out = std::move(answer);
                    });
    EXPECT_EQ(answers, 1);
    return out ? std::move(*out) : core::fail(core::Errc::kInternal, "no answer");
  }
  // Pages back to the end; the bodies of the messages seen, newest first.
  std::vector<std::string> all_bodies() {
    std::vector<std::string> bodies;
    std::optional<storage::StreamPos> from;
    for (int pages = 0; pages < 50; ++pages) {
      auto got = page(from);
      EXPECT_TRUE(got) << got.error().message;
      if (!got) break;
      for (const auto& event : got->chunk) {
        if (event.as_object().at("type").as_string() != "m.room.message") continue;
        const auto& content = event.as_object().at("content").as_object();
        bodies.emplace_back(content.contains("body") ? std::string(content.at("body").as_string()) : "(redacted)");
      }
      if (!got->end) break;
      from = got->end;
    }
    return bodies;
  }
};

std::vector<std::string> expected_bodies(int count) {
  std::vector<std::string> out;
  for (int i = count - 1; i >= 0; --i) out.push_back("m" + std::to_string(i));
  return out;
}

TEST_F(RemoteBackfillTest, SharedHistoryFromBeforeTheJoinIsBackfilledInOrder) {
  send_messages(30);
  join();
  const storage::StreamPos before = a.store->current_pos();
  int announced = 0;
  a.path.write_path.subscribe([&](const Written&) { ++announced; });

  EXPECT_EQ(all_bodies(), expected_bodies(30));
  // Stored below the join, outside the stream: nothing announced, no position taken.
  EXPECT_EQ(announced, 0);
  EXPECT_EQ(a.store->current_pos(), before);
  auto earliest = a.store->room_events(room, kHistoryStart, kNoEnd, 1, storage::Direction::kForward);
  ASSERT_EQ(earliest.size(), 1u);
  EXPECT_EQ(earliest.front().type, "m.room.create");
  EXPECT_LT(earliest.front().pos, 0);
  // Each request asked for at most kLimit events; once the create event is here none is sent.
  std::size_t requests = 0;
  for (const auto& sent : a.transport.sent)
    if (sent.find("/backfill/") != std::string::npos) {
      ++requests;
      EXPECT_NE(sent.find("limit=100"), std::string::npos) << sent;
    }
  EXPECT_GE(requests, 1u);
  all_bodies();
  std::size_t again = 0;
  for (const auto& sent : a.transport.sent) again += sent.find("/backfill/") != std::string::npos;
  EXPECT_EQ(again, requests);
}

TEST_F(RemoteBackfillTest, ALongHistoryComesInBatchesThatStayInOrder) {
  send_messages(250);
  join();
  EXPECT_EQ(all_bodies(), expected_bodies(250));
}

TEST_F(RemoteBackfillTest, JoinedVisibilityHidesTheHistoryFromBeforeTheJoin) {
  send(b, "m.room.history_visibility", "", {{"history_visibility", "joined"}});
  send_messages(30);
  join();
  send(b, "m.room.message", std::nullopt, {{"msgtype", "m.text"}, {"body", "after"}});
  // b's event reaches a only over /send, which this test has no receiver for: a's timeline is
  // the join and what came before it.
  EXPECT_TRUE(all_bodies().empty());
  // The history was fetched all the same: a's user just may not see it.
  auto earliest = a.store->room_events(room, kHistoryStart, kNoEnd, 1, storage::Direction::kForward);
  ASSERT_EQ(earliest.size(), 1u);
  EXPECT_EQ(earliest.front().type, "m.room.create");
}

TEST_F(RemoteBackfillTest, BatchesWithoutTheVisibilityEventKeepTheVisibilityOfTheJoin) {
  // The first batches hold only messages: their visibility is the one in force at the join.
  send(b, "m.room.history_visibility", "", {{"history_visibility", "joined"}});
  send_messages(150);
  join();
  EXPECT_TRUE(all_bodies().empty());
  auto earliest = a.store->room_events(room, kHistoryStart, kNoEnd, 1, storage::Direction::kForward);
  ASSERT_EQ(earliest.size(), 1u);
  EXPECT_EQ(earliest.front().type, "m.room.create");
}

TEST_F(RemoteBackfillTest, VisibilityChangesInTheHistoryApplyWhereTheyHappened) {
  send(b, "m.room.history_visibility", "", {{"history_visibility", "joined"}});
  send(b, "m.room.message", std::nullopt, {{"msgtype", "m.text"}, {"body", "hidden"}});
  send(b, "m.room.history_visibility", "", {{"history_visibility", "shared"}});
  send_messages(3);
  join();
  EXPECT_EQ(all_bodies(), expected_bodies(3));
}

TEST_F(RemoteBackfillTest, EventsFailingTheChecksAreDroppedAndABadHashIsRedacted) {
  send_messages(5);
  join();
  a.transport.tamper = [](json::object& answer) {
    for (auto& pdu : answer.at("pdus").as_array()) {
      auto& event = pdu.as_object();
      if (event.at("type").as_string() != "m.room.message") continue;
      auto& content = event.at("content").as_object();
      const auto body = content.at("body").as_string();
      if (body == "m1") content["body"] = "forged";     // the hash no longer matches: redacted
      if (body == "m3") event["origin_server_ts"] = 1;  // the signature no longer matches: dropped
    }
  };
  std::vector<std::string> bodies;
  std::size_t messages = 0;
  std::optional<storage::StreamPos> from;
  for (int pages = 0; pages < 20; ++pages) {
    auto got = page(from);
    ASSERT_TRUE(got);
    for (const auto& event : got->chunk) {
      if (event.as_object().at("type").as_string() != "m.room.message") continue;
      ++messages;
      const auto& content = event.as_object().at("content").as_object();
      bodies.emplace_back(content.contains("body") ? std::string(content.at("body").as_string()) : "(redacted)");
    }
    if (!got->end) break;
    from = got->end;
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"m4", "m2", "(redacted)", "m0"})) << messages;
}

TEST_F(RemoteBackfillTest, ARedactionInTheHistoryErasesItsTarget) {
  auto secret = b.path.timeline.send(
      id<core::RoomId>(room),
      {"@bob:b.example", "m.room.message", std::nullopt, {{"msgtype", "m.text"}, {"body", "secret"}}, {}});
  ASSERT_TRUE(secret);
  const std::string target = secret->event_id;
  const json::object original = b.as_sent(*core::parse_json_object(b.store->event(target)->json), room);
  send_messages(2);
  ASSERT_TRUE(b.path.timeline.send(id<core::RoomId>(room),
                                   {"@bob:b.example", "m.room.redaction", std::nullopt, json::object{}, target}));
  join();
  // A server that serves the message as it was, before its redaction in the same batch.
  int restored = 0;
  a.transport.tamper = [&](json::object& answer) {
    for (auto& pdu : answer.at("pdus").as_array())
      if (pdu.as_object().at("type").as_string() == "m.room.message" &&
          !pdu.as_object().at("content").as_object().contains("body")) {
        pdu = original;
        ++restored;
      }
  };
  EXPECT_EQ(all_bodies(), (std::vector<std::string>{"m1", "m0", "(redacted)"}));
  EXPECT_EQ(restored, 1);
  auto stored = a.store->event(target);
  ASSERT_TRUE(stored);
  EXPECT_LT(stored->pos, 0);
  EXPECT_EQ(stored->json.find("secret"), std::string::npos);
}

TEST_F(RemoteBackfillTest, AnUnreachableServerLeavesTheLocalPage) {
  send_messages(3);
  join();
  servers.erase("b.example");
  auto got = page(std::nullopt);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->end);
  for (const auto& event : got->chunk) EXPECT_NE(event.as_object().at("type").as_string(), "m.room.message");
  // It is not asked again at once.
  const auto asked = a.transport.sent.size();
  ASSERT_TRUE(page(std::nullopt));
  EXPECT_EQ(a.transport.sent.size(), asked);
}

TEST_F(RemoteBackfillTest, OneBackfillPerRoomAtATime) {
  send_messages(3);
  join();
  HeldTransport held;
  RemoteBackfill slow{"a.example", *a.store, a.path.rooms, held, keys, a.scheduler};
  int done = 0;
  slow.backfill(room, [&] { ++done; });
  slow.backfill(room, [&] { ++done; });
  ASSERT_EQ(held.held.size(), 1u);
  EXPECT_EQ(done, 0);
  EXPECT_EQ(held.held.front().first.destination, "b.example");
  EXPECT_NE(held.held.front().first.target.find("limit=100"), std::string::npos);
  // The server answers nothing: the next one in the room is tried (there is none), both answered.
  held.held.front().second({0, "", "timed out", {}});
  EXPECT_EQ(done, 2);
}

}  // namespace
}  // namespace myelin::homeserver
