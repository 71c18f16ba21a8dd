#include "homeserver/federation/key_ring.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "homeserver/federation/fake_transport.h"
#include "homeserver/federation/server_keys.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

struct KeyRingTest : ::testing::Test {
  FederationOptions options = [] {
    FederationOptions o;
    o.server_name = "here.example";
    return o;
  }();
  core::SigningKey own = core::SigningKey::generate("own");
  core::SigningKey remote = core::SigningKey::generate("r1");
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:"});
  FakeTransport transport;
  KeyRing ring{options, own, *store, transport};

  std::string remote_document() {
    return core::to_string(own_key_document("there.example", remote, {}, core::now_ms()));
  }
  // Fetches one key of there.example; the lookup handed to `done`, if it ran already.
  std::optional<KeyLookup> fetch(std::string key_id, std::int64_t minimum = 0) {
    last.reset();
    ring.fetch({{"there.example", std::move(key_id), minimum}}, [this](KeyLookup lookup) { last = lookup; });
    return last;
  }
  std::optional<KeyLookup> last;
};

TEST_F(KeyRingTest, FetchesFromTheServerItselfOnceAndCaches) {
  std::optional<KeyLookup> first, second;
  ring.fetch({{"there.example", remote.key_id()}}, [&](KeyLookup l) { first = l; });
  ring.fetch({{"there.example", remote.key_id()}}, [&](KeyLookup l) { second = l; });
  ASSERT_EQ(transport.sent.size(), 1u);  // one fetch, shared
  EXPECT_EQ(transport.sent[0].request.destination, "there.example");
  EXPECT_EQ(transport.sent[0].request.target, "/_matrix/key/v2/server");
  EXPECT_FALSE(transport.sent[0].request.sign);
  EXPECT_FALSE(first);
  transport.answer(200, remote_document());
  ASSERT_TRUE(first && second);
  EXPECT_EQ((*first)("there.example", remote.key_id())->public_key, remote.public_key_base64());

  // Cached, in memory and in the store.
  ASSERT_TRUE(fetch(remote.key_id()));
  EXPECT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(store->server_keys("there.example").size(), 1u);
  KeyRing restarted{options, own, *store, transport};
  bool done = false;
  restarted.fetch({{"there.example", remote.key_id()}}, [&](KeyLookup) { done = true; });
  EXPECT_TRUE(done);
  EXPECT_EQ(transport.sent.size(), 1u);
}

TEST_F(KeyRingTest, RefetchesAKeyThatIsNoLongerValidEnough) {
  ASSERT_FALSE(fetch(remote.key_id()));
  transport.answer(200, remote_document());
  EXPECT_FALSE(fetch(remote.key_id(), core::now_ms() + 30LL * 24 * 3600 * 1000));
  EXPECT_EQ(transport.sent.size(), 2u);  // beyond the 7-day cap: asked again
  transport.answer(200, remote_document());
  ASSERT_TRUE(last);  // answered, with what the server said (the caller's check decides)
}

TEST_F(KeyRingTest, FailuresAreNotRetriedAtOnceAndBadAnswersAreNotTrusted) {
  ASSERT_FALSE(fetch(remote.key_id()));
  const auto impostor = core::SigningKey::generate("r1");
  transport.answer(200, core::to_string(own_key_document("other.example", impostor, {}, core::now_ms())));
  auto lookup = fetch(remote.key_id());  // answered at once: the server failed moments ago
  ASSERT_TRUE(lookup);
  EXPECT_FALSE((*lookup)("there.example", remote.key_id()));
  EXPECT_EQ(transport.sent.size(), 1u);
  EXPECT_TRUE(store->server_keys("there.example").empty());
}

TEST_F(KeyRingTest, ANotaryIsAskedOnlyWhenConfiguredAndMustVouchForTheKeys) {
  const auto notary = core::SigningKey::generate("n1");
  options.trusted_key_servers = {"notary.example"};
  ASSERT_FALSE(fetch(remote.key_id()));
  transport.answer(0);  // there.example does not answer
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].request.destination, "notary.example");
  EXPECT_EQ(transport.sent[1].request.target, "/_matrix/key/v2/query");
  EXPECT_TRUE(transport.body(1).at("server_keys").as_object().contains("there.example"));
  // The notary hands on there.example's document with its own signature added.
  json::object document = own_key_document("there.example", remote, {}, core::now_ms());
  core::sign_json(document, "notary.example", notary);
  transport.answer(200, core::to_string(json::object{{"server_keys", json::array{document}}}));
  ASSERT_EQ(transport.sent.size(), 3u);  // the notary's own keys, from the notary itself
  EXPECT_EQ(transport.sent[2].request.destination, "notary.example");
  EXPECT_EQ(transport.sent[2].request.target, "/_matrix/key/v2/server");
  transport.answer(200, core::to_string(own_key_document("notary.example", notary, {}, core::now_ms())));
  ASSERT_TRUE(last);
  EXPECT_EQ((*last)("there.example", remote.key_id())->public_key, remote.public_key_base64());
}

TEST_F(KeyRingTest, ANotaryAnswerWithoutItsSignatureIsNotTrusted) {
  options.trusted_key_servers = {"notary.example"};
  ASSERT_FALSE(fetch(remote.key_id()));
  transport.answer(0);
  const json::object document = own_key_document("there.example", remote, {}, core::now_ms());
  transport.answer(200, core::to_string(json::object{{"server_keys", json::array{document}}}));
  ASSERT_TRUE(last);
  EXPECT_FALSE((*last)("there.example", remote.key_id()));
  EXPECT_EQ(transport.sent.size(), 2u);
}

TEST_F(KeyRingTest, AsANotaryItCountersignsWhatTheServerSigned) {
  std::optional<json::array> documents;
  ring.notarise({{"there.example", {}}, {"here.example", {}}}, [&](json::array d) { documents = std::move(d); });
  ASSERT_EQ(transport.sent.size(), 1u);
  transport.answer(200, remote_document());
  ASSERT_TRUE(documents);
  ASSERT_EQ(documents->size(), 2u);
  for (const auto& document : *documents) {
    const auto& signatures = document.at("signatures").as_object();
    EXPECT_TRUE(core::verify_json(document.as_object(), "here.example", own.key_id(), own.public_key_base64()));
    if (document.at("server_name") == "there.example") {
      EXPECT_TRUE(core::verify_json(document.as_object(), "there.example", remote.key_id(), remote.public_key_base64()))
          << signatures;
    }
  }
}

TEST_F(KeyRingTest, OwnKeysNeedNoFetch) {
  std::optional<KeyLookup> got;
  ring.fetch({{"here.example", own.key_id()}}, [&](KeyLookup l) { got = l; });
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)("here.example", own.key_id())->public_key, own.public_key_base64());
  EXPECT_TRUE(transport.sent.empty());
}

}  // namespace
}  // namespace myelin::homeserver
