#include "homeserver/search/search_request.h"

#include <gtest/gtest.h>

#include "core/base64.h"

namespace myelin::homeserver {
namespace {

core::Result<std::optional<SearchRequest>> parse(std::string_view text,
                                                 const std::optional<std::string>& next_batch = std::nullopt) {
  return parse_search_request(*core::parse_json_object(text), next_batch);
}

std::string errcode(std::string_view text) {
  auto parsed = parse(text);
  return parsed ? "" : parsed.error().errcode;
}

TEST(SearchWordsTest, SplitsAtPunctuationAndFoldsCase) {
  EXPECT_EQ(search_words("Hello, wörld! \"NEAR\" x:y"), (std::vector<std::string>{"hello", "wörld", "near", "x", "y"}));
  EXPECT_TRUE(search_words(" ,.;* ").empty());
  EXPECT_EQ(search_words(std::string(40, 'a').append(" b c d e f g h i j k l m n o p q r s t")).size(),
            kMaxSearchWords);
}

TEST(SearchRequestTest, ParsesEveryField) {
  auto request = parse(R"({"search_categories":{"room_events":{"search_term":"Kiwi pie","keys":["content.body"],
      "filter":{"limit":500,"rooms":["!r:x"]},"order_by":"recent",
      "event_context":{"before_limit":1,"after_limit":50,"include_profile":true},"include_state":true,
      "groupings":{"group_by":[{"key":"sender"},{"key":"room_id"},{"key":"sender"}]}}}})");
  ASSERT_TRUE(request && *request);
  const SearchRequest& r = **request;
  EXPECT_EQ(r.words, (std::vector<std::string>{"kiwi", "pie"}));
  EXPECT_TRUE(r.keys.body);
  EXPECT_FALSE(r.keys.name || r.keys.topic);
  EXPECT_EQ(r.filter.limit, kMaxSearchLimit);
  EXPECT_TRUE(r.filter.matches_room("!r:x"));
  EXPECT_FALSE(r.filter.matches_room("!s:x"));
  EXPECT_EQ(r.order, storage::SearchOrder::kRecent);
  ASSERT_TRUE(r.event_context);
  EXPECT_EQ(r.event_context->before_limit, 1);
  EXPECT_EQ(r.event_context->after_limit, kMaxContextLimit);
  EXPECT_TRUE(r.event_context->include_profile);
  EXPECT_TRUE(r.include_state);
  EXPECT_EQ(r.group_by, (std::vector<GroupKey>{GroupKey::kSender, GroupKey::kRoomId}));

  auto defaults = parse(R"({"search_categories":{"room_events":{"search_term":"x"}}})");
  ASSERT_TRUE(defaults && *defaults);
  EXPECT_EQ((*defaults)->order, storage::SearchOrder::kRank);
  EXPECT_EQ((*defaults)->filter.limit, 10);
  EXPECT_TRUE((*defaults)->keys.body && (*defaults)->keys.name && (*defaults)->keys.topic);
  EXPECT_FALSE((*defaults)->event_context);
  auto no_category = parse(R"({"search_categories":{}})");
  ASSERT_TRUE(no_category);
  EXPECT_FALSE(*no_category);
}

TEST(SearchRequestTest, RefusesWhatTheSpecDoesNotAllow) {
  EXPECT_EQ(errcode(R"({})"), "M_MISSING_PARAM");
  EXPECT_EQ(errcode(R"({"search_categories":[]})"), "M_BAD_JSON");
  EXPECT_EQ(errcode(R"({"search_categories":{"room_events":{}}})"), "M_MISSING_PARAM");
  EXPECT_EQ(errcode(R"({"search_categories":{"room_events":{"search_term":1}}})"), "M_BAD_JSON");
  EXPECT_EQ(errcode(R"({"search_categories":{"room_events":{"search_term":")" + std::string(1001, 'a') + R"("}}})"),
            "M_INVALID_PARAM");
  EXPECT_EQ(errcode(R"({"search_categories":{"room_events":{"search_term":"x","keys":["content.url"]}}})"),
            "M_INVALID_PARAM");
  EXPECT_EQ(errcode(R"({"search_categories":{"room_events":{"search_term":"x","keys":"content.body"}}})"),
            "M_BAD_JSON");
  EXPECT_EQ(errcode(R"({"search_categories":{"room_events":{"search_term":"x","order_by":"oldest"}}})"),
            "M_INVALID_PARAM");
  EXPECT_EQ(errcode(R"({"search_categories":{"room_events":{"search_term":"x","filter":{"limit":"5"}}}})"),
            "M_BAD_JSON");
  EXPECT_EQ(errcode(R"({"search_categories":{"room_events":{"search_term":"x",
      "event_context":{"before_limit":-1}}}})"),
            "M_INVALID_PARAM");
  EXPECT_EQ(errcode(R"({"search_categories":{"room_events":{"search_term":"x","include_state":"yes"}}})"),
            "M_BAD_JSON");
  EXPECT_EQ(errcode(R"({"search_categories":{"room_events":{"search_term":"x",
      "groupings":{"group_by":[{"key":"type"}]}}}})"),
            "M_INVALID_PARAM");
  const char* body = R"({"search_categories":{"room_events":{"search_term":"x"}}})";
  EXPECT_EQ(parse(body, "not a token").error().errcode, "M_INVALID_PARAM");
  SearchToken recent{storage::SearchOrder::kRecent, 9, {0, 5}, {}, {}};
  EXPECT_EQ(parse(body, encode_search_token(recent)).error().errcode, "M_INVALID_PARAM");  // another order
}

TEST(SearchTokenTest, RoundTripsExactly) {
  SearchToken token{storage::SearchOrder::kRank, 123, {0.1 + 0.2, 77}, GroupKey::kSender, "@a|b:x"};
  auto back = decode_search_token(encode_search_token(token));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->order, token.order);
  EXPECT_EQ(back->bound, 123);
  EXPECT_EQ(back->after.rank, 0.1 + 0.2);
  EXPECT_EQ(back->after.pos, 77);
  EXPECT_EQ(back->scope, GroupKey::kSender);
  EXPECT_EQ(back->scope_value, "@a|b:x");
  EXPECT_FALSE(decode_search_token(core::base64url_encode("rank|1|2|x||")));
  EXPECT_FALSE(decode_search_token(core::base64url_encode("rank|-1|2|0||")));
  EXPECT_FALSE(decode_search_token(core::base64url_encode("rank|1|2|0|group|v")));
  EXPECT_FALSE(decode_search_token(core::base64url_encode("rank|1|2")));
}

}  // namespace
}  // namespace myelin::homeserver
