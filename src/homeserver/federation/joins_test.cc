// Both sides of the remote join handshake over two in-process servers: a.example (where
// @alice joins from) and b.example (resident, where @bob made the room).
#include "homeserver/federation/joins.h"

#include <gtest/gtest.h>

#include "homeserver/federation/join_test_support.h"
#include "homeserver/federation/remote_joins.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {
namespace {

using testing::FakeKeyFetcher;
using testing::TestServer;

struct JoinsTest : ::testing::TestWithParam<std::string> {
  std::map<std::string, TestServer*> servers;
  FakeKeyFetcher keys;
  TestServer a{"a.example", servers, keys};
  TestServer b{"b.example", servers, keys};

  // A join of `user` on b's template (with `extra` content), signed by `signer`: what
  // a.example would send.
  std::pair<json::object, std::string> signed_join(const std::string& room_id, const std::string& user,
                                                   const core::SigningKey& signer, const std::string& server,
                                                   const json::object& extra = {}) {
    auto made = b.joins.make_join(server, room_id, user, {GetParam()});
    EXPECT_TRUE(made) << made.error().message;
    json::object pdu = made->at("event").as_object();
    for (const auto& [key, value] : extra) pdu["content"].as_object()[key] = value;
    const auto& rules = *rooms::find_room_version(GetParam());
    std::string id = rooms::finalize_local_event(pdu, rules, server, signer);
    return {std::move(pdu), std::move(id)};
  }

  core::Result<json::object> send_join(const std::string& origin, const std::string& room_id, const std::string& id,
                                       json::object pdu, bool omit_members = false) {
    std::optional<core::Result<json::object>> result;
    b.joins.send_join(origin, room_id, id, std::move(pdu), omit_members,
                      [&result](core::Result<json::object> r) { result = std::move(r); });
    return result ? *result : core::fail(core::Errc::kInternal, "no answer");
  }
};

TEST_P(JoinsTest, MakeJoinGivesATemplateOnTheCurrentState) {
  const std::string room_id = b.create_room("@bob:b.example", GetParam());
  auto made = b.joins.make_join("a.example", room_id, "@alice:a.example", {"1", GetParam()});
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->at("room_version").as_string(), GetParam());
  const json::object& event = made->at("event").as_object();
  EXPECT_EQ(event.at("type").as_string(), "m.room.member");
  EXPECT_EQ(event.at("state_key").as_string(), "@alice:a.example");
  EXPECT_EQ(event.at("sender").as_string(), "@alice:a.example");
  EXPECT_EQ(event.at("room_id").as_string(), room_id);
  EXPECT_EQ(event.at("content").as_object().at("membership").as_string(), "join");
  const auto room = b.path.rooms.room(room_id);
  EXPECT_EQ(event.at("depth").as_int64(), room->extremities.front().depth + 1);
  EXPECT_EQ(event.at("prev_events").as_array().size(), 1u);
  EXPECT_FALSE(event.at("auth_events").as_array().empty());
}

TEST_P(JoinsTest, MakeJoinRefusals) {
  const std::string room_id = b.create_room("@bob:b.example", GetParam());
  // A user of another server than the one asking.
  EXPECT_EQ(b.joins.make_join("c.example", room_id, "@alice:a.example", {GetParam()}).error().errcode, "M_FORBIDDEN");
  // A version the joining server does not support; none named means only "1".
  auto incompatible = b.joins.make_join("a.example", room_id, "@alice:a.example", {"2"});
  ASSERT_FALSE(incompatible);
  EXPECT_EQ(incompatible.error().errcode, "M_INCOMPATIBLE_ROOM_VERSION");
  EXPECT_EQ(incompatible.error().extra.at("room_version").as_string(), GetParam());
  EXPECT_EQ(b.joins.make_join("a.example", room_id, "@alice:a.example", {}).has_value(), GetParam() == "1");
  // A room b is not in.
  EXPECT_EQ(b.joins.make_join("a.example", "!nowhere:b.example", "@alice:a.example", {GetParam()}).error().errcode,
            "M_NOT_FOUND");
  // A server the room's ACL denies.
  ASSERT_TRUE(b.path.timeline.send(*core::RoomId::parse(room_id),
                                   {"@bob:b.example",
                                    "m.room.server_acl",
                                    "",
                                    {{"allow", json::array{"*"}}, {"deny", json::array{"a.example"}}},
                                    {}}));
  EXPECT_EQ(b.joins.make_join("a.example", room_id, "@alice:a.example", {GetParam()}).error().errcode, "M_FORBIDDEN");
  // An invite-only room: the auth rules refuse.
  const std::string closed = b.create_room("@bob:b.example", GetParam(), "invite");
  EXPECT_EQ(b.joins.make_join("a.example", closed, "@alice:a.example", {GetParam()}).error().errcode, "M_FORBIDDEN");
}

