#include "homeserver/federation/receiver.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "homeserver/federation/federation_test_support.h"
#include "http/http.h"

namespace myelin::homeserver {
namespace {

struct ReceiverTest : testing::FederationRoom {
  PduIntake intake{"here.example", *store, *store, here.rooms, here.write_path, keys, transport};
  std::vector<std::string> typing;  // "<user> <room> <typing>"
  std::vector<std::string> receipts;
  std::vector<std::string> to_device;     // "<origin> <message_id>"
  std::vector<std::string> keys_changed;  // "<origin> <user>"
  std::vector<std::string> presence;      // "<origin> <content>"
  Receiver receiver{
      intake,
      {[this](const core::UserId& user, const core::RoomId& room, bool is_typing) {
         typing.push_back(user.str() + " " + room.str() + " " + (is_typing ? "1" : "0"));
       },
       [this](const core::UserId& user, const core::RoomId& room, const core::EventId& event,
              const std::string& thread) {
         receipts.push_back(user.str() + " " + room.str() + " " + event.str() + " " + thread);
       },
       [this](const std::string& origin, const json::object& content) {
         to_device.push_back(origin + " " + std::string(string_field(content, "message_id")));
       },
       [this](const std::string& origin, const std::string& user) { keys_changed.push_back(origin + " " + user); },
       [this](const std::string& origin, const json::object& content) {
         presence.push_back(origin + " " + core::canonical_json(content));
       }}};

  // Bob joined; then Carol's join (not sent here) and her message, which cites it as auth and
  // prev event.
  std::pair<BuiltEvent, BuiltEvent> message_after_an_unknown_join() {
    join_bob();
    BuiltEvent join = remote_event("@c:remote.example", "m.room.member", "@c:remote.example", {{"membership", "join"}});
    RoomState ahead = *room();
    ahead.apply(join.row, join.pdu, {ahead.last_pos + 1, ahead.state_group});
    BuiltEvent message = remote_event("@c:remote.example", "m.room.message", std::nullopt, {{"body", "hi"}}, &ahead);
    return {std::move(join), std::move(message)};
  }

  // Sends a transaction of `pdus` from remote.example; the answer, when it came.
  std::optional<core::Result<json::object>> answer;
  void send(const std::string& txn_id, json::array pdus, json::array edus = {},
            const std::string& origin = "remote.example") {
    answer.reset();
    json::object body{{"origin", origin}, {"origin_server_ts", 1}, {"pdus", std::move(pdus)}};
    if (!edus.empty()) body["edus"] = std::move(edus);
    receiver.receive("remote.example", txn_id, body, [this](core::Result<json::object> result) { answer = result; });
  }
  // The answer's entry for `event_id` ({} accepted, {"error": ...} not).
  json::object result(const std::string& event_id) {
    EXPECT_TRUE(answer && *answer) << (answer && !*answer ? answer->error().message : "no answer");
    if (!answer || !*answer) return {{"error", "no answer"}};
    const auto& pdus = (*answer)->at("pdus").as_object();
    return pdus.contains(event_id) ? pdus.at(event_id).as_object() : json::object{{"error", "absent"}};
  }
  // Bob of remote.example joins (through a transaction).
  void join_bob() {
    BuiltEvent join = remote_event("@b:remote.example", "m.room.member", "@b:remote.example", {{"membership", "join"}});
    send("join", {join.pdu});
    ASSERT_EQ(result(join.row.event_id), json::object());
  }
};

TEST_F(ReceiverTest, AValidPduIsWrittenThroughTheWritePath) {
  join_bob();
  EXPECT_TRUE(room()->joined.contains("@b:remote.example"));
  EXPECT_EQ(room()->joined_servers.at("remote.example"), 1u);
  BuiltEvent message = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "hi"}});
  send("t1", {message.pdu});
  EXPECT_EQ(result(message.row.event_id), json::object());
  auto stored = store->event(message.row.event_id);
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->json.find("\"hi\""), std::string::npos);
  EXPECT_EQ(room()->extremities.back().event_id, message.row.event_id);
}

