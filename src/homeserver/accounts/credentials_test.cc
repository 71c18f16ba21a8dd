// Registration and password credentials at the service level: the UIA flows registration
// offers, tokens used once, guests, shared-secret registration, and password login and
// re-confirmation of the logged-in user.
#include "homeserver/accounts/credentials.h"

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "homeserver/accounts/registration.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

struct AccountServicesTest : ::testing::Test {
  AccountsOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  http::InlineScheduler scheduler;
  std::string cross_signing_key = "MASTERKEY";
  Accounts accounts{config, *store, [](const std::string&) {}, [](const core::UserId&) {}};
  Uia uia;
  Registration registration{config, *store, accounts, uia, scheduler};
  Credentials credentials{config, accounts, uia, scheduler,
                          [this](const std::string&, const std::string& id) { return id == cross_signing_key; }};

  core::Result<json::object> register_account(const json::object& body, bool guest = false) {
    std::optional<core::Result<json::object>> answer;
    registration.register_account(body, guest, [&](core::Result<json::object> result) { answer = std::move(result); });
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(core::fail(core::Errc::kUnknown, "no answer"));
  }
  core::Result<json::object> login(const std::string& user, const std::string& password,
                                   std::optional<std::string> device_id = std::nullopt) {
    std::optional<core::Result<json::object>> answer;
    json::object body{{"type", "m.login.password"}, {"identifier", {{"type", "m.id.user"}, {"user", user}}}};
    credentials.login(body, password, std::move(device_id), "",
                      [&](core::Result<json::object> result) { answer = std::move(result); });
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(core::fail(core::Errc::kUnknown, "no answer"));
  }
  core::Status confirm(const Session& session, const json::object& body,
                       std::string operation = "DELETE /_matrix/client/v3/devices/PHONE") {
    std::optional<core::Status> verdict;
    credentials.confirm(session, std::move(operation), body, [&](core::Status status) { verdict = std::move(status); });
    EXPECT_TRUE(verdict.has_value());
    return verdict.value_or(core::fail(core::Errc::kUnknown, "no answer"));
  }
};

TEST_F(AccountServicesTest, ClosedRegistrationTakesATokenOnce) {
  store->add_registration_token({"tok", 1, 0, 0, std::nullopt});
  EXPECT_TRUE(registration.token_valid("tok"));
  EXPECT_FALSE(registration.token_valid("other"));
  auto challenge = register_account({{"username", "Alice"}, {"password", "pw"}});
  ASSERT_FALSE(challenge);
  EXPECT_EQ(challenge.error().http_status, 401);
  EXPECT_EQ(challenge.error().extra.at("flows"),
            (json::array{json::object{{"stages", json::array{"m.login.registration_token"}}}}));
  const std::string session(challenge.error().extra.at("session").as_string());

  auto refused =
      register_account({{"auth", {{"type", "m.login.registration_token"}, {"token", "bad"}, {"session", session}}}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode, "M_UNAUTHORIZED");
  // The username and password of the session's first request still count.
  auto done =
      register_account({{"auth", {{"type", "m.login.registration_token"}, {"token", "tok"}, {"session", session}}}});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->at("user_id"), "@alice:localhost");
  EXPECT_EQ(done->at("home_server"), "localhost");
  EXPECT_TRUE(done->contains("access_token"));
  EXPECT_FALSE(registration.token_valid("tok"));
  EXPECT_TRUE(login("alice", "pw"));
}

TEST_F(AccountServicesTest, OpenRegistrationOffersDummyAndInhibitLoginGivesNoSession) {
  config.registration_open = true;
  auto challenge = register_account({{"username", "bob"}, {"password", "pw"}});
  ASSERT_FALSE(challenge);
  const std::string session(challenge.error().extra.at("session").as_string());
  EXPECT_EQ(challenge.error().extra.at("flows").as_array().size(), 2u);
  auto done = register_account({{"inhibit_login", true}, {"auth", {{"type", "m.login.dummy"}, {"session", session}}}});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(*done, (json::object{{"user_id", "@bob:localhost"}}));
  // A retry of the completed session answers for the same user.
  auto retry = register_account({{"auth", {{"type", "m.login.dummy"}, {"session", session}}}});
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->at("user_id"), "@bob:localhost");
}

