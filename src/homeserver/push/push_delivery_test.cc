// Pushers (validation, append, limits), the push body (full and event_id_only), the sender
// (backoff, retries, rejected pushkeys, bounded queues) and delivery from the write path.
#include <gtest/gtest.h>

#include <set>

#include "homeserver/push/push_delivery.h"
#include "homeserver/push/push_payload.h"
#include "homeserver/push/push_sender.h"
#include "homeserver/push/pushers.h"
#include "homeserver/timeline/test_support.h"
#include "http/manual_scheduler.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

const std::string alice = "@alice:localhost", bob = "@bob:localhost";
const std::string gateway = "https://push.example.org/_matrix/push/v1/notify";

json::object pusher_body(const std::string& pushkey, const std::string& url = gateway) {
  return {{"kind", "http"},
          {"app_id", "org.example.app"},
          {"pushkey", pushkey},
          {"app_display_name", "App"},
          {"device_display_name", "Phone"},
          {"lang", "en"},
          {"data", json::object{{"url", url}, {"custom", 7}}}};
}

struct PushersTest : ::testing::Test {
  PushOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  Pushers pushers{config, *store};

  std::string errcode(const json::object& body) {
    auto status = pushers.set(alice, "DEV", body);
    return status ? "" : status.error().errcode;
  }
};

TEST_F(PushersTest, SetListsReplacesAndDeletes) {
  ASSERT_TRUE(pushers.set(alice, "DEV", pusher_body("k1")));
  json::object listed = pushers.list(alice);
  ASSERT_EQ(listed.at("pushers").as_array().size(), 1u);
  const auto& pusher = listed.at("pushers").as_array()[0].as_object();
  EXPECT_EQ(pusher.at("pushkey"), "k1");
  EXPECT_EQ(pusher.at("data").as_object().at("url"), json::value(gateway));
  EXPECT_FALSE(pusher.contains("profile_tag"));
  json::object renamed = pusher_body("k1");
  renamed["app_display_name"] = "Renamed";
  ASSERT_TRUE(pushers.set(alice, "DEV", renamed));
  listed = pushers.list(alice);
  ASSERT_EQ(listed.at("pushers").as_array().size(), 1u);
  EXPECT_EQ(listed.at("pushers").as_array()[0].as_object().at("app_display_name"), "Renamed");
  ASSERT_TRUE(pushers.set(alice, "DEV", {{"kind", nullptr}, {"app_id", "org.example.app"}, {"pushkey", "k1"}}));
  EXPECT_TRUE(pushers.list(alice).at("pushers").as_array().empty());
  EXPECT_FALSE(pushers.any());
}

TEST_F(PushersTest, AppendFalseTakesThePushkeyFromOtherUsers) {
  ASSERT_TRUE(pushers.set(bob, "B", pusher_body("shared")));
  json::object appended = pusher_body("shared");
  appended["append"] = true;
  ASSERT_TRUE(pushers.set(alice, "DEV", appended));
  EXPECT_EQ(pushers.list(bob).at("pushers").as_array().size(), 1u);
  ASSERT_TRUE(pushers.set(alice, "DEV", pusher_body("shared")));
  EXPECT_TRUE(pushers.list(bob).at("pushers").as_array().empty());
  EXPECT_FALSE(pushers.may_have(bob));
  EXPECT_EQ(pushers.list(alice).at("pushers").as_array().size(), 1u);
}

TEST_F(PushersTest, FieldsAreChecked) {
  json::object body = pusher_body("k");
  body.erase("lang");
  EXPECT_EQ(errcode(body), "M_MISSING_PARAM");
  body = pusher_body("k");
  body.erase("kind");
  EXPECT_EQ(errcode(body), "M_MISSING_PARAM");
  body = pusher_body("k");
  body["kind"] = "email";
  EXPECT_EQ(errcode(body), "M_INVALID_PARAM");
  body = pusher_body("k");
  body["app_id"] = std::string(65, 'a');
  EXPECT_EQ(errcode(body), "M_INVALID_PARAM");
  EXPECT_EQ(errcode(pusher_body(std::string(513, 'k'))), "M_INVALID_PARAM");
  body = pusher_body("k");
  body["data"] = json::object{};
  EXPECT_EQ(errcode(body), "M_MISSING_PARAM");
  body["data"] = "text";
  EXPECT_EQ(errcode(body), "M_INVALID_PARAM");
  body = pusher_body("k");
  body["append"] = "yes";
  EXPECT_EQ(errcode(body), "M_INVALID_PARAM");
  body = pusher_body("k");
  body["data"].as_object()["format"] = 1;
  EXPECT_EQ(errcode(body), "M_INVALID_PARAM");
  body["data"].as_object()["format"] = "id_event_only";
  EXPECT_EQ(errcode(body), "");
  for (const char* url : {"https://push.example.org/other", "ftp://push.example.org/_matrix/push/v1/notify",
                          "http://push.example.org/_matrix/push/v1/notify", "not a url",
                          "https://user@push.example.org/_matrix/push/v1/notify"})
    EXPECT_EQ(errcode(pusher_body("k", url)), "M_INVALID_PARAM") << url;
  config.allow_http_gateways = true;
  EXPECT_EQ(errcode(pusher_body("k", "http://127.0.0.1:9/_matrix/push/v1/notify")), "");
}

