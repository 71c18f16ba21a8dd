#include <gtest/gtest.h>

#include <limits>

#include "core/json.h"

#include "storage/sqlite/search.h"
#include "storage/store.h"

namespace myelin::storage {
namespace {

constexpr StreamPos kEnd = std::numeric_limits<StreamPos>::max();

// A room of its own batch: a create event, then one event per (type, state_key, content JSON).
class SearchStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> store_ = open_sqlite_store({":memory:", false});

  // Persists an event in `room` and returns its position.
  StreamPos add(const std::string& room, const std::string& type, std::optional<std::string> state_key,
                const std::string& content, std::int64_t ts = 0, const std::string& sender = "@a:x") {
    NewEvent e;
    e.event_id = "$" + std::to_string(++next_id_);
    e.room_id = room;
    e.type = type;
    e.state_key = std::move(state_key);
    e.sender = sender;
    e.origin_server_ts = ts;
    e.json = R"({"content":)" + content + "}";
    // What the builder would index (homeserver/timeline/search_text.h), here only the plain fields.
    const char* column = type == "m.room.message" ? "body"
                         : e.state_key != ""      ? nullptr
                         : type == "m.room.name"  ? "name"
                         : type == "m.room.topic" ? "topic"
                                                  : nullptr;
    auto fields = core::parse_json_object(content);
    auto text = column && fields ? fields->if_contains(column) : nullptr;
    if (text && text->is_string()) e.search_text = SearchText{column, std::string(text->get_string())};
    std::optional<RoomRecord> record;
    if (!store_->room(*core::RoomId::parse(room))) record = RoomRecord{room, "12", "@a:x", false};
    return store_->persist_events({e}, record).front().pos;
  }
  StreamPos say(const std::string& room, const std::string& body, std::int64_t ts = 0,
                const std::string& sender = "@a:x") {
    return add(room, "m.room.message", std::nullopt, R"({"msgtype":"m.text","body":")" + body + R"("})", ts, sender);
  }
  std::string id_of(StreamPos pos) { return "$" + std::to_string(pos); }

  SearchQuery query(std::vector<std::string> words, std::vector<SearchRoom> rooms) {
    SearchQuery q;
    q.words = std::move(words);
    q.rooms = std::move(rooms);
    q.bound = store_->current_pos();
    return q;
  }
  static std::vector<StreamPos> positions(const SearchPage& page) {
    std::vector<StreamPos> out;
    for (const auto& hit : page.hits) out.push_back(hit.pos);
    return out;
  }

