#include "homeserver/federation/sender.h"

#include <gtest/gtest.h>

#include <set>

#include "homeserver/federation/fake_transport.h"
#include "http/manual_scheduler.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {
namespace {

struct FederationSenderTest : ::testing::Test {
  http::ManualScheduler scheduler;
  FakeTransport transport;
  core::SigningKey key = core::SigningKey::generate("k");
  FederationSender sender{"here.example", transport, scheduler, key};
  RoomState room = [] {
    RoomState room;
    room.rules = rooms::find_room_version("10");
    return room;
  }();

  // Exactly these users are joined.
  void join(const std::vector<std::string>& users) {
    for (const std::string& user : std::set<std::string>(room.joined)) room.set_membership(user, "leave");
    for (const std::string& user : users) room.set_membership(user, "join");
  }

  // A local event written to `room`, announced to the sender.
  void write(const std::string& sender_id, const std::string& type, std::optional<std::string> state_key = {},
             const std::string& membership = "") {
    BuiltEvent event;
    event.row.sender = sender_id;
    event.row.type = type;
    event.row.state_key = state_key;
    event.pdu = json::object{{"type", type}, {"sender", sender_id}, {"n", ++written}};
    if (!membership.empty()) event.pdu["content"] = json::object{{"membership", membership}};
    sender.on_written({room, event, {}, false});
  }
  int written = 0;
};

TEST_F(FederationSenderTest, LocalEventsGoToEveryOtherServerWithAJoinedMember) {
  join({"@a:here.example", "@b:there.example", "@c:there.example", "@d:third.example"});
  write("@a:here.example", "m.room.message");
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[0].request.destination, "there.example");
  EXPECT_EQ(transport.sent[1].request.destination, "third.example");
  const auto& request = transport.sent[0].request;
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.target.rfind("/_matrix/federation/v1/send/", 0), 0u);
  EXPECT_TRUE(request.sign);
  EXPECT_EQ(transport.body(0).at("origin"), "here.example");
  EXPECT_EQ(transport.body(0).at("pdus").as_array().size(), 1u);
  EXPECT_TRUE(transport.body(0).at("edus").as_array().empty());
}

TEST_F(FederationSenderTest, ItsOwnEventsLeaveSignedByThisServerOnceForEveryDestination) {
  // The store holds this server's events unsigned (rooms::finalize_local_event).
  join({"@a:here.example", "@b:there.example", "@d:third.example"});
  write("@a:here.example", "m.room.message");
  ASSERT_EQ(transport.sent.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const json::object& pdu = transport.body(i).at("pdus").as_array().at(0).as_object();
    EXPECT_TRUE(
        core::verify_json(rooms::redact(pdu, *room.rules), "here.example", key.key_id(), key.public_key_base64()));
  }
}

// Signing runs on the worker pool, one batch at a time: the events written while a batch is
// signed wait (at most kMaxQueuedPdus, the oldest go) and are signed next, and all leave in the
// order written.
TEST_F(FederationSenderTest, EventsLeaveInTheOrderWrittenOneSigningBatchAtATime) {
  struct Deferred final : http::Scheduler {
    void post(std::function<void()> fn) override { fn(); }
    std::unique_ptr<http::Timer> after(std::chrono::milliseconds, std::function<void()>) override { return nullptr; }
    void run_blocking(std::function<void()> work, std::function<void()> then) override {
      jobs.emplace_back(std::move(work), std::move(then));
    }
    void finish(std::size_t i) {
      jobs.at(i).first();
      jobs.at(i).second();
    }
    std::vector<std::pair<std::function<void()>, std::function<void()>>> jobs;
  } pool;
  FederationSender deferred{"here.example", transport, pool, key};
  join({"@a:here.example", "@b:there.example"});
  auto write_n = [&](int n) {
    BuiltEvent event;
    event.row.sender = "@a:here.example";
    event.row.type = "m.room.message";
    event.pdu = json::object{{"type", "m.room.message"}, {"sender", "@a:here.example"}, {"n", n}};
    deferred.on_written({room, event, {}, false});
  };
  const int last = static_cast<int>(FederationSender::kMaxQueuedPdus) + 2;
  for (int n = 1; n <= last; ++n) write_n(n);
  ASSERT_EQ(pool.jobs.size(), 1u);  // the first event's batch; the others wait for it
  EXPECT_TRUE(transport.sent.empty());
  pool.finish(0);
  ASSERT_EQ(transport.sent.size(), 1u);  // one transaction in flight: the first
  EXPECT_EQ(transport.body(0).at("pdus").as_array().at(0).at("n"), 1);
  ASSERT_EQ(pool.jobs.size(), 2u);  // the waiting ones, the oldest beyond the bound gone
  transport.answer(200);
  pool.finish(1);
  ASSERT_EQ(transport.sent.size(), 2u);
  const json::object& next = transport.body(1).at("pdus").as_array().at(0).as_object();
  EXPECT_EQ(next.at("n"), 3);  // event 2 was dropped: kMaxQueuedPdus + 1 waited
  EXPECT_TRUE(
      core::verify_json(rooms::redact(next, *room.rules), "here.example", key.key_id(), key.public_key_base64()));
  transport.answer(200);
  ASSERT_EQ(transport.sent.size(), 3u);
  const json::array& rest = transport.body(2).at("pdus").as_array();
  ASSERT_EQ(rest.size(), FederationSender::kMaxPdusPerTransaction);
  EXPECT_EQ(rest.at(0).at("n"), 4);
  EXPECT_EQ(rest.at(1).at("n"), 5);
}