TEST_F(AccountServicesTest, GuestsOnlyWhenGuestAccessIsOn) {
  auto refused = register_account({}, true);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode, "M_FORBIDDEN");
  config.guest_access = true;
  auto guest = register_account({{"initial_device_display_name", "phone"}}, true);
  ASSERT_TRUE(guest);
  EXPECT_TRUE(guest->contains("access_token"));
}

TEST_F(AccountServicesTest, SharedSecretRegistrationChecksNonceAndHmac) {
  EXPECT_EQ(registration.issue_nonce().error().http_status, 400);
  config.registration_shared_secret = "s3cret";
  auto nonce = registration.issue_nonce();
  ASSERT_TRUE(nonce);
  auto mac_of = [](const std::string& nonce) {
    return core::hmac_sha1_hex("s3cret", nonce + '\0' + "admin" + '\0' + "pw" + '\0' + "admin");
  };
  SharedSecretRequest request{std::string(nonce->at("nonce").as_string()), "admin", "pw", "0000", true};
  EXPECT_EQ(registration.register_with_shared_secret(request).error().errcode, "M_FORBIDDEN");
  // The refused attempt used the nonce up.
  request.mac = mac_of(request.nonce);
  EXPECT_EQ(registration.register_with_shared_secret(request).error().errcode, "M_UNKNOWN");
  request.nonce = std::string(registration.issue_nonce()->at("nonce").as_string());
  request.mac = mac_of(request.nonce);
  auto done = registration.register_with_shared_secret(request);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->at("user_id"), "@admin:localhost");
}

TEST_F(AccountServicesTest, PasswordLoginAndReconfirmation) {
  ASSERT_TRUE(accounts.register_user("carol", core::hash_password("pw"), false));
  EXPECT_EQ(login("carol", "wrong").error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(login("nobody", "pw").error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(login("carol", "pw", cross_signing_key).error().errcode, "M_INVALID_PARAM");
  auto session = login("carol", "pw", "PHONE");
  ASSERT_TRUE(session);
  EXPECT_EQ(session->at("device_id"), "PHONE");

  const Session carol{*core::UserId::parse("@carol:localhost"), "PHONE"};
  auto challenge = confirm(carol, {});
  ASSERT_FALSE(challenge);
  EXPECT_TRUE(challenge.error().errcode.empty());
  const std::string id(challenge.error().extra.at("session").as_string());
  auto as_other =
      confirm(carol, {{"auth", {{"type", "m.login.password"}, {"user", "dave"}, {"password", "pw"}, {"session", id}}}});
  EXPECT_EQ(as_other.error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(as_other.error().http_status, 403);  // a refusal, not a stage to retry
  // The session belongs to the operation it began with: another path, or another body, is refused.
  const json::object own{{"type", "m.login.password"}, {"user", "carol"}, {"password", "pw"}, {"session", id}};
  auto elsewhere = confirm(carol, {{"auth", own}}, "DELETE /_matrix/client/v3/devices/TABLET");
  EXPECT_EQ(elsewhere.error().http_status, 403);
  auto other_body = confirm(carol, {{"auth", own}, {"logout_devices", false}});
  EXPECT_EQ(other_body.error().http_status, 403);
  EXPECT_TRUE(confirm(
      carol, {{"auth", {{"type", "m.login.password"}, {"user", "carol"}, {"password", "pw"}, {"session", id}}}}));

  bool changed = false;
  credentials.change_password(carol, "new", true, [&] { changed = true; });
  EXPECT_TRUE(changed);
  EXPECT_FALSE(login("carol", "pw"));
  EXPECT_TRUE(login("carol", "new"));
}

}  // namespace
}  // namespace myelin::homeserver