TEST_F(PushersTest, AUserHasAtMostTheBound) {
  config.pushers_per_user = 2;
  ASSERT_TRUE(pushers.set(alice, "DEV", pusher_body("k1")));
  ASSERT_TRUE(pushers.set(alice, "DEV", pusher_body("k2")));
  EXPECT_EQ(errcode(pusher_body("k3")), "M_FORBIDDEN");
  EXPECT_EQ(errcode(pusher_body("k2")), "");  // replacing one is not one more
}

TEST_F(PushersTest, TheSetOfUsersIsReadAtStart) {
  ASSERT_TRUE(pushers.set(alice, "DEV", pusher_body("k1")));
  Pushers restarted(config, *store);
  EXPECT_TRUE(restarted.may_have(alice));
  EXPECT_FALSE(restarted.may_have(bob));
}

storage::PusherRecord record(const std::string& pushkey, const std::string& data) {
  return {alice, "org.example.app", pushkey, "http", "App", "Phone", "", "en", data, "DEV", 1'700'000'000'123};
}

PushNotice message_notice() {
  PushNotice notice;
  notice.event_id = "$e";
  notice.room_id = "!r:localhost";
  notice.type = "m.room.message";
  notice.sender = bob;
  notice.sender_display_name = "Bob";
  notice.room_name = "Lunch";
  notice.content = {{"msgtype", "m.text"}, {"body", "secret plans"}};
  notice.unread = 3;
  notice.tweaks = tweaks_of(json::array{"notify", json::object{{"set_tweak", "sound"}, {"value", "default"}}});
  return notice;
}

