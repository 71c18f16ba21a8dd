#include "homeserver/federation/remote_media.h"

#include <gtest/gtest.h>

#include "homeserver/federation/fake_transport.h"

namespace myelin::homeserver {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string multipart(std::string_view media_headers, std::string_view bytes) {
  return "--b1\r\nContent-Type: application/json\r\n\r\n{}\r\n--b1\r\n" + std::string(media_headers) + "\r\n" +
         std::string(bytes) + "\r\n--b1--\r\n";
}
const Headers kMultipart = {{"Content-Type", "multipart/mixed; boundary=b1"}};

struct RemoteMediaClientTest : ::testing::Test {
  RemoteMediaClientTest() {
    options.server_name = "here.example";
    options.enabled = true;
  }
  void fetch(std::optional<RemoteThumbnail> thumbnail = std::nullopt, std::string server = "there.example") {
    client.fetch(server, "abcDEF_-1", thumbnail, 100, [this](core::Result<RemoteMediaFile> file) {
      result = std::move(file);
      ++answers;
    });
  }
  FederationOptions options;
  FakeTransport transport;
  RemoteMediaClient client{options, transport};
  std::optional<core::Result<RemoteMediaFile>> result;
  int answers = 0;
};

TEST_F(RemoteMediaClientTest, AsksTheFederationMediaApiAsThisServer) {
  fetch();
  ASSERT_EQ(transport.sent.size(), 1u);
  const OutgoingRequest& request = transport.sent[0].request;
  EXPECT_EQ(request.destination, "there.example");
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/_matrix/federation/v1/media/download/abcDEF_-1");
  EXPECT_TRUE(request.sign);
  EXPECT_FALSE(request.body);
  transport.answer(
      200,
      multipart("Content-Type: image/png\r\nContent-Disposition: inline; filename*=utf-8''a%20b.png\r\n", "PNGDATA"),
      kMultipart);
  ASSERT_TRUE(result && *result) << (*result).error().message;
  EXPECT_EQ((*result)->bytes, "PNGDATA");
  EXPECT_EQ((*result)->content_type, "image/png");
  EXPECT_EQ((*result)->upload_name, "a b.png");
}

TEST_F(RemoteMediaClientTest, ThumbnailsCarryTheirSize) {
  fetch(RemoteThumbnail{96, 96, true, false});
  EXPECT_EQ(transport.sent.at(0).request.target,
            "/_matrix/federation/v1/media/thumbnail/abcDEF_-1?width=96&height=96&method=crop&animated=false");
}

TEST_F(RemoteMediaClientTest, FallsBackToTheDeprecatedEndpointForAnOldServer) {
  fetch(RemoteThumbnail{320, 240, false, false});
  transport.answer(404, R"({"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"})");
  ASSERT_EQ(transport.sent.size(), 2u);
  const OutgoingRequest& legacy = transport.sent[1].request;
  EXPECT_EQ(legacy.destination, "there.example");
  EXPECT_EQ(legacy.target,
            "/_matrix/media/v3/thumbnail/there.example/abcDEF_-1?allow_remote=false&width=320&height=240&method=scale"
            "&animated=false");
  EXPECT_FALSE(legacy.sign);
  EXPECT_FALSE(result);
  transport.answer(200, "JPEG", {{"Content-Type", "image/jpeg"}});
  ASSERT_TRUE(result && *result);
  EXPECT_EQ((*result)->bytes, "JPEG");
  EXPECT_EQ((*result)->content_type, "image/jpeg");
}

TEST_F(RemoteMediaClientTest, TheFallbackDecision) {
  auto response = [](int status, std::string body) { return IncomingResponse{status, std::move(body), "", {}}; };
  EXPECT_TRUE(needs_legacy_fallback(response(404, R"({"errcode":"M_UNRECOGNIZED"})")));
  EXPECT_TRUE(needs_legacy_fallback(response(400, R"({"errcode":"M_UNRECOGNIZED"})")));
  EXPECT_TRUE(needs_legacy_fallback(response(405, R"({"errcode":"M_UNRECOGNIZED"})")));
  EXPECT_TRUE(needs_legacy_fallback(response(405, "")));
  EXPECT_TRUE(needs_legacy_fallback(response(404, "<html>Not Found</html>")));  // a proxy in front of it
  EXPECT_FALSE(needs_legacy_fallback(response(404, R"({"errcode":"M_NOT_FOUND"})")));
  EXPECT_FALSE(needs_legacy_fallback(response(400, R"({"errcode":"M_UNKNOWN","error":"Cannot thumbnail"})")));
  EXPECT_FALSE(needs_legacy_fallback(response(200, "")));
  EXPECT_FALSE(needs_legacy_fallback(response(0, "")));
  EXPECT_FALSE(needs_legacy_fallback(response(502, R"({"errcode":"M_UNRECOGNIZED"})")));
}

TEST_F(RemoteMediaClientTest, NoSuchMediaIsNotFoundAndIsNotAskedAgain) {
  fetch();
  transport.answer(404, R"({"errcode":"M_NOT_FOUND","error":"nope"})");
  EXPECT_EQ(transport.sent.size(), 1u);
  ASSERT_TRUE(result && !*result);
  EXPECT_EQ((*result).error().http_status, 404);
  EXPECT_EQ((*result).error().errcode, "M_NOT_FOUND");
}

TEST_F(RemoteMediaClientTest, ErrorsForTheClient) {
  struct Case {
    int status;
    std::string body, error;
    int want_status;
    std::string want_errcode;
  };
  const Case cases[] = {
      {0, "", "connection refused", 502, "M_UNKNOWN"},
      {0, "", "the answer of there.example is too large", 502, "M_TOO_LARGE"},
      {504, R"({"errcode":"M_NOT_YET_UPLOADED"})", "", 504, "M_NOT_YET_UPLOADED"},
      {429, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":2000})", "", 429, "M_LIMIT_EXCEEDED"},
      {502, R"({"errcode":"M_TOO_LARGE"})", "", 502, "M_TOO_LARGE"},
      {500, "", "", 502, "M_UNKNOWN"},
      {200, "not multipart", "", 502, "M_UNKNOWN"},
  };
  for (const Case& c : cases) {
    result.reset();
    fetch();
    auto done = std::move(transport.sent.back().done);
    done(IncomingResponse{c.status, c.body, c.error, {}});
    ASSERT_TRUE(result && !*result) << c.status;
    EXPECT_EQ((*result).error().http_status, c.want_status) << c.status << c.error;
    EXPECT_EQ((*result).error().errcode, c.want_errcode) << c.status << c.error;
  }
}

TEST_F(RemoteMediaClientTest, FollowsALocationOnceWithoutSigning) {
  fetch();
  transport.answer(200, multipart("Location: https://cdn.example.org/m/1?sig=abc\r\n", ""), kMultipart);
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].request.destination, "");  // FakeTransport's record of fetch_url
  EXPECT_EQ(transport.sent[1].request.target, "https://cdn.example.org/m/1?sig=abc");
  EXPECT_EQ(transport.sent[1].request.max_response_bytes, 100u);
  transport.answer(200, "BYTES",
                   {{"Content-Type", "video/mp4"}, {"Content-Disposition", "inline; filename=\"v.mp4\""}});
  ASSERT_TRUE(result && *result);
  EXPECT_EQ((*result)->bytes, "BYTES");
  EXPECT_EQ((*result)->content_type, "video/mp4");
  EXPECT_EQ((*result)->upload_name, "v.mp4");
  EXPECT_EQ(transport.sent.size(), 2u);
}