TEST_F(ReceiverTest, ABadSignatureIsDropped) {
  join_bob();
  BuiltEvent message = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "hi"}});
  const core::SigningKey other = core::SigningKey::generate("r");  // same key ID, another key
  json::object forged = message.pdu;
  forged.erase("signatures");
  forged.erase("hashes");
  rooms::finalize_local_event(forged, *room()->rules, "remote.example", other);
  send("t1", {forged});
  EXPECT_TRUE(result(message.row.event_id).contains("error"));
  EXPECT_FALSE(store->event(message.row.event_id));
}

TEST_F(ReceiverTest, AContentHashMismatchIsStoredRedacted) {
  join_bob();
  BuiltEvent message = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "hi"}});
  json::object changed = message.pdu;
  changed["content"] = json::object{{"body", "changed on the way"}};  // the signature covers the redacted event
  send("t1", {changed});
  EXPECT_EQ(result(message.row.event_id), json::object());
  auto stored = store->event(message.row.event_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->json.find("changed on the way"), std::string::npos);
  EXPECT_EQ(core::parse_json_object(stored->json)->at("content").as_object(), json::object());
}

TEST_F(ReceiverTest, AnEventItsAuthEventsDoNotAllowIsRejected) {
  join_bob();
  BuiltEvent message = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "hi"}});
  // Bob (power 0) sets the room name (state_default 50), citing the same auth events.
  json::object name = resigned(message.pdu, [](json::object& pdu) {
    pdu["type"] = "m.room.name";
    pdu["state_key"] = "";
    pdu["content"] = json::object{{"name", "mine"}};
  });
  const std::string name_id = id_of(name);
  send("t1", {name});
  EXPECT_EQ(result(name_id), json::object());  // handled: a rejection is no error to the sender
  EXPECT_FALSE(store->event(name_id));
  EXPECT_TRUE(intake.rejected(name_id));
  EXPECT_EQ(room()->pdu("m.room.name", ""), nullptr);
  // An event after the rejected one (its prev event) is checked against the state before it.
  json::object after = resigned(message.pdu, [&](json::object& pdu) {
    pdu["prev_events"] = json::array{name_id};
    pdu["depth"] = pdu.at("depth").as_int64() + 1;
    pdu["content"] = json::object{{"body", "after the rejected one"}};
  });
  send("t2", {after});
  EXPECT_EQ(result(id_of(after)), json::object());
  auto stored = store->event(id_of(after));
  ASSERT_TRUE(stored);
  EXPECT_GT(stored->pos, 0);  // in the timeline
}

TEST_F(ReceiverTest, AnEventTheCurrentStateDoesNotAllowIsSoftFailed) {
  join_bob();
  // Built before Bob is banned, arriving after.
  BuiltEvent late = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "evading"}});
  send_here("@a:here.example", "m.room.member", "@b:remote.example", {{"membership", "ban"}});
  send("t1", {late.pdu});
  EXPECT_EQ(result(late.row.event_id), json::object());  // accepted, as soft-failed events are
  auto stored = store->event(late.row.event_id);         // but kept as an outlier, not in the timeline
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->pos, 0);
  for (const auto& extremity : room()->extremities) EXPECT_NE(extremity.event_id, late.row.event_id);
}

TEST_F(ReceiverTest, MissingPrevEventsAreFetchedThroughGetMissingEvents) {
  join_bob();
  BuiltEvent first = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "one"}});
  RoomState ahead = *room();  // the room as remote.example sees it after `first`
  ahead.apply(first.row, first.pdu, {ahead.last_pos + 1, ahead.state_group});
  BuiltEvent second = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "two"}}, &ahead);
  send("t1", {second.pdu});
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_FALSE(answer);  // waits for the missing events
  const OutgoingRequest& request = transport.sent[0].request;
  EXPECT_EQ(request.destination, "remote.example");
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/_matrix/federation/v1/get_missing_events/%21room%3Ahere.example");
  const json::object& body = request.body->as_object();
  EXPECT_EQ(body.at("latest_events").as_array(), json::array{json::value(second.row.event_id)});
  EXPECT_EQ(body.at("limit"), 20);
  EXPECT_EQ(body.at("min_depth"), 0);  // a missing event may fork off below our extremities
  EXPECT_EQ(body.at("earliest_events").as_array().size(), 1u);
  EXPECT_EQ(request.timeout, PduIntake::kFetchTimeout);
  transport.answer(200, core::to_string(json::object{{"events", json::array{first.pdu}}}));
  EXPECT_EQ(result(second.row.event_id), json::object());
  EXPECT_TRUE(store->event(first.row.event_id));
  EXPECT_TRUE(store->event(second.row.event_id));
  EXPECT_EQ(room()->extremities.back().event_id, second.row.event_id);
}