TEST(PushPayloadTest, TheFullFormCarriesTheEvent) {
  const json::object body =
      notify_body(message_notice(), record("k", R"({"url":"https://gw/_matrix/push/v1/notify","x":1})"), false);
  const auto& n = body.at("notification").as_object();
  EXPECT_EQ(n.at("event_id"), "$e");
  EXPECT_EQ(n.at("id"), "$e");
  EXPECT_EQ(n.at("sender"), json::value(bob));
  EXPECT_EQ(n.at("sender_display_name"), "Bob");
  EXPECT_EQ(n.at("room_name"), "Lunch");
  EXPECT_EQ(n.at("content").as_object().at("body"), "secret plans");
  EXPECT_EQ(n.at("prio"), "high");
  EXPECT_EQ(n.at("counts"), (json::object{{"unread", 3}}));
  const auto& device = n.at("devices").as_array().at(0).as_object();
  EXPECT_EQ(device.at("pushkey"), "k");
  EXPECT_EQ(device.at("pushkey_ts"), 1'700'000'000);       // seconds
  EXPECT_EQ(device.at("data"), (json::object{{"x", 1}}));  // without the url
  EXPECT_EQ(device.at("tweaks"), (json::object{{"sound", "default"}}));
}

TEST(PushPayloadTest, EventIdOnlyCarriesNoContentSenderOrName) {
  const json::object body =
      notify_body(message_notice(), record("k", R"({"url":"https://gw/_matrix/push/v1/notify"})"), true);
  const auto& n = body.at("notification").as_object();
  std::vector<std::string> keys;
  for (const auto& [key, value] : n) keys.emplace_back(key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"counts", "devices", "event_id", "prio", "room_id"}));
  EXPECT_EQ(core::to_string(body).find("secret"), std::string::npos);
  EXPECT_EQ(core::to_string(body).find("Bob"), std::string::npos);
}

TEST(PushPayloadTest, ABadgeUpdateHasOnlyCountsAndDevices) {
  PushNotice notice;
  notice.unread = 0;
  const json::object body = notify_body(notice, record("k", "{}"), false);
  const auto& n = body.at("notification").as_object();
  EXPECT_EQ(n.size(), 2u);
  EXPECT_EQ(n.at("counts"), (json::object{{"unread", 0}}));
}

TEST(PushPayloadTest, TheFormatIsThePushersOrForced) {
  EXPECT_TRUE(wants_event_id_only(record("k", R"({"url":"u","format":"event_id_only"})")));
  EXPECT_FALSE(wants_event_id_only(record("k", R"({"url":"u"})")));
}

struct PushSenderTest : ::testing::Test {
  struct Call {
    std::string url, body;
    std::function<void(GatewayAnswer)> done;
  };
  http::ManualScheduler scheduler;
  std::vector<Call> calls;
  std::vector<std::string> rejected;
  PushSender sender{scheduler,
                    [this](const std::string& url, std::string body, std::function<void(GatewayAnswer)> done) {
                      calls.push_back({url, std::move(body), std::move(done)});
                    },
                    [this](const storage::PusherRecord& p) -> std::optional<storage::PusherRecord> {
                      if (gone.contains(p.pushkey)) return std::nullopt;
                      return p;
                    },
                    [this](const storage::PusherRecord& p) { rejected.push_back(p.pushkey); }};
  std::set<std::string> gone;  // pushkeys of pushers deleted since their pushes were queued
  const storage::PusherRecord k1 = record("k1", R"({"url":"https://gw/_matrix/push/v1/notify"})");
  const storage::PusherRecord k2 = record("k2", R"({"url":"https://gw2/_matrix/push/v1/notify"})");

  void answer(std::size_t i, int status, std::string body = "{}") { calls.at(i).done({status, std::move(body)}); }
};

TEST_F(PushSenderTest, BackoffDoubles) {
  EXPECT_EQ(PushSender::backoff(1), std::chrono::seconds(1));
  EXPECT_EQ(PushSender::backoff(2), std::chrono::seconds(2));
  EXPECT_EQ(PushSender::backoff(3), std::chrono::seconds(4));
  EXPECT_EQ(PushSender::backoff(100), std::chrono::seconds(64));
}

TEST_F(PushSenderTest, APushersPushesGoInOrderOneAtATime) {
  sender.send(k1, {{"n", 1}});
  sender.send(k1, {{"n", 2}});
  sender.send(k2, {{"n", 3}});
  ASSERT_EQ(calls.size(), 2u);  // k2 does not wait behind k1
  EXPECT_EQ(calls[0].url, "https://gw/_matrix/push/v1/notify");
  EXPECT_EQ(calls[0].body, R"({"n":1})");
  EXPECT_EQ(calls[1].url, "https://gw2/_matrix/push/v1/notify");
  answer(0, 200);
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].body, R"({"n":2})");
  answer(1, 200);
  answer(2, 200);
  EXPECT_EQ(sender.queued(), 0u);
}

TEST_F(PushSenderTest, APushGoesToThePusherAsStoredAndNotAtAllOnceItIsGone) {
  sender.send(k1, {{"n", 1}});
  sender.send(k1, {{"n", 2}});
  sender.send(k1, {{"n", 3}});
  ASSERT_EQ(calls.size(), 1u);
  gone.insert("k1");  // deleted while its pushes wait: they are not sent
  answer(0, 200);
  EXPECT_EQ(calls.size(), 1u);
  EXPECT_EQ(sender.queued(), 0u);
}

TEST_F(PushSenderTest, AtMostkInFlightRequestsAtOnce) {
  for (int i = 0; i < PushSender::kInFlight + 2; ++i)
    sender.send(record("k" + std::to_string(i), R"({"url":"https://gw/_matrix/push/v1/notify"})"), {{"n", i}});
  ASSERT_EQ(calls.size(), static_cast<std::size_t>(PushSender::kInFlight));
  answer(0, 200);
  EXPECT_EQ(calls.size(), static_cast<std::size_t>(PushSender::kInFlight) + 1);
}

TEST_F(PushSenderTest, FailuresAreRetriedWithBackoffThenDropped) {
  sender.send(k1, {{"n", 1}});
  sender.send(k1, {{"n", 2}});
  answer(0, 503);
  ASSERT_EQ(scheduler.timers.size(), 1u);
  EXPECT_EQ(scheduler.fire(), std::chrono::seconds(1));
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].body, R"({"n":1})");
  answer(1, 0);  // unreachable
  EXPECT_EQ(scheduler.fire(), std::chrono::seconds(2));
  answer(2, 429);
  EXPECT_EQ(scheduler.fire(), std::chrono::seconds(4));
  answer(3, 500);  // the fourth attempt: given up
  EXPECT_TRUE(scheduler.timers.empty());
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[4].body, R"({"n":2})");
  answer(4, 400);  // a client error is not retried
  EXPECT_TRUE(scheduler.timers.empty());
  EXPECT_EQ(sender.queued(), 0u);
  EXPECT_TRUE(rejected.empty());
}

TEST_F(PushSenderTest, ARejectedPushkeyRemovesThePusherAndItsQueue) {
  sender.send(k1, {{"n", 1}});
  sender.send(k1, {{"n", 2}});
  answer(0, 200, R"({"rejected":["other","k1"]})");
  EXPECT_EQ(rejected, std::vector<std::string>{"k1"});
  EXPECT_EQ(calls.size(), 1u);
  EXPECT_EQ(sender.queued(), 0u);
  EXPECT_EQ(PushSender::rejected_pushkeys(R"({"rejected":["a",3,"b"]})"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(PushSender::rejected_pushkeys("not json").empty());
}

TEST_F(PushSenderTest, AQueueIsBounded) {
  for (int i = 0; i < 200; ++i) sender.send(k1, {{"n", i}});
  EXPECT_EQ(sender.queued(), PushSender::kQueueBound);
  answer(0, 200);
  EXPECT_EQ(calls.back().body, R"({"n":151})");  // the oldest waiting ones went, not the one in flight
}

struct PushDeliveryTest : ::testing::Test {
  PushOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  RoomCache rooms{*store, 100000};
  Pushers pushers{config, *store};
  http::ManualScheduler scheduler;
  std::vector<std::string> bodies;
  PushSender sender{scheduler,
                    [this](const std::string&, std::string body, std::function<void(GatewayAnswer)> done) {
                      bodies.push_back(std::move(body));
                      done({200, "{}"});
                    },
                    [this](const storage::PusherRecord& p) { return pushers.find(p.user_id, p.app_id, p.pushkey); },
                    [](const storage::PusherRecord&) {}};
  PushDelivery delivery{config, *store, pushers, sender, [](const std::string&) { return 5; }};
  const std::string room_id = "!room:localhost";

  PushDeliveryTest() { testing::add_test_room(*store, room_id, alice, {alice, bob}); }

  void write(const std::string& sender_id, const std::string& body) {
    auto room = rooms.room(room_id);
    BuiltEvent event{{{"type", "m.room.message"},
                      {"sender", sender_id},
                      {"room_id", room_id},
                      {"content", json::object{{"msgtype", "m.text"}, {"body", body}}}},
                     testing::test_event(room_id, "$new", "m.room.message", std::nullopt, sender_id, {})};
    delivery.on_written(Written{*room, event, {1, 1}});
  }
};

TEST_F(PushDeliveryTest, AMessageInATwoPersonRoomIsPushedEventIdOnlyByDefault) {
  ASSERT_TRUE(pushers.set(alice, "DEV", pusher_body("k1")));
  write(bob, "secret plans");
  ASSERT_EQ(bodies.size(), 1u);
  auto body = core::parse_json_object(bodies[0]);
  ASSERT_TRUE(body);
  const auto& n = body->at("notification").as_object();
  EXPECT_EQ(n.at("event_id"), "$new");
  EXPECT_EQ(n.at("room_id"), json::value(room_id));
  EXPECT_EQ(n.at("counts"), (json::object{{"unread", 5}}));
  EXPECT_FALSE(n.contains("content"));
  EXPECT_FALSE(n.contains("sender"));
}

TEST_F(PushDeliveryTest, WithTheSwitchOffTheFullFormIsSent) {
  config.event_id_only = false;
  ASSERT_TRUE(pushers.set(alice, "DEV", pusher_body("k1")));
  write(bob, "secret plans");
  ASSERT_EQ(bodies.size(), 1u);
  auto body = core::parse_json_object(bodies[0]);
  EXPECT_EQ(body->at("notification").as_object().at("content").as_object().at("body"), "secret plans");
  EXPECT_EQ(body->at("notification").as_object().at("sender"), json::value(bob));
}

TEST_F(PushDeliveryTest, TheSenderAndUsersWithoutPushersGetNothing) {
  write(bob, "nobody has a pusher");
  ASSERT_TRUE(pushers.set(bob, "DEV", pusher_body("kb")));
  write(bob, "own message");
  EXPECT_TRUE(bodies.empty());
}

TEST_F(PushDeliveryTest, MembersAreFoundWhicheverSetIsSmaller) {
  ASSERT_TRUE(pushers.set(alice, "DEV", pusher_body("k1")));
  write(bob, "fewer users with pushers than members");
  EXPECT_EQ(bodies.size(), 1u);
  ASSERT_TRUE(pushers.set(bob, "DEV", pusher_body("kb")));
  ASSERT_TRUE(pushers.set("@carol:localhost", "DEV", pusher_body("kc")));
  write(bob, "more users with pushers than members");
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_NE(bodies[1].find("\"k1\""), std::string::npos);
}

TEST_F(PushDeliveryTest, AReadReceiptSendsTheBadge) {
  ASSERT_TRUE(pushers.set(alice, "DEV", pusher_body("k1")));
  delivery.on_read(bob);
  EXPECT_TRUE(bodies.empty());
  delivery.on_read(alice);
  ASSERT_EQ(bodies.size(), 1u);
  auto body = core::parse_json_object(bodies[0]);
  EXPECT_FALSE(body->at("notification").as_object().contains("event_id"));
  EXPECT_EQ(body->at("notification").as_object().at("counts"), (json::object{{"unread", 5}}));
}

}  // namespace
}  // namespace myelin::homeserver