TEST_F(RemoteMediaClientTest, ARedirectThatFailsIsTheServersFault) {
  fetch();
  transport.answer(200, multipart("Location: https://cdn.example.org/gone\r\n", ""), kMultipart);
  transport.answer(404, "");
  ASSERT_TRUE(result && !*result);
  EXPECT_EQ((*result).error().http_status, 502);
}

TEST_F(RemoteMediaClientTest, RespectsTheServerListsAndFederationBeingOff) {
  options.denied_servers = {"there.example"};
  fetch();
  EXPECT_TRUE(transport.sent.empty());
  ASSERT_TRUE(result && !*result);
  EXPECT_EQ((*result).error().http_status, 403);
  options.denied_servers.clear();
  options.enabled = false;
  fetch();
  EXPECT_TRUE(transport.sent.empty());
  EXPECT_EQ((*result).error().http_status, 404);
}

TEST_F(RemoteMediaClientTest, UnsafeContentTypesBecomeOctetStream) {
  fetch();
  transport.answer(200, multipart("Content-Type: text/html\x01\r\n", "x"), kMultipart);
  ASSERT_TRUE(result && *result);
  EXPECT_EQ((*result)->content_type, "application/octet-stream");
}

TEST(DispositionFileName, ReadsEitherFormAndRefusesControlCharacters) {
  EXPECT_EQ(disposition_file_name("attachment; filename=plain.txt"), "plain.txt");
  EXPECT_EQ(disposition_file_name("inline; filename=\"q \\\"x\\\".txt\""), "q \"x\".txt");
  EXPECT_EQ(disposition_file_name("inline; filename=a.txt; filename*=UTF-8''%C3%A9t%C3%A9.txt"),
            "\xC3\xA9t\xC3\xA9.txt");
  EXPECT_EQ(disposition_file_name("inline"), "");
  EXPECT_EQ(disposition_file_name("inline; filename*=utf-8''a%0Ab"), "");
  EXPECT_EQ(disposition_file_name("inline; filename=" + std::string(256, 'a')), "");
}

}  // namespace
}  // namespace myelin::homeserver