TEST_F(ReceiverTest, MissingAuthEventsAreFetchedThroughEventAuthAndKeptAsOutliers) {
  const auto [carol, message] = message_after_an_unknown_join();
  send("t1", {message.pdu});
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].request.method, "GET");
  EXPECT_EQ(transport.sent[0].request.target,
            "/_matrix/federation/v1/event_auth/%21room%3Ahere.example/" + http::percent_encode(message.row.event_id));
  json::array chain{carol.pdu};
  for (const auto& [key, entry] : room()->state) chain.push_back(*entry.pdu);  // known ones are skipped
  transport.answer(200, core::to_string(json::object{{"auth_chain", chain}}));
  auto outlier = store->event(carol.row.event_id);
  ASSERT_TRUE(outlier);
  EXPECT_EQ(outlier->pos, 0);
  // Its prev event, Carol's join, is an outlier only: asked for through get_missing_events.
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].request.method, "POST");
  transport.answer(200, core::to_string(json::object{{"events", json::array{carol.pdu}}}));
  EXPECT_EQ(result(message.row.event_id), json::object());
  EXPECT_NE(store->event(carol.row.event_id)->pos, 0);
  EXPECT_NE(store->event(message.row.event_id)->pos, 0);
  EXPECT_TRUE(room()->joined.contains("@c:remote.example"));
}

TEST_F(ReceiverTest, WithoutAnAuthChainTheMissingAuthEventsAreFetchedOneByOne) {
  const auto [carol, message] = message_after_an_unknown_join();
  send("t1", {message.pdu});
  ASSERT_EQ(transport.sent.size(), 1u);
  transport.answer(404, R"({"errcode":"M_UNRECOGNIZED","error":"no /event_auth here"})");
  // Only Carol's join is missing: asked for by itself.
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].request.target,
            "/_matrix/federation/v1/event/" + http::percent_encode(carol.row.event_id));
  transport.answer(200, core::to_string(json::object{{"origin", "remote.example"}, {"pdus", json::array{carol.pdu}}}));
  auto outlier = store->event(carol.row.event_id);
  ASSERT_TRUE(outlier);
  ASSERT_EQ(transport.sent.size(), 3u);  // then on as with a chain: the prev event, through get_missing_events
  transport.answer(200, core::to_string(json::object{{"events", json::array{carol.pdu}}}));
  EXPECT_EQ(result(message.row.event_id), json::object());
  EXPECT_TRUE(room()->joined.contains("@c:remote.example"));
}

TEST_F(ReceiverTest, ForkedPrevEventsAreResolved) {
  join_bob();
  // Bob renames himself while @a sets the topic: two branches with different states. (A second
  // later than his join: state resolution orders events of equal power by time, then by ID.)
  const BuiltEvent built = remote_event("@b:remote.example", "m.room.member", "@b:remote.example",
                                        {{"membership", "join"}, {"displayname", "Bob"}});
  const json::object rename = resigned(
      built.pdu, [](json::object& pdu) { pdu["origin_server_ts"] = pdu.at("origin_server_ts").as_int64() + 1000; });
  const std::string rename_id = id_of(rename);
  send_here("@a:here.example", "m.room.topic", "", {{"topic", "ours"}});
  send("t1", {rename});
  EXPECT_EQ(result(rename_id), json::object());
  EXPECT_EQ(room()->extremities.size(), 2u);
  ASSERT_NE(room()->content("m.room.topic", ""), nullptr);  // the current state has both
  EXPECT_EQ(string_field(*room()->content("m.room.member", "@b:remote.example"), "displayname"), "Bob");
  // An event after both: its state before is the resolution of theirs.
  BuiltEvent after = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "merged"}});
  EXPECT_EQ(after.pdu.at("prev_events").as_array().size(), 2u);
  send("t2", {after.pdu});
  EXPECT_EQ(result(after.row.event_id), json::object());
  ASSERT_EQ(room()->extremities.size(), 1u);
  EXPECT_EQ(room()->extremities[0].event_id, after.row.event_id);
  auto stored = store->event(after.row.event_id);
  ASSERT_TRUE(stored);
  const storage::StateMap state = store->state_group(stored->state_group);
  EXPECT_TRUE(state.contains({"m.room.topic", ""}));
  EXPECT_EQ(state.at({"m.room.member", "@b:remote.example"}), rename_id);
}

