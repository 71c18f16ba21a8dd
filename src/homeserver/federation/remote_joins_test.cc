// The joining server's side: candidates, aliases, refusals and answers that do not hold up.
#include "homeserver/federation/remote_joins.h"

#include <gtest/gtest.h>

#include "homeserver/federation/join_test_support.h"
#include "homeserver/federation/remote_requests.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {
namespace {

using testing::FakeKeyFetcher;
using testing::TestServer;

struct RemoteJoinsTest : ::testing::Test {
  std::map<std::string, TestServer*> servers;
  FakeKeyFetcher keys;
  TestServer a{"a.example", servers, keys};
  TestServer b{"b.example", servers, keys};
  std::string room_id = b.create_room("@bob:b.example", "10");

  // The answer's event of `type` in `list` ("state" or "auth_chain").
  static json::object* find(json::object& answer, const char* list, std::string_view type) {
    for (auto& event : answer.at(list).as_array())
      if (event.as_object().at("type").as_string() == type) return &event.as_object();
    return nullptr;
  }
};

TEST_F(RemoteJoinsTest, CandidatesAreTriedInOrderUntilOneJoins) {
  auto joined = a.remote_join("@alice:a.example", room_id, {"down.example", "a.example", "b.example"});
  ASSERT_TRUE(joined) << joined.error().message;
  // Our own name is skipped; the others are tried in order.
  ASSERT_EQ(a.transport.sent.size(), 3u);
  EXPECT_TRUE(a.transport.sent[0].starts_with("down.example GET /_matrix/federation/v1/make_join/"));
  EXPECT_TRUE(a.transport.sent[1].starts_with("b.example GET /_matrix/federation/v1/make_join/"));
  EXPECT_NE(a.transport.sent[1].find("?ver=1&ver=2"), std::string::npos);
  EXPECT_TRUE(a.transport.sent[2].starts_with("b.example PUT /_matrix/federation/v2/send_join/"));
}

TEST_F(RemoteJoinsTest, ARemoteAliasIsAskedOfItsServer) {
  b.aliases["#room:b.example"] = room_id;
  std::optional<core::Result<ResolvedAlias>> resolved;
  auto ask = [&](const std::string& alias) {
    resolved.reset();
    a.remote.query_alias(testing::id<core::RoomAlias>(alias),
                         [&resolved](core::Result<ResolvedAlias> answer) { resolved = std::move(answer); });
    return *resolved;
  };
  auto found = ask("#room:b.example");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->room_id, room_id);
  EXPECT_EQ(found->servers, std::vector<std::string>{"b.example"});
  EXPECT_EQ(a.transport.sent.front(),
            "b.example GET /_matrix/federation/v1/query/directory?room_alias=%23room%3Ab.example");
  EXPECT_EQ(ask("#missing:b.example").error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(ask("#room:down.example").error().http_status, 502);
}

TEST_F(RemoteJoinsTest, RefusedUnknownAndUnreachable) {
  const std::string closed = b.create_room("@bob:b.example", "10", "invite");
  auto refused = a.remote_join("@alice:a.example", closed, {"b.example"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(a.remote_join("@alice:a.example", "!unknown:b.example", {"b.example"}).error().errcode, "M_NOT_FOUND");
  auto unreachable = a.remote_join("@alice:a.example", "!r:down.example", {"down.example"});
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().errcode, "M_UNKNOWN");
  EXPECT_EQ(unreachable.error().http_status, 502);
  // No server to ask (a v12 room ID names none).
  EXPECT_EQ(a.remote_join("@alice:a.example", "!" + std::string(43, 'A'), {"", "a.example"}).error().errcode,
            "M_NOT_FOUND");
  EXPECT_FALSE(a.store->room(*core::RoomId::parse(closed)));
}

TEST(RefusalOf, AnIncompatibleRoomVersionIsNamedToTheClient) {
  IncomingResponse response;
  response.status = 400;
  response.body = R"({"errcode":"M_INCOMPATIBLE_ROOM_VERSION","error":"too new","room_version":"99"})";
  const core::Error error = refusal_of("b.example", response);
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.errcode, "M_INCOMPATIBLE_ROOM_VERSION");
  EXPECT_EQ(error.extra.at("room_version"), "99");
}

TEST_F(RemoteJoinsTest, EventsThatFailTheChecksGoUnused) {
  // The history visibility re-signed by a key b.example does not have (unused), the name
  // changed after signing (redacted on receipt), b's countersigned join left out.
  const auto stranger = core::SigningKey::generate("k");
  std::string forged_id;
  a.transport.tamper = [&](json::object& answer) {
    json::object* history = find(answer, "state", "m.room.history_visibility");
    history->at("signatures").as_object()["b.example"] = json::object{{"ed25519:k", stranger.sign("x")}};
    forged_id = rooms::event_id_of(*history, *rooms::find_room_version("10"));
    find(answer, "state", "m.room.name")->at("content").as_object()["name"] = "Evil";
    answer.erase("event");
  };
  auto joined = a.remote_join("@alice:a.example", room_id, {"b.example"});
  ASSERT_TRUE(joined) << joined.error().message;
  const storage::StateMap state = a.store->current_state(room_id);
  EXPECT_FALSE(state.contains({"m.room.history_visibility", ""}));
  EXPECT_FALSE(a.store->event(forged_id));
  auto name = a.store->event(state.at({"m.room.name", ""}));
  ASSERT_TRUE(name);
  EXPECT_EQ(name->json.find("Evil"), std::string::npos);  // redacted: no content left
  EXPECT_EQ(name->json.find("Test room"), std::string::npos);
  // Our own copy of the join, without b's signature.
  auto join = a.store->event(state.at({"m.room.member", "@alice:a.example"}));
  EXPECT_EQ(join->json.find("\"b.example\":{"), std::string::npos);
}

TEST_F(RemoteJoinsTest, AnAnswerWithoutAUsableCreateEventFails) {
  a.transport.tamper = [](json::object& answer) {
    json::object* create = find(answer, "state", "m.room.create");
    create->at("content").as_object()["room_version"] = "9";  // and the signature no longer holds
  };
  auto joined = a.remote_join("@alice:a.example", room_id, {"b.example"});
  ASSERT_FALSE(joined);
  EXPECT_EQ(joined.error().errcode, "M_UNKNOWN");
  EXPECT_FALSE(a.store->room(*core::RoomId::parse(room_id)));
}

TEST_F(RemoteJoinsTest, ARestrictedRoomIsJoinedThroughAnAllowedRoom) {
  const std::string restricted = b.create_room("@bob:b.example", "10", "restricted", room_id);
  // Not in the allowed room yet: no one can authorise.
  EXPECT_EQ(a.remote_join("@alice:a.example", restricted, {"b.example"}).error().errcode, "M_FORBIDDEN");
  ASSERT_TRUE(a.remote_join("@alice:a.example", room_id, {"b.example"}));
  auto made = b.joins.make_join("a.example", restricted, "@alice:a.example", {"10"});
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->at("event").at("content").at("join_authorised_via_users_server").as_string(), "@bob:b.example");
  auto joined = a.remote_join("@alice:a.example", restricted, {"b.example"});
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_TRUE(a.path.rooms.room(restricted)->joined.contains("@alice:a.example"));
  EXPECT_TRUE(b.path.rooms.room(restricted)->joined.contains("@alice:a.example"));
}

TEST_F(RemoteJoinsTest, ASecondLocalUserJoinsTheKnownRoomThroughTheResidentToo) {
  ASSERT_TRUE(a.remote_join("@alice:a.example", room_id, {"b.example"}));
  auto second = a.remote_join("@carol:a.example", room_id, {"b.example"});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(a.path.rooms.room(room_id)->joined.size(), 3u);
}

}  // namespace
}  // namespace myelin::homeserver
