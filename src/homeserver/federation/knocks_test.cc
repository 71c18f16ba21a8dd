// Knocks across servers, over two in-process servers: a.example is resident in a knockable
// room of @alice, b.example's @bob knocks through the room service as homeserver.h wires it;
// the knock is accepted by an invite, retracted by a leave, or refused by a kick. Also the
// deprecated v1 /invite and another server's room directory.
#include <gtest/gtest.h>

#include "homeserver/federation/fake_transport.h"
#include "homeserver/federation/join_test_support.h"
#include "homeserver/federation/pdu_intake.h"
#include "homeserver/federation/remote_directory.h"
#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/room_directory.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {
namespace {

using testing::id;
using testing::TestServer;

struct KnocksTest : testing::TwoServersTest {
  KnocksTest() : TwoServersTest("knock", {"@bob:b.example"}) {}

  core::Result<std::string> knock(const std::string& room, std::vector<std::string> via = {"a.example"}) {
    std::optional<core::Result<std::string>> result;
    b_members.service.knock_room(id<core::UserId>("@bob:b.example"), room, std::move(via), "let me in",
                                 [&result](core::Result<std::string> r) { result = std::move(r); });
    return result ? *result : core::fail(core::Errc::kInternal, "no answer");
  }
  core::Status leave() { return TwoServersTest::leave("@bob:b.example", ""); }
  std::string membership(TestServer& server) { return TwoServersTest::membership(server, "@bob:b.example"); }
  // A knock of @bob on a's template for `room`, signed by b.
  std::pair<json::object, std::string> signed_knock(const std::string& room, const std::string& membership = "knock") {
    auto made = a.joins.make_knock("b.example", room, "@bob:b.example", {"10"});
    EXPECT_TRUE(made) << made.error().message;
    json::object pdu = made->at("event").as_object();
    pdu["content"].as_object()["membership"] = membership;
    std::string event_id = rooms::finalize_local_event(pdu, *rooms::find_room_version("10"), "b.example", b.key);
    return {std::move(pdu), std::move(event_id)};
  }
  core::Result<json::object> send_knock(const std::string& origin, const std::string& event_id, json::object pdu) {
    std::optional<core::Result<json::object>> result;
    a.joins.send_knock(origin, room_id, event_id, std::move(pdu),
                       [&result](core::Result<json::object> r) { result = std::move(r); });
    return result ? *result : core::fail(core::Errc::kInternal, "no answer");
  }
};

TEST_F(KnocksTest, MakeKnockNeedsAKnockableRoomOfAKnockingVersion) {
  auto made = a.joins.make_knock("b.example", room_id, "@bob:b.example", {"1", "10"});
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->at("room_version").as_string(), "10");
  EXPECT_EQ(made->at("event").at("content").at("membership").as_string(), "knock");
  EXPECT_EQ(made->at("event").at("state_key").as_string(), "@bob:b.example");
  // The room's version not offered: M_INCOMPATIBLE_ROOM_VERSION naming it (no ver: "1" only).
  auto incompatible = a.joins.make_knock("b.example", room_id, "@bob:b.example", {"9"});
  ASSERT_FALSE(incompatible);
  EXPECT_EQ(incompatible.error().errcode, "M_INCOMPATIBLE_ROOM_VERSION");
  EXPECT_EQ(incompatible.error().extra.at("room_version").as_string(), "10");
  EXPECT_EQ(a.joins.make_knock("b.example", room_id, "@bob:b.example", {}).error().errcode,
            "M_INCOMPATIBLE_ROOM_VERSION");
  // A version without knocks, offered or not.
  const std::string old = a.create_room("@alice:a.example", "6", "public");
  EXPECT_EQ(a.joins.make_knock("b.example", old, "@bob:b.example", {"6"}).error().errcode,
            "M_INCOMPATIBLE_ROOM_VERSION");
  // Join rules other than knock: the auth rules refuse.
  const std::string open = a.create_room("@alice:a.example", "10", "public");
  EXPECT_EQ(a.joins.make_knock("b.example", open, "@bob:b.example", {"10"}).error().errcode, "M_FORBIDDEN");
  const std::string invite_only = a.create_room("@alice:a.example", "10", "invite");
  EXPECT_EQ(a.joins.make_knock("b.example", invite_only, "@bob:b.example", {"10"}).error().errcode, "M_FORBIDDEN");
  // knock_restricted (v10) takes knocks too.
  const std::string restricted = a.create_room("@alice:a.example", "10", "knock_restricted", open);
  EXPECT_TRUE(a.joins.make_knock("b.example", restricted, "@bob:b.example", {"10"}));
  // Only for the origin's users, only for rooms we are in.
  EXPECT_EQ(a.joins.make_knock("c.example", room_id, "@bob:b.example", {"10"}).error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(a.joins.make_knock("b.example", "!nowhere:a.example", "@bob:b.example", {"10"}).error().errcode,
            "M_NOT_FOUND");
}

TEST_F(KnocksTest, SendKnockChecksTheKnockAndAnswersTheRoomState) {
  auto [pdu, event_id] = signed_knock(room_id);
  EXPECT_EQ(send_knock("c.example", event_id, pdu).error().errcode, "M_FORBIDDEN");  // c.example did not sign it
  EXPECT_EQ(send_knock("b.example", "$other", pdu).error().errcode, "M_INVALID_PARAM");
  auto [join, join_id] = signed_knock(room_id, "join");
  EXPECT_EQ(send_knock("b.example", join_id, join).error().errcode, "M_INVALID_PARAM");
  json::object forged = pdu;
  forged["signatures"] = json::object{{"b.example", json::object{{"ed25519:k", a.key.sign("x")}}}};
  EXPECT_EQ(send_knock("b.example", event_id, forged).error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(membership(a), "");

  auto answer = send_knock("b.example", event_id, pdu);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(membership(a), "knock");
  // The stripped state's events as PDUs, the create event first.
  const json::array& state = answer->at("knock_room_state").as_array();
  ASSERT_FALSE(state.empty());
  EXPECT_EQ(state.front().at("type").as_string(), "m.room.create");
  EXPECT_TRUE(state.front().as_object().contains("signatures"));
  EXPECT_EQ(state.size(), stripped_room_state(*a.path.rooms.room(room_id), {}).size());
  // A retry is answered again, with nothing written twice.
  const auto extremities = a.store->forward_extremities(room_id);
  EXPECT_TRUE(send_knock("b.example", event_id, pdu));
  EXPECT_EQ(a.store->forward_extremities(room_id).size(), extremities.size());
}

TEST_F(KnocksTest, AKnockCrossesAndAnInviteAcceptsIt) {
  auto knocked = knock(room_id);
  ASSERT_TRUE(knocked) << knocked.error().message;
  EXPECT_EQ(*knocked, room_id);
  EXPECT_EQ(membership(a), "knock");
  EXPECT_EQ(a.path.rooms.room(room_id)->content("m.room.member", "@bob:b.example")->at("reason"), "let me in");
  EXPECT_NE(b.transport.sent.at(0).find("GET /_matrix/federation/v1/make_knock/"), std::string::npos);
  EXPECT_NE(b.transport.sent.at(0).find("ver=10"), std::string::npos);
  EXPECT_NE(b.transport.sent.at(1).find("PUT /_matrix/federation/v1/send_knock/"), std::string::npos);
  // b knows the room only through the knock, with the state a answered (stripped).
  auto room = b.path.rooms.room(room_id);
  ASSERT_TRUE(room);
  EXPECT_EQ(room->membership("@bob:b.example"), "knock");
  EXPECT_FALSE(room->pdu("m.room.create", ""));
  const json::object* own = room->pdu("m.room.member", "@bob:b.example");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->at("unsigned").at("knocked_through").as_string(), "a.example");
  bool named = false;
  for (const auto& event : own->at("unsigned").at("knock_room_state").as_array()) {
    named = named || (event.at("type") == "m.room.name" && event.at("content").at("name") == "Test room");
    EXPECT_FALSE(event.as_object().contains("signatures"));
  }
  EXPECT_TRUE(named);
  auto memberships = b.store->user_memberships("@bob:b.example");
  ASSERT_EQ(memberships.size(), 1u);
  EXPECT_EQ(memberships[0].membership, "knock");

  // Alice accepts: an invite over /invite, then bob joins through a.
  std::optional<core::Result<std::string>> invited;
  a_members.service.invite_any(id<core::UserId>("@alice:a.example"), id<core::RoomId>(room_id), "@bob:b.example", "",
                               [&invited](core::Result<std::string> r) { invited = std::move(r); });
  ASSERT_TRUE(invited && *invited) << (invited ? invited->error().message : "no answer");
  EXPECT_EQ(membership(b), "invite");
  std::optional<core::Result<std::string>> joined;
  b_members.service.join_room(id<core::UserId>("@bob:b.example"), false, room_id, {}, "",
                              [&joined](core::Result<std::string> r) { joined = std::move(r); });
  ASSERT_TRUE(joined && *joined) << (joined ? joined->error().message : "no answer");
  EXPECT_EQ(membership(a), "join");
  EXPECT_EQ(membership(b), "join");
}

TEST_F(KnocksTest, AKnockIsRetractedThroughTheServerThatTookIt) {
  ASSERT_TRUE(knock(room_id));
  ASSERT_TRUE(leave());
  EXPECT_EQ(membership(a), "leave");
  EXPECT_EQ(membership(b), "leave");
  EXPECT_NE(b.transport.sent.back().find("a.example PUT /_matrix/federation/v2/send_leave/"), std::string::npos);
  // Retracted while a is unreachable: dropped here all the same.
  ASSERT_TRUE(knock(room_id));
  servers.erase("a.example");
  ASSERT_TRUE(leave());
  EXPECT_EQ(membership(b), "leave");
}

TEST_F(KnocksTest, RefusedKnocksAndNoServerToAsk) {
  const std::string open = a.create_room("@alice:a.example", "10", "public");
  auto refused = knock(open);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode, "M_FORBIDDEN");
  EXPECT_FALSE(b.path.rooms.room(open));
  auto unreachable = knock("!r:down.example", {"down.example"});
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().http_status, 502);
  EXPECT_EQ(knock("!" + std::string(43, 'A'), {"b.example"}).error().errcode, "M_NOT_FOUND");
}

