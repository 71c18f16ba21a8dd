#include "core/error.h"

#include <gtest/gtest.h>

namespace myelin::core {
namespace {

TEST(Error, MakeErrorUsesTableDefaults) {
  Error e = make_error(Errc::kForbidden, "no");
  EXPECT_EQ(e.errcode, "M_FORBIDDEN");
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(e.message, "no");

  EXPECT_EQ(make_error(Errc::kUnknownToken, "").http_status, 401);
  EXPECT_EQ(make_error(Errc::kLimitExceeded, "").errcode, "M_LIMIT_EXCEEDED");
  EXPECT_EQ(make_error(Errc::kLimitExceeded, "").http_status, 429);
  EXPECT_EQ(make_error(Errc::kTooLarge, "").http_status, 413);
  EXPECT_EQ(make_error(Errc::kNotJson, "").errcode, "M_NOT_JSON");
  EXPECT_EQ(make_error(Errc::kResourceLimitExceeded, "").errcode, "M_RESOURCE_LIMIT_EXCEEDED");
}

TEST(Error, InternalIsUnknownWith500) {
  Error e = make_error(Errc::kInternal, "boom");
  EXPECT_EQ(e.errcode, "M_UNKNOWN");
  EXPECT_EQ(e.http_status, 500);
  EXPECT_EQ(make_error(Errc::kUnknown, "").http_status, 400);
}

TEST(Error, StatusOverride) {
  Error e = make_error(Errc::kUnrecognized, "wrong method", 405);
  EXPECT_EQ(e.errcode, "M_UNRECOGNIZED");
  EXPECT_EQ(e.http_status, 405);
  EXPECT_EQ(make_error(Errc::kUnrecognized, "").http_status, 404);
}

TEST(Error, ToJsonIncludesExtraFields) {
  Error e = make_error(Errc::kLimitExceeded, "slow down");
  e.extra["retry_after_ms"] = 2000;
  e.extra["errcode"] = "M_SPOOFED";  // must not override the real errcode
  boost::json::object body = e.to_json();
  EXPECT_EQ(body.at("errcode").as_string(), "M_LIMIT_EXCEEDED");
  EXPECT_EQ(body.at("error").as_string(), "slow down");
  EXPECT_EQ(body.at("retry_after_ms").as_int64(), 2000);
  EXPECT_EQ(body.size(), 3u);
}

TEST(Error, FailBuildsUnexpected) {
  Result<int> r = fail(Errc::kNotFound, "gone");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(r.error().http_status, 404);
}

}  // namespace
}  // namespace myelin::core
