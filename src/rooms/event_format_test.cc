// Redaction, content/reference hashes, event and room IDs, local event finalisation
// (redaction.cc, event_format.cc). Expected values come from the spec's test vectors and from
// tests/vectors/rooms/*.json, computed outside myelin.
#include "rooms/event_format.h"

#include <gtest/gtest.h>

#include "core/base64.h"
#include "rooms/test_room.h"

namespace myelin::rooms {
namespace {

using testing::load_vector;
using testing::parse;

const RoomVersionRules& v(std::string_view id) { return *find_room_version(id); }

core::SigningKey spec_key() {  // appendices.md, "Cryptographic Test Vectors"
  auto seed = core::base64_decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1");
  auto key = core::SigningKey::from_seed("1", seed.value_or(""));
  EXPECT_TRUE(key);
  return *key;
}

TEST(Redact, KeepsExactlyTheSpecKeysPerVersion) {
  const json::object fixture = load_vector("redaction.json");
  const json::array& cases = fixture.at("cases").as_array();
  ASSERT_GE(cases.size(), 9u);
  for (const json::value& c : cases) {
    const json::object& event = c.at("event").as_object();
    SCOPED_TRACE(std::string(c.at("name").as_string()));
    EXPECT_EQ(redact(event, v("10")), c.at("v10").as_object()) << core::canonical_json(redact(event, v("10")));
    EXPECT_EQ(redact(event, v("11")), c.at("v11").as_object()) << core::canonical_json(redact(event, v("11")));
    EXPECT_EQ(redact(event, v("12")), c.at("v11").as_object()) << core::canonical_json(redact(event, v("12")));
  }
}

TEST(Redact, IsIdempotent) {
  const json::object fixture = load_vector("redaction.json");
  for (const json::value& c : fixture.at("cases").as_array()) {
    for (std::string_view id : {"10", "11", "12"}) {
      json::object once = redact(c.at("event").as_object(), v(id));
      EXPECT_EQ(redact(once, v(id)), once);
    }
  }
}

TEST(RedactsOf, TopLevelBeforeV11ContentFromV11) {
  json::object event = parse(R"({"type":"m.room.redaction","redacts":"$old",
                                 "content":{"redacts":"$new"}})");
  EXPECT_EQ(redacts_of(event, v("10")), "$old");
  EXPECT_EQ(redacts_of(event, v("11")), "$new");
  EXPECT_EQ(redacts_of(event, v("12")), "$new");
  event.erase("redacts");
  EXPECT_EQ(redacts_of(event, v("10")), std::nullopt);
  event["content"] = json::object{{"redacts", 5}};
  EXPECT_EQ(redacts_of(event, v("11")), std::nullopt);
}

TEST(Hashes, MatchIndependentlyComputedVectors) {
  const json::object fixture = load_vector("hashes.json");
  const json::array& cases = fixture.at("cases").as_array();
  ASSERT_EQ(cases.size(), 5u);
  for (const json::value& c : cases) {
    SCOPED_TRACE(std::string(c.at("name").as_string()));
    const json::object& event = c.at("event").as_object();
    EXPECT_EQ(content_hash(event), c.at("content_hash").as_string());
    for (const auto& [id, expected] : c.at("event_id").as_object()) {
      EXPECT_EQ(event_id_of(event, v(id)), expected.as_string()) << "room version " << id;
      auto raw = core::base64url_decode(std::string_view(expected.as_string()).substr(1));
      ASSERT_TRUE(raw);
      EXPECT_EQ(reference_hash(event, v(id)), *raw);
    }
    if (const json::value* room_id = c.as_object().if_contains("room_id_v12")) {
      EXPECT_EQ(room_id_from_create_event(event, v("12")), room_id->as_string());
    }
  }
}

TEST(Hashes, ReferenceHashIgnoresUnsignedSignaturesAndRedactableContent) {
  const json::object event = load_vector("hashes.json").at("cases").at(0).at("event").as_object();
  for (std::string_view id : {"10", "11", "12"}) {
    const std::string original = event_id_of(event, v(id));
    json::object changed = event;
    changed["unsigned"] = json::object{{"age", 99}};
    changed["signatures"] = json::object{};
    changed["content"].as_object()["body"] = "edited";
    EXPECT_EQ(event_id_of(changed, v(id)), original);
    EXPECT_NE(content_hash(changed), content_hash(event));
    changed["hashes"] = json::object{{"sha256", content_hash(changed)}};
    EXPECT_NE(event_id_of(changed, v(id)), original);
  }
}

TEST(Hashes, OriginIsCoveredOnlyBeforeV11) {
  json::object event = load_vector("hashes.json").at("cases").at(0).at("event").as_object();
  json::object moved = event;
  moved["origin"] = "elsewhere.org";
  EXPECT_NE(event_id_of(moved, v("10")), event_id_of(event, v("10")));
  EXPECT_EQ(event_id_of(moved, v("11")), event_id_of(event, v("11")));
}

// appendices.md "Event Signing": both examples only contain keys the v10 algorithm keeps
// (origin, event_id), so finalising them as v10 events must reproduce the spec's output.
TEST(FinalizeLocalEvent, SpecMinimalEventVector) {
  json::object event = parse(R"({"room_id": "!x:domain", "sender": "@a:domain",
      "origin": "domain", "origin_server_ts": 1000000, "signatures": {}, "hashes": {},
      "type": "X", "content": {}, "prev_events": [], "auth_events": [], "depth": 3,
      "unsigned": {"age_ts": 1000000}})");
  finalize_local_event(event, v("10"), "domain", spec_key());
  EXPECT_EQ(event, parse(R"({"auth_events": [], "content": {}, "depth": 3,
      "hashes": {"sha256": "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"},
      "origin": "domain", "origin_server_ts": 1000000, "prev_events": [],
      "room_id": "!x:domain", "sender": "@a:domain",
      "signatures": {"domain": {"ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg"}},
      "type": "X", "unsigned": {"age_ts": 1000000}})"));
}