TEST_F(KnocksTest, AKickOfTheKnockReachesTheKnockingServer) {
  ASSERT_TRUE(knock(room_id));
  PduIntake intake{"b.example", *b.store, *b.store, b.path.rooms, b.path.write_path, keys, b.transport};
  auto receive = [&](const json::object& pdu) {
    std::optional<PduOutcome> outcome;
    intake.receive("a.example", pdu, [&outcome](PduOutcome o) { outcome = std::move(o); });
    return outcome ? outcome->error : "no answer";
  };
  auto event_of = [&](const std::string& event_id) {
    return a.as_sent(*core::parse_json_object(a.store->event(event_id)->json), room_id);
  };
  // Something else of the room, which b is not in: ignored.
  auto message = a.path.timeline.send(id<core::RoomId>(room_id),
                                      {"@alice:a.example", "m.room.message", std::nullopt, {{"body", "hi"}}, {}});
  ASSERT_TRUE(message);
  EXPECT_EQ(receive(event_of(message->event_id)), "This server is not in the room");
  // The refusal, changed on the way: dropped.
  auto kicked = a_members.service.kick(id<core::UserId>("@alice:a.example"), id<core::RoomId>(room_id),
                                       "@bob:b.example", "not now");
  ASSERT_TRUE(kicked) << kicked.error().message;
  json::object changed = event_of(*kicked);
  changed["content"].as_object()["reason"] = "changed";
  EXPECT_NE(receive(changed), "");
  EXPECT_EQ(membership(b), "knock");
  // The refusal as a sent it: bob sees it.
  EXPECT_EQ(receive(event_of(*kicked)), "");
  EXPECT_EQ(membership(b), "leave");
}

