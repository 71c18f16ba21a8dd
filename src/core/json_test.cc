#include "core/json.h"

#include <gtest/gtest.h>

namespace myelin::core {
namespace {

std::string canon(std::string_view text) {
  Result<json::value> v = parse_json(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? canonical_json(*v) : "<parse error>";
}

// appendices.md, "Canonical JSON" > "Examples".
TEST(CanonicalJson, SpecExamples) {
  EXPECT_EQ(canon("{}"), "{}");
  EXPECT_EQ(canon(R"({
    "one": 1,
    "two": "Two"
})"),
            R"({"one":1,"two":"Two"})");
  EXPECT_EQ(canon(R"({
    "b": "2",
    "a": "1"
})"),
            R"({"a":"1","b":"2"})");
  EXPECT_EQ(canon(R"({"b":"2","a":"1"})"), R"({"a":"1","b":"2"})");
  EXPECT_EQ(canon(R"({
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
})"),
            R"({"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe",)"
            R"("three_pids":[{"address":"john.doe@example.org","medium":"email"},)"
            R"({"address":"123456789","medium":"msisdn"}]},"success":true}})");
  EXPECT_EQ(canon(R"({
    "a": "日本語"
})"),
            R"({"a":"日本語"})");
  EXPECT_EQ(canon(R"({
    "本": 2,
    "日": 1
})"),
            R"({"日":1,"本":2})");
  EXPECT_EQ(canon(R"({
    "a": "\u65E5"
})"),
            R"({"a":"日"})");
  EXPECT_EQ(canon(R"({
    "a": null
})"),
            R"({"a":null})");
  EXPECT_EQ(canon(R"({
    "a": -0,
    "b": 1e10
})"),
            R"({"a":0,"b":10000000000})");
}

TEST(CanonicalJson, EscapesOnlyWhatTheGrammarRequires) {
  EXPECT_EQ(canon(R"(["\"\\\/"])"), R"(["\"\\/"])");
  EXPECT_EQ(canon(R"(["\b\f\n\r\t"])"), R"(["\b\f\n\r\t"])");
  EXPECT_EQ(canon(R"(["\u0000\u0001\u000B\u001f\u007f"])"), "[\"\\u0000\\u0001\\u000b\\u001f\x7f\"]");
  EXPECT_EQ(canon(R"(["\u00e9\ud83d\ude00"])"), "[\"\xc3\xa9\xf0\x9f\x98\x80\"]");
  // Plain text around, between and after escapes is kept as it is.
  EXPECT_EQ(canon(R"(["ab\"cd\\e\nf\u0002gh", "\tx", "y\r", "plain"])"),
            R"(["ab\"cd\\e\nf\u0002gh","\tx","y\r","plain"])");
}

TEST(CanonicalJson, SortsByCodePoint) {
  // U+00E9 (2 bytes) sorts before U+1F600 (4 bytes); upper case before lower case.
  EXPECT_EQ(canon(R"({"😀":1,"é":2,"b":3,"B":4,"":5})"), R"({"":5,"B":4,"b":3,"é":2,"😀":1})");
}

TEST(CanonicalJson, WithoutSkipsOnlyTopLevelMembers) {
  const json::object event = parse_json_object(R"({"b":1,"unsigned":{"x":1},"a":{"unsigned":2},"hashes":3})").value();
  EXPECT_EQ(canonical_json_without(event, {"unsigned", "hashes"}), R"({"a":{"unsigned":2},"b":1})");
  EXPECT_EQ(canonical_json_without(event, {}), canonical_json(event));
}

TEST(CanonicalJson, Numbers) {
  EXPECT_EQ(canon("[0,-1,9007199254740991,-9007199254740991,18446744073709551615]"),
            "[0,-1,9007199254740991,-9007199254740991,18446744073709551615]");
  EXPECT_EQ(canon("[1.5,-0.25,1e300]"), "[1.5,-0.25,1e+300]");
  EXPECT_EQ(canon("[0.1]"), "[0.1]");
}

TEST(ParseJson, AcceptsOneValue) {
  EXPECT_TRUE(parse_json(" [1, 2] \n"));
  EXPECT_TRUE(parse_json("\"x\""));
  EXPECT_TRUE(parse_json("null"));
}