TEST_F(FederationSenderTest, TheRoomsServerAclHoldsForOutgoingEventsAndEdus) {
  join({"@a:here.example", "@b:there.example", "@d:third.example"});
  auto acl = std::make_shared<const json::object>(
      json::object{{"type", "m.room.server_acl"},
                   {"content", json::object{{"allow", json::array{"*"}}, {"deny", json::array{"third.example"}}}}});
  room.state[{"m.room.server_acl", ""}] = StateEntry{"$acl", 1, acl};
  write("@a:here.example", "m.room.message");
  sender.send_room_edu(room, "m.typing", json::object{{"room_id", "!r:here.example"}});
  std::set<std::string> destinations;
  for (const auto& sent : transport.sent) destinations.insert(sent.request.destination);
  EXPECT_EQ(destinations, std::set<std::string>{"there.example"});
}

TEST_F(FederationSenderTest, RemoteEventsAndLocalOnlyRoomsSendNothing) {
  join({"@a:here.example", "@b:there.example"});
  write("@b:there.example", "m.room.message");  // received from there, not ours to relay
  join({"@a:here.example"});
  write("@a:here.example", "m.room.message");
  EXPECT_TRUE(transport.sent.empty());
}

TEST_F(FederationSenderTest, JoinedServersCountTheMembersOfEachServer) {
  room.set_membership("@b:there.example", "join");
  room.set_membership("@c:there.example", "join");
  room.set_membership("@b:there.example", "leave");
  EXPECT_EQ(room.joined_servers, (std::map<std::string, std::size_t, std::less<>>{{"there.example", 1}}));
  room.set_membership("@c:there.example", "ban");
  EXPECT_TRUE(room.joined_servers.empty());
}

TEST_F(FederationSenderTest, AKickedUsersServerHearsOfItAnInviteesDoesNotAgain) {
  join({"@a:here.example"});
  write("@a:here.example", "m.room.member", "@b:there.example", "invite");  // it went through /invite
  EXPECT_TRUE(transport.sent.empty());
  write("@a:here.example", "m.room.member", "@b:there.example", "leave");
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].request.destination, "there.example");
}

TEST_F(FederationSenderTest, OneTransactionInFlightThenTheRestTogether) {
  join({"@a:here.example", "@b:there.example"});
  write("@a:here.example", "m.room.message");
  write("@a:here.example", "m.room.message");
  write("@a:here.example", "m.room.message");
  ASSERT_EQ(transport.sent.size(), 1u);
  transport.answer(200);
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.body(1).at("pdus").as_array().size(), 2u);
  EXPECT_NE(transport.sent[0].request.target, transport.sent[1].request.target);
  transport.answer(200);
  EXPECT_EQ(sender.queued("there.example"), 0u);
}

TEST_F(FederationSenderTest, AFailedTransactionIsRetriedWithTheSameIdAfterABackoff) {
  join({"@a:here.example", "@b:there.example"});
  write("@a:here.example", "m.room.message");
  transport.answer(0);  // unreachable
  ASSERT_EQ(scheduler.timers.size(), 1u);
  write("@a:here.example", "m.room.message");  // waits with the retry
  EXPECT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(scheduler.fire(), std::chrono::seconds(1));
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].request.target, transport.sent[0].request.target);
  EXPECT_EQ(transport.body(1).at("pdus").as_array().size(), 1u);  // the same contents
  transport.answer(503);
  EXPECT_EQ(scheduler.fire(), std::chrono::seconds(2));
  ASSERT_EQ(transport.sent.size(), 3u);
  transport.answer(200);
  ASSERT_EQ(transport.sent.size(), 4u);  // then the one that waited, in a new transaction
  EXPECT_NE(transport.sent[3].request.target, transport.sent[0].request.target);
  EXPECT_EQ(transport.body(3).at("pdus").as_array()[0].at("n"), 2);
}

TEST_F(FederationSenderTest, ARefusedTransactionIsDropped) {
  join({"@a:here.example", "@b:there.example"});
  write("@a:here.example", "m.room.message");
  transport.answer(400);
  EXPECT_TRUE(scheduler.timers.empty());
  EXPECT_EQ(sender.queued("there.example"), 0u);
}

TEST_F(FederationSenderTest, HearingFromADestinationRetriesAtOnce) {
  join({"@a:here.example", "@b:there.example"});
  write("@a:here.example", "m.room.message");
  transport.answer(0);
  transport.sent.clear();
  transport.answered = 0;
  sender.heard_from("elsewhere.example");
  EXPECT_TRUE(transport.sent.empty());
  sender.heard_from("there.example");
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_TRUE(scheduler.timers.empty());  // the pending retry is gone
}

TEST_F(FederationSenderTest, TransactionsAndQueuesAreBounded) {
  join({"@a:here.example", "@b:there.example"});
  write("@a:here.example", "m.room.message");  // in flight
  for (std::size_t i = 0; i < FederationSender::kMaxQueuedPdus + 10; ++i) write("@a:here.example", "m.room.message");
  EXPECT_EQ(sender.queued("there.example"), FederationSender::kMaxQueuedPdus);
  transport.answer(200);
  ASSERT_EQ(transport.sent.size(), 2u);
  const auto& pdus = transport.body(1).at("pdus").as_array();
  EXPECT_EQ(pdus.size(), FederationSender::kMaxPdusPerTransaction);
  EXPECT_EQ(pdus[0].at("n"), 13);  // 1,011 written, 1,000 kept: the one in flight and the newest
}

TEST(FederationSenderBackoff, DoublesUpToTheBound) {
  EXPECT_EQ(FederationSender::backoff(1), std::chrono::seconds(1));
  EXPECT_EQ(FederationSender::backoff(3), std::chrono::seconds(4));
  EXPECT_EQ(FederationSender::backoff(7), std::chrono::seconds(60));
  EXPECT_EQ(FederationSender::backoff(1000), std::chrono::seconds(60));
}

}  // namespace
}  // namespace myelin::homeserver