TEST_F(ReceiverTest, PrevEventsStillMissingAreRefused) {
  join_bob();
  BuiltEvent first = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "one"}});
  RoomState ahead = *room();
  ahead.apply(first.row, first.pdu, {ahead.last_pos + 1, ahead.state_group});
  BuiltEvent second = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "two"}}, &ahead);
  send("t1", {second.pdu});
  transport.answer(500);  // get_missing_events
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].request.target, "/_matrix/federation/v1/state_ids/%21room%3Ahere.example?event_id=" +
                                                  http::percent_encode(first.row.event_id));
  transport.answer(500);  // state_ids
  EXPECT_TRUE(result(second.row.event_id).contains("error"));
  EXPECT_FALSE(store->event(second.row.event_id));
}

TEST_F(ReceiverTest, AGapLongerThanOneRoundIsFetchedInRounds) {
  join_bob();
  RoomState ahead = *room();
  std::vector<BuiltEvent> chain;
  for (int i = 0; i < 26; ++i) {
    chain.push_back(
        remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "m" + std::to_string(i)}}, &ahead));
    ahead.apply(chain.back().row, chain.back().pdu, {ahead.last_pos + 1, ahead.state_group});
  }
  send("t1", {chain.back().pdu});
  // The newest 20 of the 25 missing, then, asked for what the oldest of them needs, the rest.
  json::array newest, oldest;
  for (int i = 5; i < 25; ++i) newest.push_back(chain[i].pdu);
  for (int i = 0; i < 5; ++i) oldest.push_back(chain[i].pdu);
  transport.answer(200, core::to_string(json::object{{"events", newest}}));
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.body(1).at("latest_events").as_array(), json::array{json::value(chain[5].row.event_id)});
  transport.answer(200, core::to_string(json::object{{"events", oldest}}));
  EXPECT_EQ(result(chain.back().row.event_id), json::object());
  storage::StreamPos last = 0;
  for (const BuiltEvent& event : chain) {  // all in the timeline, in order
    auto stored = store->event(event.row.event_id);
    ASSERT_TRUE(stored);
    EXPECT_GT(stored->pos, last);
    last = stored->pos;
  }
}

