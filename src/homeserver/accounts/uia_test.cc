#include "homeserver/accounts/uia.h"

#include <gtest/gtest.h>

namespace myelin::homeserver {
namespace {

core::Status accept_dummy_only(std::string_view type, const json::object&) {
  if (type == "m.login.dummy") return {};
  return core::fail(core::Errc::kForbidden, "nope");
}

TEST(UiaTest, FirstCallIsAChallengeWithoutErrcode) {
  Uia uia;
  auto result = uia.check(json::object{}, {{"m.login.dummy"}}, accept_dummy_only);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().http_status, 401);
  EXPECT_TRUE(result.error().errcode.empty());
  EXPECT_TRUE(result.error().extra.contains("session"));
  EXPECT_EQ(result.error().extra.at("flows").as_array().size(), 1u);
}

TEST(UiaTest, CompletingAFlowSucceedsOnce) {
  Uia uia;
  auto first = uia.check(json::object{}, {{"m.login.dummy"}}, accept_dummy_only);
  std::string session(first.error().extra.at("session").as_string());
  json::object request{{"auth", {{"type", "m.login.dummy"}, {"session", session}}}};
  EXPECT_TRUE(uia.check(request, {{"m.login.dummy"}}, accept_dummy_only));
  uia.set_result(session, "@new:x");
  EXPECT_EQ(uia.result(session), "@new:x");
  // A completed session does not authorise a second operation.
  auto again = uia.check(request, {{"m.login.password"}}, accept_dummy_only);
  EXPECT_FALSE(again);
  EXPECT_FALSE(uia.result(session));
}

TEST(UiaTest, RemembersTheFirstRequest) {
  Uia uia;
  auto first = uia.check(json::object{{"username", "bob"}}, {{"m.login.dummy"}}, accept_dummy_only);
  std::string session(first.error().extra.at("session").as_string());
  json::object later{{"auth", {{"session", session}}}};
  EXPECT_EQ(Uia::session_of(later), session);
  ASSERT_NE(uia.first_request(session), nullptr);
  EXPECT_EQ(uia.first_request(session)->at("username"), "bob");
  EXPECT_EQ(uia.first_request("nope"), nullptr);
}

TEST(UiaTest, KeptRequestsAreBounded) {
  Uia uia;
  auto huge = uia.check(json::object{{"username", std::string(70'000, 'x')}}, {{"m.login.dummy"}}, accept_dummy_only);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().errcode, "M_TOO_LARGE");
  EXPECT_EQ(huge.error().http_status, 413);
  // Sessions opened and never finished: beyond 16 MB of first requests all are forgotten.
  const json::object large{{"username", std::string(60'000, 'x')}};
  auto first = uia.check(large, {{"m.login.dummy"}}, accept_dummy_only);
  std::string session(first.error().extra.at("session").as_string());
  for (int i = 0; i < 400 && uia.first_request(session); ++i)
    (void)uia.check(large, {{"m.login.dummy"}}, accept_dummy_only);
  EXPECT_EQ(uia.first_request(session), nullptr);
}

TEST(UiaTest, FailedStageReportsErrorAndKeepsSession) {
  Uia uia;
  json::object request{{"auth", {{"type", "m.login.password"}}}};
  auto result = uia.check(request, {{"m.login.password"}}, accept_dummy_only);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().http_status, 401);
  EXPECT_EQ(result.error().errcode, "M_FORBIDDEN");
  EXPECT_TRUE(result.error().extra.contains("flows"));
}

TEST(UiaTest, StageNotOfferedIsRefused) {
  Uia uia;
  json::object request{{"auth", {{"type", "m.login.dummy"}}}};
  auto result = uia.check(request, {{"m.login.registration_token"}}, accept_dummy_only);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().http_status, 401);
}

}  // namespace
}  // namespace myelin::homeserver