  int next_id_ = 0;
};

TEST(SearchExpressionTest, QuotesWordsAndNamesColumnsAndRooms) {
  EXPECT_EQ(sqlite::room_token("!a:b"), "r21613a62");
  EXPECT_EQ(sqlite::match_expression({"hello", "wor\"ld"}, {}, {}), R"({body name topic} : ("hello"* "wor""ld"*))");
  EXPECT_EQ(sqlite::match_expression({"x"}, {true, false, false}, {"!a:b", "!c:d"}),
            R"(room : ("r21613a62" OR "r21633a64") AND {body} : ("x"*))");
}

TEST_F(SearchStoreTest, FindsWordsByPrefixInEveryIndexedKey) {
  const StreamPos body = say("!r:x", "Let us meet at noon");
  const StreamPos name = add("!r:x", "m.room.name", "", R"({"name":"Meeting room"})");
  const StreamPos topic = add("!r:x", "m.room.topic", "", R"({"topic":"plans of the weekly meetup"})");
  say("!r:x", "nothing to see");
  add("!r:x", "m.room.member", "@a:x", R"({"membership":"join","displayname":"meet"})");
  auto q = query({"meet"}, {{"!r:x", {{0, kEnd}}}});
  q.order = SearchOrder::kRecent;
  auto page = store_->search_events(q);
  EXPECT_EQ(positions(page), (std::vector<StreamPos>{topic, name, body}));
  EXPECT_EQ(page.count, 3);
  EXPECT_FALSE(page.more);
  q.keys = {true, false, false};
  EXPECT_EQ(positions(store_->search_events(q)), (std::vector<StreamPos>{body}));
  q.keys = {false, false, true};
  q.words = {"PLANS"};
  EXPECT_EQ(positions(store_->search_events(q)), (std::vector<StreamPos>{topic}));
  q.words = {"meet", "noon"};  // every word
  q.keys = {};
  EXPECT_EQ(positions(store_->search_events(q)), (std::vector<StreamPos>{body}));
}

TEST_F(SearchStoreTest, OnlyReadablePositionsOfTheGivenRooms) {
  const StreamPos a1 = say("!r:x", "apple one");
  const StreamPos b1 = say("!s:x", "apple two");
  const StreamPos a2 = say("!r:x", "apple three");
  auto q = query({"apple"}, {{"!r:x", {{0, a1}}}});
  q.order = SearchOrder::kRecent;
  auto page = store_->search_events(q);
  EXPECT_EQ(positions(page), (std::vector<StreamPos>{a1}));
  EXPECT_EQ(page.count, 1);
  q.rooms = {{"!r:x", {{0, a1}, {a2 - 1, a2}}}, {"!s:x", {{0, kEnd}}}};
  EXPECT_EQ(positions(store_->search_events(q)), (std::vector<StreamPos>{a2, b1, a1}));
  q.accept = [](std::string_view, std::string_view sender) { return sender != "@a:x"; };
  EXPECT_TRUE(store_->search_events(q).hits.empty());
  q.accept = nullptr;
  q.bound = b1;  // a page's bound keeps later events out
  EXPECT_EQ(positions(store_->search_events(q)), (std::vector<StreamPos>{b1, a1}));
}

TEST_F(SearchStoreTest, PagesInBothOrdersWithoutRepeats) {
  std::vector<StreamPos> all;
  for (int i = 0; i < 7; ++i) all.push_back(say("!r:x", i % 2 ? "kiwi kiwi kiwi" : "kiwi and a long tail of words"));
  const StreamPos bound = all.back();
  for (SearchOrder order : {SearchOrder::kRecent, SearchOrder::kRank}) {
    auto q = query({"kiwi"}, {{"!r:x", {{0, kEnd}}}});
    q.bound = bound;
    q.order = order;
    q.limit = 3;
    std::vector<StreamPos> seen;
    std::vector<double> ranks;
    for (int pages = 0; pages < 10; ++pages) {
      auto page = store_->search_events(q);
      EXPECT_EQ(page.count, 7);
      for (const auto& hit : page.hits) {
        seen.push_back(hit.pos);
        ranks.push_back(hit.rank);
      }
      say("!r:x", "kiwi arrives later");  // outside the first page's bound
      if (!page.more) break;
      q.after = SearchCursor{page.hits.back().rank, page.hits.back().pos};
    }
    std::vector<StreamPos> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, all);
    if (order == SearchOrder::kRecent) {
      EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
    } else {
      EXPECT_TRUE(std::is_sorted(ranks.rbegin(), ranks.rend()));
      EXPECT_GT(ranks.front(), ranks.back());  // the short messages with the word thrice come first
      EXPECT_EQ(seen.front() % 2, all[1] % 2);
    }
  }
}

TEST_F(SearchStoreTest, RedactedEventsAreNotFound) {
  const StreamPos kept = say("!r:x", "secret plan");
  const StreamPos gone = say("!r:x", "secret plan b");
  NewEvent redaction;
  redaction.event_id = "$redaction";
  redaction.room_id = "!r:x";
  redaction.type = "m.room.redaction";
  redaction.sender = "@a:x";
  redaction.json = R"({"content":{}})";
  redaction.state_group_before = kStateGroupOfPrevious;
  redaction.redaction = std::make_pair(id_of(gone), std::string(R"({"content":{}})"));
  store_->persist_events({redaction}, std::nullopt);
  auto q = query({"secret"}, {{"!r:x", {{0, kEnd}}}, {"!e:x", {{0, kEnd}}}});
  EXPECT_EQ(positions(store_->search_events(q)), (std::vector<StreamPos>{kept}));
}

