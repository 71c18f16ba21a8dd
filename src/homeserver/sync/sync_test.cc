#include "homeserver/sync/sync.h"

#include <gtest/gtest.h>

namespace myelin::homeserver {
namespace {

TEST(StreamTokenTest, HistoryTokensOnlyForPagination) {
  // Back-filled history lies below 0 (storage/event_store.h): "h<n>" is position -n.
  EXPECT_EQ(stream_token(-7), "h7");
  EXPECT_EQ(parse_pagination_token("h7"), -7);
  EXPECT_EQ(parse_pagination_token("s42"), 42);
  EXPECT_FALSE(parse_pagination_token("h0"));
  EXPECT_FALSE(parse_pagination_token("h-1"));
  EXPECT_FALSE(parse_pagination_token("h"));
  EXPECT_FALSE(parse_pagination_token("h99999999999999999999"));
  EXPECT_FALSE(parse_stream_token("h7"));  // never a /sync or /events position
  EXPECT_FALSE(parse_sync_token("h7"));
}

TEST(StreamTokenTest, RoundTrip) {
  EXPECT_EQ(stream_token(42), "s42");
  EXPECT_EQ(parse_stream_token("s42"), 42);
  EXPECT_EQ(parse_stream_token("42"), 42);
  EXPECT_FALSE(parse_stream_token("s-1"));
  EXPECT_FALSE(parse_stream_token("sx"));
  EXPECT_FALSE(parse_stream_token(""));
  EXPECT_EQ(parse_stream_token("s42_40"), 42);
  EXPECT_EQ(sync_token({42, 42}), "s42");
  EXPECT_EQ(sync_token({42, 40}), "s42_40");
  auto token = parse_sync_token("s42_40");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->pos, 42);
  EXPECT_EQ(token->to_device, 40);
  EXPECT_EQ(parse_sync_token("s42")->to_device, 42);
  EXPECT_FALSE(parse_sync_token("s42_43"));  // delivered past the stream: forged
  EXPECT_FALSE(parse_sync_token("s42_"));
  EXPECT_FALSE(parse_sync_token("s_1"));
}

}  // namespace
}  // namespace myelin::homeserver