TEST(FinalizeLocalEvent, SpecRedactableEventVector) {
  json::object event = parse(R"({"content": {"body": "Here is the message content"},
      "event_id": "$0:domain", "origin": "domain", "origin_server_ts": 1000000,
      "type": "m.room.message", "room_id": "!r:domain", "sender": "@u:domain",
      "signatures": {}, "unsigned": {"age_ts": 1000000}})");
  finalize_local_event(event, v("10"), "domain", spec_key());
  EXPECT_EQ(event.at("hashes").at("sha256").as_string(), "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g");
  EXPECT_EQ(event.at("signatures").at("domain").at("ed25519:1").as_string(),
            "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA");
  EXPECT_EQ(event.at("content").at("body").as_string(), "Here is the message content");
}

TEST(FinalizeLocalEvent, SignsTheRedactedFormAndReturnsTheEventId) {
  const core::SigningKey key = spec_key();
  for (std::string_view id : {"10", "11", "12"}) {
    json::object event = parse(R"({"type": "m.room.message", "room_id": "!r:example.org",
        "sender": "@a:example.org", "origin_server_ts": 5, "depth": 2, "prev_events": ["$p"],
        "auth_events": ["$c"], "content": {"body": "hi"}})");
    const std::string event_id = finalize_local_event(event, v(id), "example.org", key);
    EXPECT_EQ(event_id, event_id_of(event, v(id)));
    EXPECT_EQ(event.at("hashes").at("sha256").as_string(), content_hash(event));
    EXPECT_EQ(event.at("content").at("body").as_string(), "hi");
    // The signature covers the redacted event, so it survives redaction...
    EXPECT_TRUE(core::verify_json(redact(event, v(id)), "example.org", key.key_id(), key.public_key_base64()));
    // ...and not a change to a protected key.
    json::object tampered = redact(event, v(id));
    tampered["sender"] = "@b:example.org";
    EXPECT_FALSE(core::verify_json(tampered, "example.org", key.key_id(), key.public_key_base64()));
  }
}

TEST(RoomIdFromCreateEvent, IsTheCreateEventIdWithBangSigil) {
  const json::object create = load_vector("hashes.json").at("cases").at(4).at("event").as_object();
  const std::string room_id = room_id_from_create_event(create, v("12"));
  EXPECT_EQ(room_id.substr(1), event_id_of(create, v("12")).substr(1));
  EXPECT_EQ(room_id[0], '!');
  EXPECT_EQ(room_id.size(), 44u);  // '!' + 43 characters of unpadded base64 of 32 bytes
}

// This server's events are stored unsigned and signed as they leave: the signature does not
// change the event ID, adds exactly signature_bytes, and is made once; other servers' events and
// events already signed by this server are left as they are.
TEST(SignOwnEvent, SignsThisServersUnsignedEventsOnce) {
  const core::SigningKey key = spec_key();
  json::object event = parse(R"({"type": "m.room.message", "room_id": "!r:example.org",
      "sender": "@a:example.org", "origin_server_ts": 5, "depth": 2, "prev_events": ["$p"],
      "auth_events": ["$c"], "content": {"body": "hi"}})");
  const std::string event_id = finalize_local_event(event, v("10"), "example.org");
  EXPECT_FALSE(event.contains("signatures"));
  const std::size_t unsigned_size = core::canonical_json(event).size();
  sign_own_event(event, v("10"), "example.org", key);
  EXPECT_TRUE(core::verify_json(redact(event, v("10")), "example.org", key.key_id(), key.public_key_base64()));
  EXPECT_EQ(core::canonical_json(event).size(), unsigned_size + signature_bytes("example.org", key.key_id()));
  EXPECT_EQ(event_id_of(event, v("10")), event_id);
  const json::object once = event;
  sign_own_event(event, v("10"), "example.org", core::SigningKey::generate("2"));
  EXPECT_EQ(event, once);

  json::object theirs = parse(R"({"type": "m.room.message", "room_id": "!r:example.org",
      "sender": "@b:other.example", "origin_server_ts": 5, "depth": 2, "prev_events": ["$p"],
      "auth_events": ["$c"], "content": {"body": "hi"}})");
  finalize_local_event(theirs, v("10"), "other.example");
  const json::object before = theirs;
  sign_own_event(theirs, v("10"), "example.org", key);
  EXPECT_EQ(theirs, before);
}

}  // namespace
}  // namespace myelin::rooms