TEST_F(SearchStoreTest, RowsMovedIntoTheIndexInBulkAreAllFound) {
  for (int i = 0; i < 450; ++i) say("!r:x", "grape " + std::to_string(i));  // two moves, 50 left waiting
  auto q = query({"grape"}, {{"!r:x", {{0, kEnd}}}});
  q.order = SearchOrder::kRecent;
  q.limit = 1000;
  auto page = store_->search_events(q);
  EXPECT_EQ(page.hits.size(), 450u);
  EXPECT_EQ(page.count, 450);
  EXPECT_EQ(page.hits.front().pos, store_->current_pos());
  say("!r:x", "grape late");
  q.bound = store_->current_pos();
  EXPECT_EQ(store_->search_events(q).count, 451);
}

TEST_F(SearchStoreTest, HostileContentIsIndexedSafelyOrNotAtAll) {
  add("!r:x", "m.room.message", std::nullopt, R"({"body":42})");
  add("!r:x", "m.room.topic", "", R"({"topic":7,"m.topic":{"m.text":"plain"}})");
  add("!r:x", "m.room.topic", "", R"({"m.topic":{"m.text":[1,"x",{"body":["no"]}]}})");
  add("!r:x", "m.room.name", "x", R"({"name":"stateful"})");  // not the room's name
  const StreamPos quoted = say("!r:x", R"(say \"NEAR\" OR room : x)");
  auto q = query({"near"}, {{"!r:x", {{0, kEnd}}}});
  EXPECT_EQ(positions(store_->search_events(q)), (std::vector<StreamPos>{quoted}));
  q.words = {"stateful"};
  EXPECT_TRUE(store_->search_events(q).hits.empty());
}

TEST_F(SearchStoreTest, NearestEventInTimeWithinReadableRanges) {
  const StreamPos a = say("!r:x", "a", 100);
  const StreamPos b = say("!r:x", "b", 200);
  const StreamPos c = say("!r:x", "c", 200);
  const StreamPos d = say("!r:x", "d", 300);
  const std::vector<PosBounds> all{{0, kEnd}};
  auto at = [&](std::int64_t ts, Direction dir, const std::vector<PosBounds>& ranges) -> StreamPos {
    auto found = store_->event_near_time("!r:x", ts, dir, ranges);
    return found ? found->pos : 0;
  };
  EXPECT_EQ(at(150, Direction::kForward, all), b);
  EXPECT_EQ(at(200, Direction::kForward, all), b);
  EXPECT_EQ(at(200, Direction::kBackward, all), c);
  EXPECT_EQ(at(250, Direction::kBackward, all), c);
  EXPECT_EQ(at(50, Direction::kBackward, all), 0);
  EXPECT_EQ(at(301, Direction::kForward, all), 0);
  EXPECT_EQ(at(0, Direction::kForward, {{b, d}}), c);
  EXPECT_EQ(at(1000, Direction::kBackward, {{0, a}, {c, d}}), d);
  EXPECT_EQ(at(250, Direction::kBackward, {{0, a}, {c, d}}), a);
  EXPECT_EQ(at(0, Direction::kForward, {}), 0);
}

TEST(OpenIdStoreTest, TokensExpireAndAreBoundedPerUser) {
  auto store = open_sqlite_store({":memory:", false});
  store->add_openid_token("t1", "@a:x", 1000, 0, 2);
  store->add_openid_token("t2", "@a:x", 2000, 0, 2);
  EXPECT_EQ(store->openid_token_user("t1", 999), "@a:x");
  EXPECT_FALSE(store->openid_token_user("t1", 1000));
  store->add_openid_token("t3", "@a:x", 3000, 10, 2);  // t1 (expiring first) goes
  EXPECT_FALSE(store->openid_token_user("t1", 10));
  EXPECT_EQ(store->openid_token_user("t2", 10), "@a:x");
  EXPECT_EQ(store->openid_token_user("t3", 10), "@a:x");
  EXPECT_FALSE(store->openid_token_user("other", 10));
  store->purge_openid_tokens(2500);
  EXPECT_FALSE(store->openid_token_user("t2", 10));
  EXPECT_EQ(store->openid_token_user("t3", 10), "@a:x");
}

}  // namespace
}  // namespace myelin::storage
