// The room version table (room_version.cc).
#include "rooms/room_version.h"

#include <gtest/gtest.h>

namespace myelin::rooms {
namespace {

TEST(RoomVersion, SupportsExactly10To12InOrder) {
  auto versions = supported_room_versions();
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0].id, "10");
  EXPECT_EQ(versions[1].id, "11");
  EXPECT_EQ(versions[2].id, "12");
  for (const auto& v : versions) EXPECT_TRUE(v.stable);
}

TEST(RoomVersion, FindsKnownAndRefusesUnknown) {
  ASSERT_NE(find_room_version("11"), nullptr);
  EXPECT_EQ(find_room_version("11")->id, "11");
  for (std::string_view unknown : {"", "1", "9", "13", "org.matrix.msc1234", "10 ", "012"}) {
    EXPECT_EQ(find_room_version(unknown), nullptr) << unknown;
  }
  ASSERT_NE(find_room_version(kDefaultRoomVersion), nullptr);
  EXPECT_EQ(kDefaultRoomVersion, "12");
}

TEST(RoomVersion, EachVersionIsThePreviousPlusItsDelta) {
  const RoomVersionRules& v10 = *find_room_version("10");
  const RoomVersionRules& v11 = *find_room_version("11");
  const RoomVersionRules& v12 = *find_room_version("12");
  EXPECT_FALSE(v10.updated_redaction_rules);
  EXPECT_FALSE(v10.use_room_create_sender);
  EXPECT_FALSE(v10.room_id_from_create_event);
  EXPECT_FALSE(v10.creators_have_infinite_power);
  EXPECT_FALSE(v10.state_res_v2_1);

  EXPECT_TRUE(v11.updated_redaction_rules);
  EXPECT_TRUE(v11.use_room_create_sender);
  EXPECT_FALSE(v11.room_id_from_create_event);
  EXPECT_FALSE(v11.creators_have_infinite_power);
  EXPECT_FALSE(v11.state_res_v2_1);

  EXPECT_TRUE(v12.updated_redaction_rules);
  EXPECT_TRUE(v12.use_room_create_sender);
  EXPECT_TRUE(v12.room_id_from_create_event);
  EXPECT_TRUE(v12.creators_have_infinite_power);
  EXPECT_TRUE(v12.state_res_v2_1);
}

}  // namespace
}  // namespace myelin::rooms