TEST_F(ReceiverTest, AGapThatStaysOpenTakesTheStateAfterTheMissingEventFromStateIds) {
  join_bob();
  RoomState ahead = *room();
  BuiltEvent carol =
      remote_event("@c:remote.example", "m.room.member", "@c:remote.example", {{"membership", "join"}}, &ahead);
  ahead.apply(carol.row, carol.pdu, {ahead.last_pos + 1, ahead.state_group + 1});
  // Later than bob's join for certain: resolving the two member events of bob (ours and the one
  // after the gap) orders them by origin_server_ts, and by event ID only when those are equal.
  BuiltEvent rename = remote_event("@b:remote.example", "m.room.member", "@b:remote.example",
                                   {{"membership", "join"}, {"displayname", "Bobby"}}, &ahead, core::now_ms() + 1000);
  ahead.apply(rename.row, rename.pdu, {ahead.last_pos + 1, ahead.state_group + 1});
  BuiltEvent last = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "after"}}, &ahead);
  send("t1", {last.pdu});
  // Its auth events name the rename: an outlier, from event_auth.
  transport.answer(200, core::to_string(json::object{{"auth_chain", json::array{rename.pdu}}}));
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].request.method, "POST");
  transport.answer(200, R"({"events": []})");  // get_missing_events: the origin gives nothing between
  ASSERT_EQ(transport.sent.size(), 3u);
  EXPECT_EQ(transport.sent[2].request.target, "/_matrix/federation/v1/state_ids/%21room%3Ahere.example?event_id=" +
                                                  http::percent_encode(rename.row.event_id));
  json::array state_ids;  // the state before the rename: the room's as here, and Carol
  for (const auto& [key, entry] : room()->state) state_ids.emplace_back(entry.event_id);
  state_ids.emplace_back(carol.row.event_id);
  transport.answer(200, core::to_string(json::object{{"pdu_ids", state_ids}, {"auth_chain_ids", json::array{}}}));
  ASSERT_EQ(transport.sent.size(), 4u);  // only Carol's join is not stored here
  EXPECT_EQ(transport.sent[3].request.target,
            "/_matrix/federation/v1/event/" + http::percent_encode(carol.row.event_id));
  transport.answer(200, core::to_string(json::object{{"pdus", json::array{carol.pdu}}}));
  EXPECT_EQ(result(last.row.event_id), json::object());
  EXPECT_GT(store->event(last.row.event_id)->pos, 0);
  EXPECT_EQ(store->event(rename.row.event_id)->pos, 0);  // outliers
  EXPECT_EQ(store->event(carol.row.event_id)->pos, 0);
  EXPECT_EQ(string_field(*room()->content("m.room.member", "@b:remote.example"), "displayname"), "Bobby");
  EXPECT_TRUE(room()->joined.contains("@c:remote.example"));
}

TEST_F(ReceiverTest, TheRoomsServerAclIsAppliedToEachPdu) {
  join_bob();
  send_here("@a:here.example", "m.room.server_acl", "",
            {{"allow", json::array{"*"}}, {"deny", json::array{"remote.example"}}});
  BuiltEvent message = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "hi"}});
  send("t1", {message.pdu});
  EXPECT_TRUE(result(message.row.event_id).contains("error"));
  EXPECT_FALSE(store->event(message.row.event_id));
}

TEST_F(ReceiverTest, ARepeatedTransactionIsAnsweredTheSameWithoutProcessing) {
  join_bob();
  BuiltEvent message = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "hi"}});
  send("t1", {message.pdu});
  const auto first = answer;
  const int fetches = keys.fetches;
  send("t1", {message.pdu, json::object{{"junk", 1}}});
  ASSERT_TRUE(answer && *answer && first && *first);
  EXPECT_EQ(**answer, **first);
  EXPECT_EQ(keys.fetches, fetches);
}

TEST_F(ReceiverTest, MalformedTransactionsAreRefused) {
  json::array many;
  for (int i = 0; i < 51; ++i) many.push_back(json::object());
  send("big", many);
  ASSERT_TRUE(answer && !*answer);
  EXPECT_EQ((*answer).error().errcode, "M_TOO_LARGE");
  EXPECT_EQ((*answer).error().http_status, 400);
  send("other", {}, {}, "other.example");  // the body names another origin
  ASSERT_TRUE(answer && !*answer);
  EXPECT_EQ((*answer).error().errcode, "M_BAD_JSON");
  receiver.receive("remote.example", "nopdus", json::object{{"origin", "remote.example"}, {"origin_server_ts", 1}},
                   [this](core::Result<json::object> result) { answer = result; });
  ASSERT_TRUE(answer && !*answer);
  EXPECT_EQ((*answer).error().errcode, "M_BAD_JSON");
}

TEST_F(ReceiverTest, OneBadPduDoesNotStopTheOthers) {
  join_bob();
  BuiltEvent message = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "hi"}});
  json::object unknown_room = message.pdu;
  unknown_room["room_id"] = "!elsewhere:remote.example";
  send("t1", {json::value(7), unknown_room, message.pdu});
  EXPECT_EQ(result(message.row.event_id), json::object());
  EXPECT_EQ((*answer)->at("pdus").as_object().size(), 1u);  // the others have no ID here
}

