#include "homeserver/sync/sent_members.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace myelin::homeserver {
namespace {

// Adds `count` members of `room` to the device's record in one pass.
void send(SentMembersCache& cache, const std::string& device, const std::string& room, int count) {
  cache.with(device, [&](SentMembers& sent) {
    for (int i = 0; i < count; ++i) sent.add(room, "@u" + std::to_string(i) + ":localhost");
  });
}

bool has(SentMembersCache& cache, const std::string& device, const std::string& room, const std::string& user) {
  bool found = false;
  cache.with(device, [&](SentMembers& sent) { found = sent.has(room, user); });
  return found;
}

TEST(SentMembersTest, RemembersPerDeviceAndRoomAndCountsEachMemberOnce) {
  SentMembersCache cache(1000);
  send(cache, "@a|A", "!r", 3);
  send(cache, "@a|A", "!r", 3);
  send(cache, "@a|A", "!s", 2);
  send(cache, "@b|B", "!r", 1);
  EXPECT_EQ(cache.size(), 6u);
  EXPECT_TRUE(has(cache, "@a|A", "!s", "@u1:localhost"));
  EXPECT_FALSE(has(cache, "@b|B", "!r", "@u1:localhost"));
  cache.with("@a|A", [](SentMembers& sent) { sent.forget("!r"); });
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(has(cache, "@a|A", "!r", "@u0:localhost"));
}

TEST(SentMembersTest, ADeviceThatHoldsNothingKeepsNoRecord) {
  SentMembersCache cache(1000);
  for (int i = 0; i < 100; ++i) cache.with("@a|D" + std::to_string(i), [](SentMembers&) {});
  EXPECT_EQ(cache.size(), 0u);
  send(cache, "@a|A", "!r", 1);
  cache.with("@a|A", [](SentMembers& sent) { sent.forget("!r"); });
  EXPECT_EQ(cache.size(), 0u);
}

TEST(SentMembersTest, BeyondTheCapacityEverythingIsForgottenAndAGreedyDeviceForgetsItsOwn) {
  SentMembersCache cache(100);
  send(cache, "@a|A", "!r", 11);  // more than a tenth: not kept
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(has(cache, "@a|A", "!r", "@u0:localhost"));
  for (int device = 0; device < 11; ++device) send(cache, "@a|D" + std::to_string(device), "!r", 10);
  EXPECT_EQ(cache.size(), 110u);  // over: the next pass starts afresh
  EXPECT_FALSE(has(cache, "@a|D0", "!r", "@u0:localhost"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(SentMembersTest, APassThatThrowsIsCountedAllTheSame) {
  SentMembersCache cache(1000);
  EXPECT_THROW(cache.with("@a|A",
                          [](SentMembers& sent) {
                            sent.add("!r", "@u:localhost");
                            throw std::runtime_error("handler failed");
                          }),
               std::runtime_error);
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace myelin::homeserver
