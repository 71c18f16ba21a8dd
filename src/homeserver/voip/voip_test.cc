#include "homeserver/voip/voip.h"

#include <gtest/gtest.h>

namespace myelin::homeserver {
namespace {

VoipOptions turn_config() {
  VoipOptions config;
  config.turn_uris = {"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"};
  config.turn_user_lifetime_s = 600;
  return config;
}

TEST(TurnServerTest, NoUrisNoServer) {
  VoipOptions config;
  config.turn_shared_secret = "secret";
  EXPECT_FALSE(turn_server(config, "@erin:localhost", 1'700'000'000));
}

TEST(TurnServerTest, SharedSecretGivesCoturnRestCredentials) {
  VoipOptions config = turn_config();
  config.turn_shared_secret = "coturn-static-auth-secret";
  auto body = turn_server(config, "@erin:localhost", 1'700'000'000);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->at("username"), "1700000600:@erin:localhost");
  // printf '1700000600:@erin:localhost' | openssl dgst -sha1 -hmac coturn-static-auth-secret -binary | base64
  EXPECT_EQ(body->at("password"), "KD1jVZJpsOibVmLsvipvdaRnc8g=");
  EXPECT_EQ(body->at("ttl"), 600);
  EXPECT_EQ(body->at("uris"),
            (json::array{"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"}));
}

TEST(TurnServerTest, StaticCredentialsWithoutSecret) {
  VoipOptions config = turn_config();
  config.turn_username = "calls";
  config.turn_password = "static-pw";
  auto body = turn_server(config, "@erin:localhost", 1'700'000'000);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->at("username"), "calls");
  EXPECT_EQ(body->at("password"), "static-pw");
}

}  // namespace
}  // namespace myelin::homeserver
