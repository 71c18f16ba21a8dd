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

// Sessions are kept between requests, so each way a token ends is tried on a token that was
// just used (and so kept): afterwards it is refused, and a guest upgraded is no guest any more.
TEST(AccountsTest, AKeptSessionEndsWithItsToken) {
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  AccountsOptions options;
  Accounts accounts(
      options, *store, [](const std::string&) {}, [](const core::UserId&) {});
  const std::string user = *accounts.register_user("alice", "", false);
  auto used = [&](const std::string& token) { return accounts.authenticate(token, "192.0.2.1").has_value(); };

  const LoginResult logged_out = accounts.create_session(user, std::nullopt, "");
  ASSERT_TRUE(used(logged_out.access_token));
  accounts.logout(*accounts.authenticate(logged_out.access_token, ""));
  EXPECT_FALSE(used(logged_out.access_token));

  const LoginResult replaced = accounts.create_session(user, "PHONE", "");
  ASSERT_TRUE(used(replaced.access_token));
  const LoginResult again = accounts.create_session(user, "PHONE", "");  // the same device logs in again
  EXPECT_FALSE(used(replaced.access_token));
  EXPECT_TRUE(used(again.access_token));

  accounts.delete_device(user, "PHONE");
  EXPECT_FALSE(used(again.access_token));

  const LoginResult kept = accounts.create_session(user, "KEPT", "");
  const LoginResult other = accounts.create_session(user, "OTHER", "");
  ASSERT_TRUE(used(kept.access_token) && used(other.access_token));
  accounts.change_password(user, "", true, "KEPT");
  EXPECT_TRUE(used(kept.access_token));
  EXPECT_FALSE(used(other.access_token));

  accounts.deactivate(*core::UserId::parse(user));
  EXPECT_FALSE(used(kept.access_token));

  const std::string guest = accounts.register_guest();
  const LoginResult guest_session = accounts.create_session(guest, std::nullopt, "");
  ASSERT_TRUE(accounts.authenticate(guest_session.access_token, "")->guest);
  ASSERT_TRUE(accounts.upgrade_guest(guest, ""));
  EXPECT_FALSE(accounts.authenticate(guest_session.access_token, "")->guest);
}

}  // namespace
}  // namespace myelin::homeserver
