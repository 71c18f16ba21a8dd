#include <gtest/gtest.h>

#include <map>

#include "storage/store.h"

namespace myelin::storage {
namespace {

struct UserDirectoryStoreTest : ::testing::Test {
  std::unique_ptr<Store> store = open_sqlite_store({":memory:", false});
  int events = 0;
  std::map<std::string, std::int64_t> state_groups;  // each room's latest

  void user(const std::string& user_id, const std::string& name) {
    ASSERT_TRUE(store->create_user(UserRecord{user_id, "", false, false, 0, name, "mxc://x/" + user_id.substr(1, 1)}));
  }

  NewEvent state(const std::string& room_id, const std::string& type, const std::string& key, const std::string& json) {
    NewEvent e;
    e.event_id = "$" + std::to_string(++events);
    e.room_id = room_id;
    e.type = type;
    e.state_key = key;
    e.sender = "@a:x";
    e.json = json;
    e.state_group_before = kStateGroupOfPrevious;
    return e;
  }

  void room(const std::string& room_id, const std::string& join_rule, const std::vector<std::string>& joined) {
    std::vector<NewEvent> batch{
        state(room_id, "m.room.create", "", "{}"),
        state(room_id, "m.room.join_rules", "", R"({"content":{"join_rule":")" + join_rule + R"("}})")};
    batch.front().state_group_before = 0;
    for (const auto& member : joined)
      batch.push_back(state(room_id, "m.room.member", member, R"({"content":{"membership":"join"}})"));
    state_groups[room_id] = store->persist_events(batch, RoomRecord{room_id, "12", "@a:x", false}).back().state_group;
  }

  void set(const std::string& room_id, const std::string& type, const std::string& key, const std::string& json) {
    NewEvent event = state(room_id, type, key, json);
    event.state_group_before = state_groups[room_id];
    state_groups[room_id] = store->persist_events({event}, std::nullopt).back().state_group;
  }

  std::vector<std::string> search(const std::string& searcher, std::vector<std::string> words, bool public_rooms,
                                  std::size_t limit = 10) {
    std::vector<std::string> out;
    for (const auto& entry : store->search_user_directory(searcher, words, public_rooms, limit, 1000))
      out.push_back(entry.user_id);
    return out;
  }

  void SetUp() override {
    user("@alice:x", "Alice Ådler");
    user("@bob:x", "Bob");
    user("@carol:x", "Carol");
    user("@dave:x", "");
    room("!private:x", "invite", {"@alice:x", "@bob:x"});
    room("!public:x", "public", {"@carol:x"});
  }
};

using Users = std::vector<std::string>;

TEST_F(UserDirectoryStoreTest, FindsUsersWhoShareARoomByIdOrNamePrefix) {
  EXPECT_EQ(search("@bob:x", {"ali"}, false), Users{"@alice:x"});
  EXPECT_EQ(search("@bob:x", {"adl"}, false), Users{"@alice:x"});  // diacritics folded
  EXPECT_EQ(search("@bob:x", {"ALICE", "ådler"}, false), Users{"@alice:x"});
  EXPECT_EQ(search("@bob:x", {"@alice:x"}, false), Users{"@alice:x"});
  EXPECT_EQ(search("@bob:x", {"alice", "nobody"}, false), Users{});
  EXPECT_EQ(search("@bob:x", {"lice"}, false), Users{});  // word starts only
  // Not oneself through a shared room, nor someone in no shared room.
  EXPECT_EQ(search("@bob:x", {"bob"}, false), Users{});
  EXPECT_EQ(search("@bob:x", {"carol"}, false), Users{});
  EXPECT_EQ(search("@dave:x", {"alice"}, false), Users{});
  // Words without a token character, and quotes, are no trouble.
  EXPECT_EQ(search("@bob:x", {"\"*", "@:"}, false), Users{});
  EXPECT_EQ(search("@bob:x", {"ali\"ce"}, false), Users{});
  EXPECT_EQ(search("@bob:x", {}, false), Users{});
}

TEST_F(UserDirectoryStoreTest, PublicRoomsCountOnlyWhenAsked) {
  EXPECT_EQ(search("@dave:x", {"carol"}, true), Users{"@carol:x"});
  EXPECT_EQ(search("@carol:x", {"carol"}, true), Users{"@carol:x"});  // oneself in a public room
  EXPECT_EQ(search("@dave:x", {"alice"}, true), Users{});
  // World-readable history makes a room public too: with both, it stays public when either goes.
  set("!public:x", "m.room.history_visibility", "", R"({"content":{"history_visibility":"world_readable"}})");
  EXPECT_EQ(search("@dave:x", {"carol"}, true), Users{"@carol:x"});
  set("!public:x", "m.room.join_rules", "", R"({"content":{"join_rule":"invite"}})");
  EXPECT_EQ(search("@dave:x", {"carol"}, true), Users{"@carol:x"});
  set("!public:x", "m.room.history_visibility", "", R"({"content":{"history_visibility":"shared"}})");
  EXPECT_EQ(search("@dave:x", {"carol"}, true), Users{});
}

TEST_F(UserDirectoryStoreTest, FollowsJoinsLeavesAndRenames) {
  set("!private:x", "m.room.member", "@bob:x", R"({"content":{"membership":"leave"}})");
  EXPECT_EQ(search("@alice:x", {"bob"}, false), Users{});
  set("!private:x", "m.room.member", "@bob:x", R"({"content":{"membership":"join"}})");
  EXPECT_EQ(search("@alice:x", {"bob"}, false), Users{"@bob:x"});
  store->set_displayname("@bob:x", "Robert");
  EXPECT_EQ(search("@alice:x", {"bob"}, false), Users{"@bob:x"});  // the user ID still matches
  EXPECT_EQ(search("@alice:x", {"rob"}, false), Users{"@bob:x"});
  store->set_displayname("@alice:x", "Al");
  EXPECT_EQ(search("@bob:x", {"adler"}, false), Users{});
  store->set_deactivated("@alice:x");
  EXPECT_EQ(search("@bob:x", {"alice"}, false), Users{});
}

TEST_F(UserDirectoryStoreTest, ResultsAreBounded) {
  for (int i = 0; i < 5; ++i) user("@many" + std::to_string(i) + ":x", "Many");
  std::vector<std::string> joined{"@alice:x"};
  for (int i = 0; i < 5; ++i) joined.push_back("@many" + std::to_string(i) + ":x");
  room("!big:x", "invite", joined);
  EXPECT_EQ(search("@alice:x", {"many"}, false, 10).size(), 5u);
  EXPECT_EQ(search("@alice:x", {"many"}, false, 3).size(), 3u);
  const auto entries = store->search_user_directory("@alice:x", {"many"}, false, 10, 2);
  EXPECT_EQ(entries.size(), 2u);  // only the best two candidates were looked at
  EXPECT_EQ(entries[0].displayname, "Many");
  EXPECT_EQ(entries[0].avatar_url, "mxc://x/m");
}

}  // namespace
}  // namespace myelin::storage