TEST(ParseJson, RejectsSyntaxErrorsAndTrailingGarbage) {
  for (std::string_view bad : {"", "{", "{\"a\":1} x", "{\"a\":1}{}", "[1,]", "{\"a\":1,}", "/* c */ {}", "{'a':1}",
                               "[01]", "NaN", "[1] // c"}) {
    Result<json::value> r = parse_json(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().errcode, "M_NOT_JSON");
    EXPECT_EQ(r.error().http_status, 400);
  }
}

TEST(ParseJson, RejectsInvalidUtf8) {
  EXPECT_FALSE(parse_json("\"\xff\""));
  EXPECT_FALSE(parse_json("\"\xc3\""));          // truncated sequence
  EXPECT_FALSE(parse_json("\"\xc0\xaf\""));      // overlong '/'
  EXPECT_FALSE(parse_json("\"\xed\xa0\x80\""));  // encoded surrogate
  EXPECT_FALSE(parse_json("{\"\xfe\":1}"));
  EXPECT_TRUE(parse_json("\"\xc3\xa9\""));
  EXPECT_FALSE(parse_json(R"(["\ud800"])"));  // lone surrogate escapes
  EXPECT_FALSE(parse_json(R"(["\udc00x"])"));
}

TEST(ParseJson, RejectsDuplicateKeysAtAnyDepth) {
  for (std::string_view bad : {R"({"a":1,"a":2})", R"({"a":1,"\u0061":1})", R"({"x":{"b":[],"c":0,"b":[]}})",
                               R"([1,{"k":{"a":1,"a":1}}])", R"({"x":{"a":1},"y":{"a":1},"x":{"a":1}})"}) {
    Result<json::value> r = parse_json(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().errcode, "M_NOT_JSON");
  }
  // The same key in different objects is no duplicate.
  EXPECT_TRUE(parse_json(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})"));
}

TEST(ParseJson, LimitsNestingDepthTo64) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(parse_json(nested(64)));
  Result<json::value> deep = parse_json(nested(65));
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().errcode, "M_NOT_JSON");
  EXPECT_FALSE(parse_json(nested(100000)));
}

TEST(ParseJsonObject, RequiresAnObject) {
  EXPECT_TRUE(parse_json_object("{\"a\":1}"));
  for (std::string_view bad : {"[]", "1", "\"s\"", "null", "{"}) {
    Result<json::object> r = parse_json_object(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().errcode, "M_NOT_JSON");
  }
  EXPECT_EQ(parse_json_object("{\"a\":1}")->at("a").as_int64(), 1);
}

TEST(CheckEventNumbers, AcceptsSafeIntegers) {
  auto v = parse_json(R"({"a":9007199254740991,"b":-9007199254740991,"c":[0,{"d":1}],"e":"1.5","f":true})");
  ASSERT_TRUE(v);
  EXPECT_TRUE(check_event_numbers(*v));
  auto zero = parse_json(R"({"a":-0})");  // -0 is the integer 0, as in the spec's example
  ASSERT_TRUE(zero);
  EXPECT_TRUE(check_event_numbers(*zero));
}

TEST(CheckEventNumbers, RefusesOutOfRangeIntegers) {
  for (std::string_view text : {R"({"a":9007199254740992})", R"({"a":-9007199254740992})",
                                R"({"a":18446744073709551615})", R"({"a":99999999999999999999999})"}) {
    auto v = parse_json(text);
    ASSERT_TRUE(v) << text;
    Status s = check_event_numbers(*v);
    ASSERT_FALSE(s) << text;
    EXPECT_EQ(s.error().errcode, "M_BAD_JSON");
    EXPECT_NE(s.error().message.find("a"), std::string::npos);
  }
}

TEST(CheckEventNumbers, RefusesFloatsAndNamesThePath) {
  auto v = parse_json(R"({"content":{"list":[1,2,{"x":1.5}]}})");
  ASSERT_TRUE(v);
  Status s = check_event_numbers(*v);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().errcode, "M_BAD_JSON");
  EXPECT_NE(s.error().message.find("content.list[2].x"), std::string::npos) << s.error().message;

  auto top = parse_json("1e10");
  ASSERT_TRUE(top);
  EXPECT_FALSE(check_event_numbers(*top));
}

TEST(ToString, IsCompact) {
  auto v = parse_json(R"({ "a" : [ 1 , 2 ] })");
  ASSERT_TRUE(v);
  EXPECT_EQ(to_string(*v), R"({"a":[1,2]})");
}

}  // namespace
}  // namespace myelin::core
