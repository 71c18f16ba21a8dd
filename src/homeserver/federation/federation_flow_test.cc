// Two in-process servers: a remote join, then each side's events reach the other through its
// FederationSender (subscribed to its write path) and the other's Receiver.
#include <gtest/gtest.h>

#include "homeserver/federation/join_test_support.h"
#include "homeserver/federation/receiver.h"
#include "homeserver/federation/sender.h"

namespace myelin::homeserver {
namespace {

using testing::id;

// What a server adds to TestServer to take part in a room: the sender of its events and the
// receiver of the others'.
struct Federated {
  Federated(testing::TestServer& server, testing::FakeKeyFetcher& keys)
      : intake(server.options.server_name, *server.store, *server.store, server.path.rooms, server.path.write_path,
               keys, server.transport),
        receiver(intake, {[](const core::UserId&, const core::RoomId&, bool) {},
                          [](const core::UserId&, const core::RoomId&, const core::EventId&, const std::string&) {},
                          [](const std::string&, const json::object&) {}, [](const std::string&, const std::string&) {},
                          [](const std::string&, const json::object&) {}}),
        sender(server.options.server_name, server.transport, scheduler, server.key) {
    server.receiver = &receiver;
    server.path.write_path.subscribe([this](const Written& written) { sender.on_written(written); });
  }
  http::InlineScheduler scheduler;
  PduIntake intake;
  Receiver receiver;
  FederationSender sender;
};

struct FederationFlowTest : ::testing::Test {
  std::map<std::string, testing::TestServer*> servers;
  testing::FakeKeyFetcher keys;
  testing::TestServer a{"a.example", servers, keys};
  testing::TestServer b{"b.example", servers, keys};
  Federated a_federated{a, keys};
  Federated b_federated{b, keys};

  static std::string send(testing::TestServer& server, const std::string& room, const std::string& sender,
                          const std::string& body) {
    auto sent = server.path.timeline.send(id<core::RoomId>(room),
                                          {sender, "m.room.message", std::nullopt, {{"body", body}}, {}});
    EXPECT_TRUE(sent) << sent.error().message;
    return sent ? sent->event_id : "";
  }
  static bool in_timeline(testing::TestServer& server, const std::string& event_id) {
    auto event = server.store->event(event_id);
    return event && event->pos != 0;
  }
};

TEST_F(FederationFlowTest, EventsReachTheOtherServerBothWaysAfterARemoteJoin) {
  const std::string room = a.create_room("@alice:a.example", "10");
  ASSERT_TRUE(b.remote_join("@bob:b.example", room, {"a.example"}));
  EXPECT_EQ(a.path.rooms.room(room)->joined_servers.size(), 2u);

  const std::string hello = send(a, room, "@alice:a.example", "hello bob");
  EXPECT_TRUE(in_timeline(b, hello));
  const std::string reply = send(b, room, "@bob:b.example", "hello alice");
  EXPECT_TRUE(in_timeline(a, reply));
  // Both sides agree on where the room is.
  ASSERT_EQ(a.path.rooms.room(room)->extremities.size(), 1u);
  EXPECT_EQ(a.path.rooms.room(room)->extremities[0].event_id, reply);
  EXPECT_EQ(b.path.rooms.room(room)->extremities[0].event_id, reply);
  // Nothing waits in either sender's queues.
  EXPECT_EQ(a_federated.sender.queued("b.example"), 0u);
  EXPECT_EQ(b_federated.sender.queued("a.example"), 0u);
}

}  // namespace
}  // namespace myelin::homeserver