TEST_F(KnocksTest, AV1InviteIsOfARoomOfVersion1Or2) {
  const std::string old = a.create_room("@alice:a.example", "1", "invite");
  auto room = a.path.rooms.room(old);
  auto built = a.path.builder.build(
      *room, {"@alice:a.example", "m.room.member", "@bob:b.example", {{"membership", "invite"}}, {}});
  ASSERT_TRUE(built);
  json::object pdu = a.as_sent(built->pdu, old);
  pdu["unsigned"] = json::object{{"invite_room_state", stripped_room_state(*room, {"@alice:a.example"})}};
  std::optional<core::Result<json::object>> answer;
  b.invites.receive_v1("a.example", old, built->row.event_id, pdu,
                       [&answer](core::Result<json::object> r) { answer = std::move(r); });
  ASSERT_TRUE(answer && *answer) << (answer ? answer->error().message : "no answer");
  EXPECT_TRUE((*answer)->at("event").at("signatures").as_object().contains("b.example"));
  auto known = b.path.rooms.room(old);
  ASSERT_TRUE(known);
  EXPECT_EQ(known->membership("@bob:b.example"), "invite");
  EXPECT_EQ(known->rules->id, "1");
  // A v10 room's invite is no v1 event.
  auto newer =
      a.path.builder.build(*a.path.rooms.room(room_id),
                           {"@alice:a.example", "m.room.member", "@bob:b.example", {{"membership", "invite"}}, {}});
  ASSERT_TRUE(newer);
  answer.reset();
  b.invites.receive_v1("a.example", room_id, newer->row.event_id, a.as_sent(newer->pdu, room_id),
                       [&answer](core::Result<json::object> r) { answer = std::move(r); });
  ASSERT_TRUE(answer);
  EXPECT_FALSE(*answer);
}