TEST_P(JoinsTest, SendJoinCountersignsWritesAndAnswersTheState) {
  const std::string room_id = b.create_room("@bob:b.example", GetParam());
  auto [pdu, id] = signed_join(room_id, "@alice:a.example", a.key, "a.example");
  auto answer = send_join("a.example", room_id, id, pdu);
  ASSERT_TRUE(answer) << answer.error().message;
  const auto& rules = *rooms::find_room_version(GetParam());
  // The state before the join: create, bob, power levels, join rules, history, name.
  EXPECT_EQ(answer->at("state").as_array().size(), 6u);
  EXPECT_FALSE(answer->at("auth_chain").as_array().empty());
  EXPECT_EQ(answer->at("members_omitted").as_bool(), false);
  EXPECT_EQ(answer->at("servers_in_room").as_array(), (json::array{"b.example"}));
  const json::object& event = answer->at("event").as_object();
  EXPECT_EQ(rooms::event_id_of(event, rules), id);
  EXPECT_TRUE(event.at("signatures").as_object().contains("b.example"));
  EXPECT_TRUE(event.at("signatures").as_object().contains("a.example"));
  // Written like a local event: the room has alice joined, the store the countersigned join.
  EXPECT_TRUE(b.path.rooms.room(room_id)->joined.contains("@alice:a.example"));
  auto stored = b.store->event(id);
  ASSERT_TRUE(stored);
  EXPECT_GT(stored->pos, 0);
  // A retry is answered the same, with no second write.
  auto again = send_join("a.example", room_id, id, pdu);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->at("state").as_array().size(), 6u);
  EXPECT_EQ(b.store->forward_extremities(room_id).front().event_id, id);
}

TEST_P(JoinsTest, SendJoinOmitsMembersWhenAsked) {
  const std::string room_id = b.create_room("@bob:b.example", GetParam());
  auto [pdu, id] = signed_join(room_id, "@alice:a.example", a.key, "a.example");
  auto answer = send_join("a.example", room_id, id, pdu, true);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->at("members_omitted").as_bool(), true);
  for (const auto& event : answer->at("state").as_array())
    EXPECT_NE(event.as_object().at("type").as_string(), "m.room.member");  // the room has a name: no heroes
  // Bob's join authorises the power levels: it comes in the auth chain instead.
  bool bob_in_chain = false;
  for (const auto& event : answer->at("auth_chain").as_array())
    bob_in_chain = bob_in_chain || event.as_object().at("type").as_string() == "m.room.member";
  EXPECT_TRUE(bob_in_chain);
}

