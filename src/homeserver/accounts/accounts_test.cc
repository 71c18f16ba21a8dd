#include "homeserver/accounts/accounts.h"

#include <gtest/gtest.h>

#include "storage/store.h"

namespace myelin::homeserver {
namespace {

TEST(TruncateIpTest, KeepsOnlyTheNetwork) {
  EXPECT_EQ(truncate_ip("192.0.2.77"), "192.0.2.0");
  EXPECT_EQ(truncate_ip("::ffff:198.51.100.9"), "198.51.100.0");
  EXPECT_EQ(truncate_ip("2001:db8:1:2:3:4:5:6"), "2001:db8:1::");
  EXPECT_EQ(truncate_ip("not an ip"), "");
}

std::int64_t last_seen(Accounts& accounts, const std::string& user_id, const std::string& device_id) {
  for (const auto& device : accounts.devices(user_id))
    if (device.device_id == device_id) return device.last_seen_ts;
  return -1;
}

// A device's address is written at most once a minute, and what remembers those writes is
// bounded: once it holds kMaxIpWrites devices it forgets them, and a device seen again is
// written again.
TEST(AccountsTest, TheLastAddressWrittenPerDeviceIsRememberedWithinABound) {
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  AccountsOptions options;
  Accounts accounts(
      options, *store, [](const std::string&) {}, [](const core::UserId&) {});
  const std::string user = accounts.register_guest();
  const LoginResult first = accounts.create_session(user, std::nullopt, "");
  ASSERT_TRUE(accounts.authenticate(first.access_token, "192.0.2.1"));
  ASSERT_GT(last_seen(accounts, user, first.device_id), 0);
  // Each of its own guest account: one user's devices are counted at every login.
  auto another_device = [&] {
    return accounts.create_session(accounts.register_guest(), std::nullopt, "").access_token;
  };
  auto unseen = [&] { store->upsert_device({user, first.device_id, "", 0, ""}); };
  unseen();
  ASSERT_TRUE(accounts.authenticate(first.access_token, "192.0.2.1"));
  EXPECT_EQ(last_seen(accounts, user, first.device_id), 0);  // written less than a minute ago
  for (std::size_t i = 1; i < Accounts::kMaxIpWrites; ++i)
    ASSERT_TRUE(accounts.authenticate(another_device(), "192.0.2.1"));
  ASSERT_TRUE(accounts.authenticate(first.access_token, "192.0.2.1"));
  EXPECT_EQ(last_seen(accounts, user, first.device_id), 0);  // still remembered: the bound is reached, not passed
  ASSERT_TRUE(accounts.authenticate(another_device(), "192.0.2.1"));
  ASSERT_TRUE(accounts.authenticate(first.access_token, "192.0.2.1"));
  EXPECT_GT(last_seen(accounts, user, first.device_id), 0);  // forgotten with the rest, so written again
}

}  // namespace
}  // namespace myelin::homeserver