TEST(RemoteDirectoryTest, AskedOfTheServerAndBounded) {
  FederationOptions options;
  options.enabled = true;
  FakeTransport transport;
  RemoteDirectory directory(options, transport);
  std::optional<core::Result<json::object>> answer;
  auto ask = [&](const std::string& server, json::object request) {
    answer.reset();
    directory.public_rooms(server, std::move(request),
                           [&answer](core::Result<json::object> r) { answer = std::move(r); });
  };
  ask("a.example", {{"limit", 2}, {"since", "their-token"}});
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].request.method, "POST");
  EXPECT_EQ(transport.sent[0].request.target, "/_matrix/federation/v1/publicRooms");
  EXPECT_EQ(transport.body(0).at("since").as_string(), "their-token");
  transport.answer(200, R"({"chunk":[{"room_id":"!a:a.example"},7,{"room_id":"bad"},{"room_id":"!b:a.example"},)"
                        R"({"room_id":"!c:a.example"}],"next_batch":"n","total_room_count_estimate":3,"x":1})");
  ASSERT_TRUE(answer && *answer);
  EXPECT_EQ((*answer)->at("chunk").as_array().size(), 2u);
  EXPECT_EQ((*answer)->at("next_batch").as_string(), "n");
  EXPECT_FALSE((*answer)->contains("x"));
  // No limit asked: ours, at most.
  ask("a.example", {});
  EXPECT_EQ(transport.body(1).at("limit").as_int64(), DirectoryQuery::kMaxLimit);
  transport.answer(403, R"({"errcode":"M_FORBIDDEN","error":"not shared"})");
  EXPECT_EQ(answer->error().errcode, "M_FORBIDDEN");
  ask("a.example", {});
  transport.answer(200, R"({"rooms":[]})");
  EXPECT_EQ(answer->error().http_status, 502);
  ask("not a server", {});
  EXPECT_EQ(answer->error().errcode, "M_INVALID_PARAM");
  options.enabled = false;
  ask("a.example", {});
  EXPECT_EQ(answer->error().errcode, "M_FORBIDDEN");
}

}  // namespace
}  // namespace myelin::homeserver