TEST_F(ReceiverTest, HostileShapesAreAnsweredNotFollowed) {
  join_bob();
  BuiltEvent message = remote_event("@b:remote.example", "m.room.message", std::nullopt, {{"body", "hi"}});
  json::object no_prevs = message.pdu, bad_depth = message.pdu, bad_sender = message.pdu;
  no_prevs["prev_events"] = json::array{json::value(7)};
  bad_depth["depth"] = "deep";
  bad_sender["sender"] = json::array();
  json::array edus{
      json::value("x"), json::object{{"edu_type", "m.typing"}, {"content", json::array()}},
      json::object{{"edu_type", "m.receipt"}, {"content", json::object{{room_id, json::value(1)}}}},
      json::object{
          {"edu_type", "m.receipt"},
          {"content", json::object{{room_id, json::object{{"m.read", json::object{{"@b:remote.example", 1}}}}}}}}};
  send("t1", {json::array(), json::value("pdu"), json::object{{"room_id", 5}}, no_prevs, bad_depth, bad_sender}, edus);
  ASSERT_TRUE(answer && *answer);
  for (const auto& [id, outcome] : (*answer)->at("pdus").as_object())
    EXPECT_TRUE(outcome.as_object().contains("error")) << id;
  EXPECT_TRUE(typing.empty());
  EXPECT_TRUE(receipts.empty());
  EXPECT_TRUE(transport.sent.empty());
}

TEST_F(ReceiverTest, TypingAndReceiptsOfTheOriginsUsersGoToTheirServices) {
  json::array edus{
      json::object{{"edu_type", "m.typing"},
                   {"content", json::object{{"room_id", room_id}, {"user_id", "@b:remote.example"}, {"typing", true}}}},
      json::object{{"edu_type", "m.typing"},  // not the origin's user
                   {"content", json::object{{"room_id", room_id}, {"user_id", "@a:here.example"}, {"typing", true}}}},
      json::object{
          {"edu_type", "m.receipt"},
          {"content",
           json::object{
               {room_id, json::object{{"m.read", json::object{{"@b:remote.example",
                                                               json::object{{"event_ids", json::array{"$e"}},
                                                                            {"data", json::object{{"ts", 1}}}}}}}}}}}},
      json::object{{"edu_type", "m.presence"}, {"content", json::object()}}};
  send("e1", {}, edus);
  ASSERT_TRUE(answer && *answer);
  EXPECT_EQ(typing, std::vector<std::string>{"@b:remote.example " + room_id + " 1"});
  EXPECT_EQ(receipts, std::vector<std::string>{"@b:remote.example " + room_id + " $e "});
}

TEST_F(ReceiverTest, ToDeviceDeviceListAndPresenceEdusGoToTheirServicesWithTheOrigin) {
  send("edus-1", {},
       json::array{json::object{{"edu_type", "m.direct_to_device"},
                                {"content", json::object{{"sender", "@x:remote.example"}, {"message_id", "m1"}}}},
                   json::object{{"edu_type", "m.device_list_update"},
                                {"content", json::object{{"user_id", "@x:remote.example"}, {"device_id", "D"}}}},
                   json::object{{"edu_type", "m.signing_key_update"},
                                {"content", json::object{{"user_id", "@y:remote.example"}}}},
                   json::object{{"edu_type", "m.presence"}, {"content", json::object{{"push", json::array{}}}}},
                   json::object{{"edu_type", "m.direct_to_device"}, {"content", "not an object"}}});
  ASSERT_TRUE(answer && *answer);
  EXPECT_EQ(to_device, std::vector<std::string>{"remote.example m1"});
  EXPECT_EQ(keys_changed,
            (std::vector<std::string>{"remote.example @x:remote.example", "remote.example @y:remote.example"}));
  EXPECT_EQ(presence, std::vector<std::string>{R"(remote.example {"push":[]})"});
}

}  // namespace
}  // namespace myelin::homeserver
