// Invites across servers and their rejection, over two in-process servers, through the room
// service as homeserver.h wires it: a's user invites b's, b shows the invite with the state a
// sent, the invitee joins through a, or rejects (through a, or locally when a is unreachable).
#include "homeserver/federation/invites.h"

#include <gtest/gtest.h>

#include "homeserver/federation/join_test_support.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {
namespace {

using testing::id;

struct InvitesTest : testing::TwoServersTest {
  InvitesTest() : TwoServersTest("invite", {"@bob:b.example", "@carol:b.example"}) {}

  core::Result<std::string> invite(const std::string& target) {
    std::optional<core::Result<std::string>> result;
    a_members.service.invite_any(id<core::UserId>("@alice:a.example"), id<core::RoomId>(room_id), target, "",
                                 [&result](core::Result<std::string> r) { result = std::move(r); });
    return result ? *result : core::fail(core::Errc::kInternal, "no answer");
  }
  core::Status leave(const std::string& user) { return TwoServersTest::leave(user, "no thanks"); }
};

TEST_F(InvitesTest, AnInviteCrossesAndTheInviteeJoinsThroughTheInviter) {
  auto invited = invite("@bob:b.example");
  ASSERT_TRUE(invited) << invited.error().message;
  EXPECT_EQ(membership(a, "@bob:b.example"), "invite");
  // a's copy carries b's signature.
  auto stored = a.store->event(*invited);
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->json.find("\"b.example\""), std::string::npos);
  // b knows the room only through the invite, with the stripped state a sent.
  auto room = b.path.rooms.room(room_id);
  ASSERT_TRUE(room);
  EXPECT_EQ(room->membership("@bob:b.example"), "invite");
  EXPECT_FALSE(room->pdu("m.room.create", ""));
  const json::object* own = room->pdu("m.room.member", "@bob:b.example");
  ASSERT_TRUE(own);
  const json::array& state = own->at("unsigned").at("invite_room_state").as_array();
  bool named = false;
  for (const auto& event : state)
    named = named || (event.at("type") == "m.room.name" && event.at("content").at("name") == "Test room");
  EXPECT_TRUE(named);
  auto memberships = b.store->user_memberships("@bob:b.example");
  ASSERT_EQ(memberships.size(), 1u);
  EXPECT_EQ(memberships[0].membership, "invite");

  // The join goes through a (no via given).
  std::optional<core::Result<std::string>> joined;
  b_members.service.join_room(id<core::UserId>("@bob:b.example"), false, room_id, {}, "",
                              [&joined](core::Result<std::string> r) { joined = std::move(r); });
  ASSERT_TRUE(joined && *joined) << (joined ? joined->error().message : "no answer");
  EXPECT_EQ(membership(a, "@bob:b.example"), "join");
  EXPECT_EQ(membership(b, "@bob:b.example"), "join");
  EXPECT_TRUE(b.path.rooms.room(room_id)->pdu("m.room.create", ""));
  // The invite is no forward extremity of b's any more.
  for (const auto& extremity : b.store->forward_extremities(room_id)) EXPECT_NE(extremity.event_id, *invited);
}

TEST_F(InvitesTest, ARejectionGoesThroughTheInviter) {
  ASSERT_TRUE(invite("@carol:b.example"));
  ASSERT_TRUE(leave("@carol:b.example"));
  EXPECT_EQ(membership(a, "@carol:b.example"), "leave");
  EXPECT_EQ(membership(b, "@carol:b.example"), "leave");
  EXPECT_NE(b.transport.sent.back().find("PUT /_matrix/federation/v2/send_leave/"), std::string::npos);
  // Nothing more to do.
  EXPECT_TRUE(leave("@carol:b.example"));
}

TEST_F(InvitesTest, RejectingAnInviteFromAnUnreachableServerStillWorks) {
  ASSERT_TRUE(invite("@carol:b.example"));
  servers.erase("a.example");
  ASSERT_TRUE(leave("@carol:b.example"));
  EXPECT_EQ(membership(b, "@carol:b.example"), "leave");
  EXPECT_EQ(membership(a, "@carol:b.example"), "invite");
}

TEST_F(InvitesTest, RefusalsReachTheInviter) {
  EXPECT_EQ(invite("@nobody:b.example").error().errcode, "M_INVALID_PARAM");
  auto down = invite("@dave:down.example");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().http_status, 502);
  EXPECT_EQ(membership(a, "@dave:down.example"), "");
}

TEST_F(InvitesTest, TheInviteEventIsChecked) {
  // An invite a built for bob, offered to b in ways it must refuse.
  auto room = a.path.rooms.room(room_id);
  auto built = a.path.builder.build(
      *room, {"@alice:a.example", "m.room.member", "@bob:b.example", {{"membership", "invite"}}, {}});
  ASSERT_TRUE(built);
  built->pdu = a.as_sent(built->pdu, room_id);
  const std::string event_id = built->row.event_id;
  auto offer = [&](const std::string& origin, const std::string& version, const std::string& id,
                   const json::object& pdu) {
    std::optional<core::Result<json::object>> result;
    b.invites.receive(origin, room_id, id, {{"room_version", version}, {"event", pdu}, {"invite_room_state", 7}},
                      [&result](core::Result<json::object> r) { result = std::move(r); });
    return *result;
  };
  EXPECT_EQ(offer("a.example", "999", event_id, built->pdu).error().errcode, "M_INCOMPATIBLE_ROOM_VERSION");
  EXPECT_EQ(offer("a.example", "10", "$other", built->pdu).error().errcode, "M_INVALID_PARAM");
  EXPECT_EQ(offer("c.example", "10", event_id, built->pdu).error().errcode, "M_INVALID_PARAM");
  json::object tampered = built->pdu;
  tampered["origin_server_ts"] = 5;  // the signature no longer verifies (nor does the ID)
  EXPECT_FALSE(offer("a.example", "10", rooms::event_id_of(tampered, *room->rules), tampered));
  json::object bad = built->pdu;
  bad.erase("depth");
  EXPECT_EQ(offer("a.example", "10", event_id, bad).error().errcode, "M_BAD_JSON");
  // A sound one, with an invite_room_state that is no list, is accepted and countersigned.
  auto accepted = offer("a.example", "10", event_id, built->pdu);
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_TRUE(accepted->at("event").at("signatures").as_object().contains("b.example"));
  EXPECT_EQ(membership(b, "@bob:b.example"), "invite");
}

}  // namespace
}  // namespace myelin::homeserver
