#include "homeserver/federation/pdu_checks.h"

#include <gtest/gtest.h>

#include "rooms/event_format.h"

namespace myelin::homeserver {
namespace {

const rooms::RoomVersionRules& v10() { return *rooms::find_room_version("10"); }

struct Signed {
  json::object pdu;
  std::string event_id;
};

// An event of `sender` (whose server is other.example) signed with `key`.
Signed make_event(const core::SigningKey& key, std::string type, json::object content,
                  std::optional<std::string> state_key, json::array auth_events, std::int64_t ts = 1000) {
  json::object pdu{{"room_id", "!r:other.example"},
                   {"sender", "@alice:other.example"},
                   {"type", type},
                   {"content", std::move(content)},
                   {"origin_server_ts", ts},
                   {"depth", 1},
                   {"prev_events", json::array()},
                   {"auth_events", std::move(auth_events)}};
  if (state_key) pdu["state_key"] = *state_key;
  std::string id = rooms::finalize_local_event(pdu, v10(), "other.example", key);
  return {std::move(pdu), std::move(id)};
}

KeyLookup keys_of(const core::SigningKey& key, std::int64_t valid_until = 1'000'000,
                  std::optional<std::int64_t> expired = std::nullopt) {
  return [&key, valid_until, expired](std::string_view server, std::string_view key_id) -> std::optional<VerifyKey> {
    if (server != "other.example" || key_id != key.key_id()) return std::nullopt;
    return VerifyKey{key.public_key_base64(), valid_until, expired};
  };
}

TEST(PduChecks, SignaturesOfTheSendersServerVerify) {
  const auto key = core::SigningKey::generate("k");
  const Signed event = make_event(key, "m.room.message", {{"body", "hi"}}, std::nullopt, {});
  EXPECT_EQ(required_signers(event.pdu, v10()), std::vector<std::string>{"other.example"});
  const auto needed = signing_keys_needed(event.pdu, v10());
  ASSERT_EQ(needed.size(), 1u);
  EXPECT_EQ(needed[0].server, "other.example");
  EXPECT_EQ(needed[0].key_id, "ed25519:k");
  EXPECT_TRUE(verify_pdu_signatures(event.pdu, v10(), keys_of(key)).has_value());
}

TEST(PduChecks, ABadUnknownOrExpiredKeyFails) {
  const auto key = core::SigningKey::generate("k");
  const auto other = core::SigningKey::generate("k");
  const Signed event = make_event(key, "m.room.message", {{"body", "hi"}}, std::nullopt, {});
  // Same key ID, another key: the signature does not verify.
  EXPECT_FALSE(verify_pdu_signatures(event.pdu, v10(), keys_of(other)).has_value());
  // No key known: nothing verified.
  const KeyLookup none = [](std::string_view, std::string_view) { return std::nullopt; };
  EXPECT_FALSE(verify_pdu_signatures(event.pdu, v10(), none).has_value());
  // The key expired before the event was sent (old_verify_keys), or was valid only before it.
  EXPECT_FALSE(verify_pdu_signatures(event.pdu, v10(), keys_of(key, 1'000'000, 500)).has_value());
  EXPECT_FALSE(verify_pdu_signatures(event.pdu, v10(), keys_of(key, 999)).has_value());
  EXPECT_TRUE(verify_pdu_signatures(event.pdu, v10(), keys_of(key, 1'000'000, 1001)).has_value());
}

TEST(PduChecks, SignaturesCoverTheRedactedEventOnly) {
  const auto key = core::SigningKey::generate("k");
  Signed event = make_event(key, "m.room.message", {{"body", "hi"}}, std::nullopt, {});
  // A changed content keeps the signature valid (it covers the redacted event) but not the hash.
  event.pdu["content"] = json::object{{"body", "changed"}};
  EXPECT_TRUE(verify_pdu_signatures(event.pdu, v10(), keys_of(key)).has_value());
  EXPECT_FALSE(content_hash_matches(event.pdu));
  // A changed essential key breaks the signature.
  event.pdu["type"] = "m.room.other";
  EXPECT_FALSE(verify_pdu_signatures(event.pdu, v10(), keys_of(key)).has_value());
}

TEST(PduChecks, RoomVersionOneNeedsTheEventIdsServerToo) {
  const rooms::RoomVersionRules& v1 = *rooms::find_room_version("1");
  const auto key = core::SigningKey::generate("k");
  json::object pdu{{"room_id", "!r:other.example"}, {"sender", "@alice:other.example"},
                   {"type", "m.room.message"},      {"content", json::object{{"body", "hi"}}},
                   {"origin_server_ts", 1000},      {"depth", 1},
                   {"prev_events", json::array()},  {"auth_events", json::array()},
                   {"event_id", "$e:third.example"}};
  rooms::finalize_local_event(pdu, v1, "other.example", key);
  EXPECT_EQ(required_signers(pdu, v1), (std::vector<std::string>{"other.example", "third.example"}));
  EXPECT_FALSE(verify_pdu_signatures(pdu, v1, keys_of(key)).has_value());  // third.example did not sign
  pdu["event_id"] = "$e:other.example";
  rooms::finalize_local_event(pdu, v1, "other.example", key);
  EXPECT_EQ(required_signers(pdu, v1), std::vector<std::string>{"other.example"});
  EXPECT_TRUE(verify_pdu_signatures(pdu, v1, keys_of(key)).has_value());
  // Before v5 a key's validity period does not bound what it signed.
  EXPECT_TRUE(verify_pdu_signatures(pdu, v1, keys_of(key, 999)).has_value());
}

TEST(PduChecks, ContentHashOfAnUntouchedEventMatches) {
  const auto key = core::SigningKey::generate("k");
  Signed event = make_event(key, "m.room.message", {{"body", "hi"}}, std::nullopt, {});
  EXPECT_TRUE(content_hash_matches(event.pdu));
  event.pdu["hashes"] = json::object{{"sha256", "not base64!"}};
  EXPECT_FALSE(content_hash_matches(event.pdu));
  event.pdu.erase("hashes");
  EXPECT_FALSE(content_hash_matches(event.pdu));
}

TEST(PduChecks, AuthorisedByItsOwnAuthEvents) {
  const auto key = core::SigningKey::generate("k");
  const Signed create =
      make_event(key, "m.room.create", {{"creator", "@alice:other.example"}, {"room_version", "10"}}, "", {});
  const Signed join =
      make_event(key, "m.room.member", {{"membership", "join"}}, "@alice:other.example", {create.event_id});
  const Signed message =
      make_event(key, "m.room.message", {{"body", "hi"}}, std::nullopt, {create.event_id, join.event_id});
  const json::object* auth[] = {&create.pdu, &join.pdu};
  EXPECT_TRUE(authorize_by_auth_events(message.pdu, auth, create.pdu, v10()).has_value());
  // Without the sender's membership among its auth events, the message is not authorised.
  const json::object* only_create[] = {&create.pdu};
  EXPECT_FALSE(authorize_by_auth_events(message.pdu, only_create, create.pdu, v10()).has_value());
  // An auth event of a kind the event may not cite (a message) is refused.
  const json::object* with_message[] = {&create.pdu, &join.pdu, &message.pdu};
  EXPECT_FALSE(authorize_by_auth_events(message.pdu, with_message, create.pdu, v10()).has_value());
}

}  // namespace
}  // namespace myelin::homeserver
