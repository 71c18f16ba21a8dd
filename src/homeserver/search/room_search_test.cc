#include "homeserver/search/room_search.h"

#include <gtest/gtest.h>

#include <map>

#include "homeserver/timeline/test_support.h"

namespace myelin::homeserver {
namespace {

using testing::id;
using testing::test_event;

class RoomSearchTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::Store> store_ = storage::open_sqlite_store({":memory:", false});
  RoomCache rooms_{*store_, 10'000};
  RoomSearch search_{rooms_, *store_, *store_, *store_, *store_};
  int next_ = 0;
  std::map<std::string, std::int64_t> state_groups_;  // per room, the state after its last event

  std::string write(const std::string& room, const std::string& type, std::optional<std::string> state_key,
                    const std::string& sender, json::object content, std::int64_t ts = 0) {
    auto event = test_event(room, "$e" + std::to_string(++next_), type, state_key, sender, std::move(content));
    event.origin_server_ts = ts;
    std::optional<storage::RoomRecord> record;
    if (!store_->room(id<core::RoomId>(room))) record = storage::RoomRecord{room, "12", sender, false};
    event.state_group_before = state_groups_[room];
    state_groups_[room] = store_->persist_events({event}, record).front().state_group;
    return event.event_id;
  }
  std::string member(const std::string& room, const std::string& user, const char* membership) {
    return write(room, "m.room.member", user, user, {{"membership", membership}, {"displayname", user.substr(1, 1)}});
  }
  std::string say(const std::string& room, const std::string& sender, const char* body, std::int64_t ts = 0) {
    return write(room, "m.room.message", std::nullopt, sender, {{"msgtype", "m.text"}, {"body", body}}, ts);
  }
  Reader reader(const char* user) { return {id<core::UserId>(user), "DEV"}; }
  SearchRequest request(const char* term) {
    SearchRequest r;
    r.words = search_words(term);
    r.order = storage::SearchOrder::kRecent;
    return r;
  }
  static std::vector<std::string> ids(const SearchResults& results) {
    std::vector<std::string> out;
    for (const auto& r : results.results) out.emplace_back(r.event.at("event_id").as_string());
    return out;
  }
};

TEST_F(RoomSearchTest, OnlyWhatTheSearcherMayReadOfTheirRooms) {
  write("!r:x", "m.room.create", "", "@a:x", {});
  member("!r:x", "@a:x", "join");
  member("!r:x", "@b:x", "join");
  const std::string pie = say("!r:x", "@a:x", "apple pie");
  member("!r:x", "@b:x", "leave");
  const std::string tart = say("!r:x", "@a:x", "apple tart");
  write("!s:x", "m.room.create", "", "@a:x", {});
  member("!s:x", "@a:x", "join");
  member("!s:x", "@b:x", "join");
  member("!s:x", "@b:x", "leave");
  say("!s:x", "@a:x", "apple crumble");
  write("!t:x", "m.room.create", "", "@c:x", {});  // a room @b never was in
  member("!t:x", "@c:x", "join");
  say("!t:x", "@c:x", "apple juice");

  auto found = search_.search(reader("@b:x"), request("APPLE"));
  ASSERT_TRUE(found);
  EXPECT_EQ(ids(*found), std::vector<std::string>{pie});
  EXPECT_EQ(found->count, 1);
  EXPECT_EQ(found->highlights, std::vector<std::string>{"apple"});
  auto all = search_.search(reader("@a:x"), request("apple"));
  ASSERT_EQ(all->results.size(), 3u);  // newest first, of @a's rooms only
  EXPECT_EQ(ids(*all)[1], tart);
  EXPECT_EQ(ids(*all)[2], pie);
  store_->forget_room(id<core::UserId>("@b:x"), id<core::RoomId>("!r:x"));
  EXPECT_TRUE(search_.search(reader("@b:x"), request("apple"))->results.empty());
}

TEST_F(RoomSearchTest, ContextGroupsStateFiltersAndPages) {
  write("!r:x", "m.room.create", "", "@a:x", {});
  member("!r:x", "@a:x", "join");
  member("!r:x", "@b:x", "join");
  const std::string one = say("!r:x", "@a:x", "kiwi one");
  say("!r:x", "@b:x", "between");
  const std::string two = say("!r:x", "@b:x", "kiwi two");
  const std::string three = say("!r:x", "@a:x", "kiwi three");

  SearchRequest r = request("kiwi");
  r.filter.limit = 2;
  r.event_context = EventContextRequest{1, 1, true};
  r.include_state = true;
  r.group_by = {GroupKey::kRoomId, GroupKey::kSender};
  auto page = search_.search(reader("@a:x"), r);
  ASSERT_TRUE(page);
  EXPECT_EQ(ids(*page), (std::vector<std::string>{three, two}));
  ASSERT_TRUE(page->next_batch);
  const auto& context = *page->results[1].context;  // around "kiwi two"
  ASSERT_EQ(context.before.size(), 1u);
  EXPECT_EQ(context.before[0].at("content").at("body"), "between");
  ASSERT_EQ(context.after.size(), 1u);
  EXPECT_EQ(context.after[0].at("event_id").as_string(), three);
  EXPECT_EQ(context.profile_info->at("@b:x").at("displayname"), "b");
  EXPECT_EQ(page->state->at("!r:x").as_array().size(), 3u);  // create and two members
  const auto& by_sender = page->groups->at("sender").as_object();
  EXPECT_EQ(by_sender.at("@a:x").at("results"), (json::array{json::string(three)}));
  EXPECT_EQ(by_sender.at("@b:x").at("order"), 2);
  EXPECT_EQ(page->groups->at("room_id").at("!r:x").at("results").as_array().size(), 2u);

  r.next_batch = decode_search_token(*page->next_batch);
  auto rest = search_.search(reader("@a:x"), r);
  EXPECT_EQ(ids(*rest), std::vector<std::string>{one});
  EXPECT_FALSE(rest->next_batch);

  // A group's token pages within the group.
  r.next_batch = decode_search_token(by_sender.at("@a:x").at("next_batch").as_string());
  EXPECT_EQ(ids(*search_.search(reader("@a:x"), r)), std::vector<std::string>{one});

  SearchRequest only_b = request("kiwi");
  only_b.filter.senders = std::vector<std::string>{"@b:x"};
  EXPECT_EQ(ids(*search_.search(reader("@a:x"), only_b)), std::vector<std::string>{two});
  only_b.filter.not_rooms = std::vector<std::string>{"!r:x"};
  EXPECT_TRUE(search_.search(reader("@a:x"), only_b)->results.empty());
}

TEST_F(RoomSearchTest, EventNearestATimeThatTheReaderMayRead) {
  write("!r:x", "m.room.create", "", "@a:x", {}, 100);
  member("!r:x", "@a:x", "join");
  // Readable to @b, who joins later: the visibility before it ("shared") allows.
  const std::string visibility =
      write("!r:x", "m.room.history_visibility", "", "@a:x", {{"history_visibility", "joined"}}, 100);
  const std::string early = say("!r:x", "@a:x", "early", 1000);
  const std::string join = write("!r:x", "m.room.member", "@b:x", "@b:x", {{"membership", "join"}}, 2000);
  const std::string late = say("!r:x", "@a:x", "late", 3000);
  auto at = [&](const char* user, std::int64_t ts, storage::Direction dir) -> std::string {
    auto found = search_.event_at(reader(user), id<core::RoomId>("!r:x"), ts, dir);
    return found ? found->event_id : found.error().errcode;
  };
  EXPECT_EQ(at("@a:x", 500, storage::Direction::kForward), early);
  EXPECT_EQ(at("@a:x", 1500, storage::Direction::kBackward), early);
  EXPECT_EQ(at("@b:x", 500, storage::Direction::kForward), join);  // @b may not read "early"
  EXPECT_EQ(at("@b:x", 1500, storage::Direction::kBackward), visibility);
  EXPECT_EQ(at("@b:x", 9999, storage::Direction::kBackward), late);
  EXPECT_EQ(at("@a:x", 3001, storage::Direction::kForward), "M_NOT_FOUND");
  EXPECT_EQ(at("@c:x", 0, storage::Direction::kForward), "M_FORBIDDEN");
}

}  // namespace
}  // namespace myelin::homeserver
