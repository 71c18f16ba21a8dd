#include "homeserver/federation/media_multipart.h"

#include <gtest/gtest.h>

namespace myelin::homeserver {
namespace {

constexpr std::string_view kType = "multipart/mixed; boundary=6e1d9e2b";

std::string answer(std::string_view media_headers, std::string_view bytes) {
  return "--6e1d9e2b\r\nContent-Type: application/json\r\n\r\n{}\r\n--6e1d9e2b\r\n" + std::string(media_headers) +
         "\r\n" + std::string(bytes) + "\r\n--6e1d9e2b--\r\n";
}

TEST(MediaMultipart, ParsesTheBytesAndTheirHeaders) {
  const std::string bytes("\x89PNG\r\n\x1a\n\0\r\n--6e1d9e2", 20);  // a near-delimiter inside the bytes
  auto part = parse_media_multipart(
      kType, answer("Content-Type: image/png\r\nContent-Disposition: inline; filename=a.png\r\n", bytes), 1 << 20);
  ASSERT_TRUE(part) << part.error().message;
  EXPECT_EQ(part->bytes, bytes);
  EXPECT_EQ(part->content_type, "image/png");
  EXPECT_EQ(part->content_disposition, "inline; filename=a.png");
  EXPECT_TRUE(part->location.empty());
}

TEST(MediaMultipart, AcceptsAQuotedBoundaryPreambleEpilogueAndEmptyMedia) {
  const std::string body = "preamble\r\n" + answer("Content-Type: text/plain\r\n", "") + "epilogue";
  auto part = parse_media_multipart("Multipart/Mixed; charset=x; Boundary=\"6e1d9e2b\"", body, 10);
  ASSERT_TRUE(part) << part.error().message;
  EXPECT_EQ(part->bytes, "");
  EXPECT_EQ(part->content_type, "text/plain");
}

TEST(MediaMultipart, ReadsARedirect) {
  auto part = parse_media_multipart(kType, answer("Location: https://cdn.example.org/x?sig=1\r\n", ""), 10);
  ASSERT_TRUE(part) << part.error().message;
  EXPECT_EQ(part->location, "https://cdn.example.org/x?sig=1");
}

TEST(MediaMultipart, RefusesAMissingOrBadBoundary) {
  const std::string body = answer("Content-Type: image/png\r\n", "x");
  for (std::string_view type : {"multipart/mixed", "multipart/mixed; boundary=", "multipart/related; boundary=6e1d9e2b",
                                "application/json", "", "multipart/mixed; boundary=a\x01b"}) {
    auto part = parse_media_multipart(type, body, 10);
    ASSERT_FALSE(part) << type;
    EXPECT_EQ(part.error().http_status, 502);
    EXPECT_EQ(part.error().errcode, "M_UNKNOWN");
  }
  EXPECT_FALSE(parse_media_multipart("multipart/mixed; boundary=" + std::string(71, 'a'), body, 10));
  EXPECT_FALSE(parse_media_multipart("multipart/mixed; boundary=other", body, 10));
}

TEST(MediaMultipart, RefusesATruncatedBody) {
  const std::string body = answer("Content-Type: image/png\r\n", "0123456789");
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, std::size_t{40}, body.size() - 16, body.size() - 4})
    EXPECT_FALSE(parse_media_multipart(kType, body.substr(0, cut), 100)) << cut;
  EXPECT_TRUE(parse_media_multipart(kType, body.substr(0, body.size() - 2), 100));  // the final CRLF is epilogue
}

TEST(MediaMultipart, RefusesTooLargeMediaWith502TooLarge) {
  auto part = parse_media_multipart(kType, answer("Content-Type: image/png\r\n", "0123456789"), 9);
  ASSERT_FALSE(part);
  EXPECT_EQ(part.error().http_status, 502);
  EXPECT_EQ(part.error().errcode, "M_TOO_LARGE");
  EXPECT_TRUE(parse_media_multipart(kType, answer("Content-Type: image/png\r\n", "0123456789"), 10));
}

TEST(MediaMultipart, RefusesExtraOrMissingPartsAndBadMetadata) {
  const std::string three =
      "--6e1d9e2b\r\nContent-Type: application/json\r\n\r\n{}\r\n--6e1d9e2b\r\nContent-Type: image/png\r\n\r\nx\r\n"
      "--6e1d9e2b\r\nContent-Type: image/png\r\n\r\ny\r\n--6e1d9e2b--\r\n";
  EXPECT_FALSE(parse_media_multipart(kType, three, 10));
  EXPECT_FALSE(
      parse_media_multipart(kType, "--6e1d9e2b\r\nContent-Type: application/json\r\n\r\n{}\r\n--6e1d9e2b--", 10));
  const std::string not_json =
      "--6e1d9e2b\r\nContent-Type: text/plain\r\n\r\n{}\r\n--6e1d9e2b\r\n\r\nx\r\n--6e1d9e2b--\r\n";
  EXPECT_FALSE(parse_media_multipart(kType, not_json, 10));
  const std::string array =
      "--6e1d9e2b\r\nContent-Type: application/json\r\n\r\n[]\r\n--6e1d9e2b\r\n\r\nx\r\n--6e1d9e2b--\r\n";
  EXPECT_FALSE(parse_media_multipart(kType, array, 10));
  EXPECT_FALSE(parse_media_multipart(kType, answer("No colon here\r\n", "x"), 10));
}

TEST(MediaMultipart, OurFrameParsesBack) {
  const auto frame = media_multipart_frame("image/jpeg", "inline; filename*=utf-8''a%20b.jpg");
  auto part = parse_media_multipart(frame.content_type, frame.before + "JPEGBYTES" + frame.after, 100);
  ASSERT_TRUE(part) << part.error().message;
  EXPECT_EQ(part->bytes, "JPEGBYTES");
  EXPECT_EQ(part->content_type, "image/jpeg");
  EXPECT_EQ(part->content_disposition, "inline; filename*=utf-8''a%20b.jpg");
  EXPECT_NE(media_multipart_frame("a/b", "").content_type, frame.content_type);  // a fresh boundary
}

}  // namespace
}  // namespace myelin::homeserver
