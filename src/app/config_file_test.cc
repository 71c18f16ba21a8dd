#include "app/config_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace myelin::app {
namespace {

// A config file in a fresh folder, removed afterwards.
class ConfigFileTest : public ::testing::Test {
 protected:
  std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("myelin_config_test_" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(folder); }
  void TearDown() override { std::filesystem::remove_all(folder); }
  core::Result<Config> load(const std::string& yaml) {
    const std::string path = (folder / "myelin.yaml").string();
    std::ofstream(path) << yaml;
    return load_config(path);
  }
};

TEST_F(ConfigFileTest, TheGeneratedConfigLoadsBackAsItWasWritten) {
  Config written;
  written.server.data_dir = folder.string();
  auto loaded = load(render_config(written));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(render_config(*loaded), render_config(written));
}

TEST_F(ConfigFileTest, AServerNameMustBeOne) {
  for (const char* bad : {"my_server", "example.org:0", "", "exa mple.org"})
    EXPECT_FALSE(load(std::string("server_name: \"") + bad + "\"\n")) << bad;
  for (const char* good : {"example.org", "example.org:8448", "[::1]:8448", "127.0.0.1"})
    EXPECT_TRUE(load(std::string("server_name: \"") + good + "\"\n")) << good;
}

TEST_F(ConfigFileTest, TheRoomCacheKeepsAtLeastOneStateEvent) {
  EXPECT_FALSE(load("rooms: {cache_state_events: 0}\n"));
  auto config = load("rooms: {cache_state_events: 5}\n");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->timeline.room_cache_state_events, 5);
}

TEST_F(ConfigFileTest, ThePageCacheIsBetweenOneMegabyteAndFourGigabytes) {
  EXPECT_FALSE(load("storage: {page_cache_mb: 0}\n"));
  EXPECT_FALSE(load("storage: {page_cache_mb: 4097}\n"));
  auto config = load("storage: {page_cache_mb: 64}\n");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server.page_cache_mb, 64u);
}

// Each part of the config gets its keys: the server's, the client API's and every domain's.
TEST_F(ConfigFileTest, KeysReachTheirPartsAndServerNameEveryDomain) {
  auto config = load(
      "server_name: example.org\n"
      "data_dir: data\n"
      "listen: {port: 9000}\n"
      "rate_limits: {burst: 7}\n"
      "registration: {open: true}\n"
      "limits: {filters_per_user: 3, push_rules_per_user: 4, aliases_per_user: 5, backup_keys_per_user: 6}\n"
      "presence: {enabled: true}\n"
      "media: {quota_bytes_per_user: 8, url_previews: true}\n"
      "voip: {turn_uris: [\"turn:t.example.org\"], turn_shared_secret: s}\n");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server.data_dir, (folder / "data").string());
  EXPECT_EQ(config->server.listen_port, 9000);
  EXPECT_EQ(config->client_api.rate_burst, 7);
  EXPECT_TRUE(config->accounts.registration_open);
  EXPECT_EQ(config->timeline.filters_per_user, 3);
  EXPECT_EQ(config->push.push_rules_per_user, 4);
  EXPECT_EQ(config->timeline.aliases_per_user, 5);
  EXPECT_EQ(config->e2ee.backup_keys_per_user, 6);
  EXPECT_TRUE(config->presence.presence_enabled);
  EXPECT_EQ(config->media.media_quota_bytes, 8u);
  EXPECT_TRUE(config->url_previews.url_previews);
  EXPECT_EQ(config->voip.turn_shared_secret, "s");
  for (const std::string* name :
       {&config->timeline.server_name, &config->accounts.server_name, &config->media.server_name,
        &config->e2ee.server_name, &config->membership.server_name, &config->moderation.server_name})
    EXPECT_EQ(*name, "example.org");
}

TEST_F(ConfigFileTest, FederationSettingsAreChecked) {
  auto loaded = load(
      "server_name: \"hs1.test\"\nfederation:\n  enabled: true\n  resolve: {\"hs2.test\": \"127.0.0.1:8449\", "
      "\"hs3.test:1\": \"[::1]:8450\"}\n  denied_servers: [\"*.evil.org\"]\n");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->federation.server_name, "hs1.test");
  EXPECT_EQ(loaded->federation.resolve.at("hs2.test"), "127.0.0.1:8449");
  EXPECT_EQ(loaded->federation.denied_servers, std::vector<std::string>{"*.evil.org"});
  EXPECT_FALSE(loaded->federation_listener());  // no certificate
  for (const char* bad : {"  resolve: {\"hs2.test\": \"localhost:8449\"}\n",
                          "  resolve: {\"hs2.test\": \"127.0.0.1\"}\n", "  resolve: {\"bad name\": \"127.0.0.1:1\"}\n",
                          "  allowed_servers: [\"a b\"]\n", "  tls_certificate: \"/x.pem\"\n"})
    EXPECT_FALSE(load(std::string("federation:\n") + bad)) << bad;
  EXPECT_TRUE(load("federation:\n  enabled: true\n  tls_certificate: \"/c.pem\"\n  tls_private_key: \"/k.pem\"\n")
                  ->federation_listener());
}

}  // namespace
}  // namespace myelin::app