TEST_P(JoinsTest, SendJoinRefusals) {
  const std::string room_id = b.create_room("@bob:b.example", GetParam());
  auto [pdu, id] = signed_join(room_id, "@alice:a.example", a.key, "a.example");
  // From another server than the user's: the sending server has not signed it.
  EXPECT_EQ(send_join("c.example", room_id, id, pdu).error().errcode, "M_FORBIDDEN");
  // Another event ID than the event's.
  EXPECT_EQ(send_join("a.example", room_id, "$other", pdu).error().errcode, "M_INVALID_PARAM");
  // Changed after signing: the hash (and the ID) no longer match.
  json::object changed = pdu;
  changed["content"].as_object()["displayname"] = "Mallory";
  EXPECT_EQ(send_join("a.example", room_id, id, changed).error().errcode, "M_INVALID_PARAM");
  // Signed by a key a.example does not have.
  const auto stranger = core::SigningKey::generate("k");
  auto [forged, forged_id] = signed_join(room_id, "@alice:a.example", stranger, "a.example");
  EXPECT_EQ(send_join("a.example", room_id, forged_id, forged).error().errcode, "M_FORBIDDEN");
  // Authorised by another server's user: we could not countersign for them.
  auto [foreign, foreign_id] = signed_join(room_id, "@alice:a.example", a.key, "a.example",
                                           {{"join_authorised_via_users_server", "@eve:c.example"}});
  EXPECT_EQ(send_join("a.example", room_id, foreign_id, foreign).error().errcode, "M_INVALID_PARAM");
  // Not a PDU at all: the signatures are checked first, and there are none.
  EXPECT_EQ(send_join("a.example", room_id, id, {{"type", "m.room.member"}}).error().errcode, "M_FORBIDDEN");
  // Signed, but not a PDU of the room's version.
  json::object unhashed = pdu;
  unhashed.erase("hashes");
  rooms::add_event_signature(unhashed, *rooms::find_room_version(GetParam()), "a.example", a.key);
  EXPECT_EQ(send_join("a.example", room_id, id, unhashed).error().errcode, "M_BAD_JSON");
  EXPECT_FALSE(b.path.rooms.room(room_id)->joined.contains("@alice:a.example"));
  EXPECT_EQ(send_join("a.example", room_id, id, pdu).has_value(), true);
}

TEST_P(JoinsTest, ARemoteJoinMakesTheRoomJoinedHere) {
  const std::string room_id = b.create_room("@bob:b.example", GetParam());
  auto joined = a.remote_join("@alice:a.example", room_id, {"b.example"});
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(*joined, room_id);
  // a.example has the room: its record, the resident's state plus the join, cached.
  auto record = a.store->room(*core::RoomId::parse(room_id));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->version, GetParam());
  EXPECT_EQ(record->creator, "@bob:b.example");
  auto room = a.path.rooms.room(room_id);
  ASSERT_TRUE(room);
  EXPECT_EQ(room->joined, (std::set<std::string>{"@alice:a.example", "@bob:b.example"}));
  EXPECT_EQ(a.store->current_state(room_id), b.store->current_state(room_id));
  EXPECT_EQ(room->membership("@alice:a.example"), "join");
  // The join as b countersigned it; the state before it (what /sync shows) is b's.
  const std::string join_id = room->find("m.room.member", "@alice:a.example")->event_id;
  auto join = a.store->event(join_id);
  ASSERT_TRUE(join);
  EXPECT_GT(join->pos, 0);
  EXPECT_NE(join->json.find("b.example"), std::string::npos);
  storage::StateMap before = b.store->current_state(room_id);
  before.erase({"m.room.member", "@alice:a.example"});
  EXPECT_EQ(state_before(*a.store, *join), before);
  EXPECT_EQ(a.store->user_memberships("@alice:a.example").size(), 1u);
  // The member content came along.
  EXPECT_EQ(room->content("m.room.member", "@alice:a.example")->at("displayname").as_string(), "Alice");
  // And a new event in the room builds on it.
  auto sent = a.path.timeline.send(*core::RoomId::parse(room_id),
                                   {"@alice:a.example", "m.room.message", std::nullopt, {{"body", "hi"}}, {}});
  EXPECT_TRUE(sent) << sent.error().message;
}

INSTANTIATE_TEST_SUITE_P(Versions, JoinsTest, ::testing::Values("10", "12", "3", "1"));

}  // namespace
}  // namespace myelin::homeserver
