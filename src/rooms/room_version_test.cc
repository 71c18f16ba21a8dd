// The room version table (room_version.cc).
#include "rooms/room_version.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace myelin::rooms {
namespace {

TEST(RoomVersion, SupportsExactly1To12InOrder) {
  auto versions = supported_room_versions();
  ASSERT_EQ(versions.size(), 12u);
  for (std::size_t i = 0; i < versions.size(); ++i) EXPECT_EQ(versions[i].id, std::to_string(i + 1));
  for (const auto& v : versions) EXPECT_TRUE(v.stable);
}

TEST(RoomVersion, FindsKnownAndRefusesUnknown) {
  ASSERT_NE(find_room_version("11"), nullptr);
  EXPECT_EQ(find_room_version("11")->id, "11");
  for (std::string_view unknown : {"", "0", "13", "org.matrix.msc1234", "10 ", "012", "01"}) {
    EXPECT_EQ(find_room_version(unknown), nullptr) << unknown;
  }
  ASSERT_NE(find_room_version(kDefaultRoomVersion), nullptr);
  EXPECT_EQ(kDefaultRoomVersion, "12");
}

// Each flag, per version 1..12, as the spec's pages describe.
TEST(RoomVersion, FlagsPerVersion) {
  auto from = [](int first) {
    std::vector<bool> out;
    for (int v = 1; v <= 12; ++v) out.push_back(v >= first);
    return out;
  };
  auto until = [&](int last) {
    std::vector<bool> out = from(last + 1);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = !out[i];
    return out;
  };
  auto flag = [](bool RoomVersionRules::*member) {
    std::vector<bool> out;
    for (const auto& v : supported_room_versions()) out.push_back(v.*member);
    return out;
  };
  EXPECT_EQ(flag(&RoomVersionRules::state_res_v1), until(1));
  EXPECT_EQ(flag(&RoomVersionRules::redactions_in_auth_rules), until(2));
  EXPECT_EQ(flag(&RoomVersionRules::special_aliases_event), until(5));
  EXPECT_EQ(flag(&RoomVersionRules::enforce_signing_key_validity), from(5));
  EXPECT_EQ(flag(&RoomVersionRules::strict_canonical_json), from(6));
  EXPECT_EQ(flag(&RoomVersionRules::notifications_in_power_level_rules), from(6));
  EXPECT_EQ(flag(&RoomVersionRules::knocking), from(7));
  EXPECT_EQ(flag(&RoomVersionRules::restricted_join_rule), from(8));
  EXPECT_EQ(flag(&RoomVersionRules::redaction_keeps_join_rules_allow), from(8));
  EXPECT_EQ(flag(&RoomVersionRules::redaction_keeps_join_authorised_via), from(9));
  EXPECT_EQ(flag(&RoomVersionRules::knock_restricted_join_rule), from(10));
  EXPECT_EQ(flag(&RoomVersionRules::integer_power_levels), from(10));
  EXPECT_EQ(flag(&RoomVersionRules::updated_redaction_rules), from(11));
  EXPECT_EQ(flag(&RoomVersionRules::use_room_create_sender), from(11));
  EXPECT_EQ(flag(&RoomVersionRules::room_id_from_create_event), from(12));
  EXPECT_EQ(flag(&RoomVersionRules::creators_have_infinite_power), from(12));
  EXPECT_EQ(flag(&RoomVersionRules::state_res_v2_1), from(12));
  for (const auto& v : supported_room_versions()) {
    const int n = std::stoi(std::string(v.id));
    const EventIdFormat expected = n <= 2   ? EventIdFormat::kServerScoped
                                   : n == 3 ? EventIdFormat::kReferenceHash
                                            : EventIdFormat::kReferenceHashUrlSafe;
    EXPECT_EQ(v.event_id_format, expected) << v.id;
  }
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
