#include "homeserver/e2ee/to_device.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "homeserver/timeline/test_support.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

struct ToDeviceFixture : ::testing::Test {
  E2eeOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  testing::NoScheduler scheduler;
  Notifier notifier{scheduler};
  std::vector<std::pair<std::string, json::object>> remote;  // what went to other servers
  ToDevice to_device{config, *store, *store, notifier, [this](const std::string& server, json::object content) {
                       remote.emplace_back(server, std::move(content));
                     }};
  const Session sender{*core::UserId::parse("@b:localhost"), "BDEV", false};

  core::Status send(const std::string& txn, const std::string& device) {
    json::object body{{"messages", json::object{{"@a:localhost", json::object{{device, json::object{{"n", txn}}}}}}}};
    return to_device.send(sender, "m.test", {sender.user_id, sender.device_id, "/sendToDevice/m.test", txn}, body);
  }
  std::size_t waiting(const std::string& device) {
    return store->to_device_inbox("@a:localhost", device, 0, 100).size();
  }
};

// A device unused for limits.to_device_idle_days (a lost phone) gets nothing new, and the
// hourly sweep empties what it had; once it is used again it gets messages again.
TEST_F(ToDeviceFixture, IdleDevicesGetNoMessagesAndLoseTheirInbox) {
  config.to_device_idle_days = 30;
  const std::int64_t day = 86'400'000;
  store->upsert_device({"@a:localhost", "LOST", "", core::now_ms() - 20 * day, ""});
  store->upsert_device({"@a:localhost", "USED", "", core::now_ms(), ""});
  ASSERT_TRUE(send("t1", "*"));
  EXPECT_EQ(waiting("LOST"), 1u);
  store->upsert_device({"@a:localhost", "LOST", "", core::now_ms() - 31 * day, ""});
  ASSERT_TRUE(send("t2", "*"));
  ASSERT_TRUE(send("t3", "LOST"));
  EXPECT_EQ(waiting("LOST"), 1u);
  EXPECT_EQ(waiting("USED"), 2u);
  to_device.expire_idle();
  EXPECT_EQ(waiting("LOST"), 0u);
  EXPECT_EQ(waiting("USED"), 2u);
  store->upsert_device({"@a:localhost", "LOST", "", core::now_ms(), ""});
  ASSERT_TRUE(send("t4", "LOST"));
  EXPECT_EQ(waiting("LOST"), 1u);
  // 0: idle devices never expire.
  config.to_device_idle_days = 0;
  store->upsert_device({"@a:localhost", "LOST", "", 0, ""});
  ASSERT_TRUE(send("t5", "LOST"));
  to_device.expire_idle();
  EXPECT_EQ(waiting("LOST"), 2u);
}

// Messages for other servers' users go to their servers, once per transaction; messages from
// another server's users are queued here once per message ID.
TEST_F(ToDeviceFixture, MessagesCrossServersOncePerTransaction) {
  json::object body{{"messages", json::object{{"@x:far.example", json::object{{"XDEV", json::object{{"k", 1}}}}},
                                              {"@y:far.example", json::object{{"*", json::object{{"k", 2}}}}},
                                              {"@z:other.example", json::object{{"ZDEV", json::object{{"k", 3}}}}}}}};
  const storage::Transaction txn{sender.user_id, sender.device_id, "/sendToDevice/m.test", "r1"};
  ASSERT_TRUE(to_device.send(sender, "m.test", txn, body));
  ASSERT_TRUE(to_device.send(sender, "m.test", txn, body));  // a retransmission: nothing more
  ASSERT_EQ(remote.size(), 2u);
  EXPECT_EQ(remote[0].first, "far.example");
  EXPECT_EQ(remote[0].second.at("sender"), "@b:localhost");
  EXPECT_EQ(remote[0].second.at("type"), "m.test");
  EXPECT_EQ(remote[0].second.at("messages").as_object().size(), 2u);
  EXPECT_EQ(remote[1].first, "other.example");
  EXPECT_EQ(remote[0].second.at("message_id"), remote[1].second.at("message_id"));

  store->upsert_device({"@a:localhost", "ADEV", "", core::now_ms(), ""});
  json::object edu{{"sender", "@x:far.example"},
                   {"type", "m.room_key_request"},
                   {"message_id", "m1"},
                   {"messages", json::object{{"@a:localhost", json::object{{"ADEV", json::object{{"k", 4}}}}},
                                             {"@q:elsewhere.example", json::object{{"Q", json::object{}}}}}}};
  ASSERT_TRUE(to_device.receive("far.example", edu));
  ASSERT_TRUE(to_device.receive("far.example", edu));  // the same message ID again
  EXPECT_EQ(waiting("ADEV"), 1u);
  EXPECT_EQ(remote.size(), 2u);                           // nothing relayed to a third server
  EXPECT_FALSE(to_device.receive("other.example", edu));  // not that server's user
  edu.erase("message_id");
  EXPECT_FALSE(to_device.receive("far.example", edu));
}

}  // namespace
}  // namespace myelin::homeserver
