// What changes between room versions 1..12: redaction key lists (rooms/fragments/
// v1-redactions.md, v6-redactions.md, v8.md, v9-redactions.md), event IDs and references
// (v1-event-ids.md, v3.md, v4-event-ids.md), the auth rules that differ (v1-auth-rules.md,
// v3/v6/v7/v8/v10) and the PDU format checked on receipt.
#include <gtest/gtest.h>

#include "core/base64.h"
#include "rooms/auth.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"
#include "rooms/test_room.h"

namespace myelin::rooms {
namespace {

using testing::kAlice;
using testing::kBob;
using testing::kEve;
using testing::parse;
using testing::TestRoom;

const RoomVersionRules& v(std::string_view id) { return *find_room_version(id); }

json::object content_after_redaction(std::string_view type, const json::object& content, std::string_view version) {
  json::object event{{"type", type}, {"content", content}, {"sender", kAlice}};
  return redact(event, v(version)).at("content").as_object();
}

TEST(RedactPerVersion, ContentKeysFollowEachVersionsList) {
  const json::object member =
      parse(R"({"membership":"join","join_authorised_via_users_server":"@a:x","displayname":"A"})");
  const json::object join_rules = parse(R"({"join_rule":"restricted","allow":[{"type":"m.room_membership"}],"x":1})");
  const json::object aliases = parse(R"({"aliases":["#a:x"],"other":1})");
  for (int n = 1; n <= 12; ++n) {
    const std::string version = std::to_string(n);
    SCOPED_TRACE(version);
    // v9+ keep join_authorised_via_users_server (MSC3375).
    EXPECT_EQ(content_after_redaction("m.room.member", member, version),
              n >= 9 ? parse(R"({"membership":"join","join_authorised_via_users_server":"@a:x"})")
                     : parse(R"({"membership":"join"})"));
    // v8+ keep allow (MSC3083).
    EXPECT_EQ(content_after_redaction("m.room.join_rules", join_rules, version),
              n >= 8 ? parse(R"({"join_rule":"restricted","allow":[{"type":"m.room_membership"}]})")
                     : parse(R"({"join_rule":"restricted"})"));
    // v1-v5 keep m.room.aliases content.aliases; v6 removed it (MSC2432).
    EXPECT_EQ(content_after_redaction("m.room.aliases", aliases, version),
              n <= 5 ? parse(R"({"aliases":["#a:x"]})") : json::object());
  }
  // v1-v10 keep top-level origin, membership and prev_state.
  const json::object event = parse(R"({"type":"m.room.message","origin":"x","membership":"join","prev_state":[],
                                       "event_id":"$a:x","content":{"body":"hi"},"unsigned":{"age":1}})");
  EXPECT_EQ(redact(event, v("1")),
            parse(R"({"type":"m.room.message","origin":"x","membership":"join","prev_state":[],"event_id":"$a:x",
                      "content":{}})"));
}

json::object v1_event() {
  return parse(R"({"event_id":"$abc:example.org","type":"m.room.message","room_id":"!r:example.org",
                   "sender":"@alice:example.org","content":{"body":"x"},"depth":3,"origin_server_ts":1,
                   "prev_events":[["$p:example.org",{"sha256":"aGFzaA"}]],
                   "auth_events":[["$c:example.org",{"sha256":"aGFzaA"}],["$m:example.org",{"sha256":"aGFzaA"}]],
                   "hashes":{"sha256":"x"},"signatures":{}})");
}

TEST(EventIds, V1AndV2CarryTheirIdV3IsStandardBase64V4UrlSafe) {
  const json::object event = v1_event();
  EXPECT_EQ(event_id_of(event, v("1")), "$abc:example.org");
  EXPECT_EQ(event_id_of(event, v("2")), "$abc:example.org");
  json::object plain = event;
  plain.erase("event_id");
  EXPECT_EQ(event_id_of(plain, v("1")), "");
  const std::string hash = reference_hash(plain, v("3"));
  EXPECT_EQ(event_id_of(plain, v("3")), "$" + core::base64_encode(hash));
  EXPECT_EQ(event_id_of(plain, v("4")), "$" + core::base64url_encode(hash));
  EXPECT_EQ(event_id_of(plain, v("9")), "$" + core::base64url_encode(hash));
}

TEST(EventIds, ReferencedIdsReadBothShapes) {
  json::object event = v1_event();
  EXPECT_EQ(referenced_event_ids(event, "prev_events", v("1")), std::vector<std::string_view>{"$p:example.org"});
  EXPECT_EQ(referenced_event_ids(event, "auth_events", v("2")),
            (std::vector<std::string_view>{"$c:example.org", "$m:example.org"}));
  event["prev_events"] = json::array{"$x", "$y"};
  EXPECT_EQ(referenced_event_ids(event, "prev_events", v("3")), (std::vector<std::string_view>{"$x", "$y"}));
  // The wrong shape for the version reads as "", so counts stay right.
  EXPECT_EQ(referenced_event_ids(event, "prev_events", v("1")), (std::vector<std::string_view>{"", ""}));
  EXPECT_TRUE(referenced_event_ids(event, "missing", v("1")).empty());
}

TEST(EventIds, ReferencesAreIdsOrV1PairsWithTheReferenceHash) {
  const json::object referenced = v1_event();
  EXPECT_EQ(event_reference("$abc:example.org", referenced, v("4")), json::value("$abc:example.org"));
  const json::value pair = event_reference("$abc:example.org", referenced, v("1"));
  EXPECT_EQ(pair, (json::array{"$abc:example.org",
                               json::object{{"sha256", core::base64_encode(reference_hash(referenced, v("1")))}}}));
}

core::SigningKey test_key() {
  auto key = core::SigningKey::from_seed("1", std::string(32, 'k'));
  EXPECT_TRUE(key);
  return *key;
}

TEST(FinalizeLocalEvent, V1GeneratesAServerScopedIdInsideTheHashedEvent) {
  json::object pdu = v1_event();
  pdu.erase("event_id");
  pdu.erase("hashes");
  pdu.erase("signatures");
  const std::string id = finalize_local_event(pdu, v("1"), "example.org", test_key());
  EXPECT_TRUE(id.starts_with("$") && id.ends_with(":example.org")) << id;
  EXPECT_EQ(id.size(), 1 + 18 + 1 + 11u);
  EXPECT_EQ(pdu.at("event_id"), json::value(id));
  EXPECT_EQ(pdu.at("hashes").at("sha256"), json::value(content_hash(pdu)));  // covers event_id
  EXPECT_TRUE(
      core::verify_json(redact(pdu, v("1")), "example.org", test_key().key_id(), test_key().public_key_base64()));
  EXPECT_TRUE(check_pdu_format(pdu, v("1"))) << check_pdu_format(pdu, v("1")).error().message;
  // An ID already in the event is kept.
  json::object again = v1_event();
  EXPECT_EQ(finalize_local_event(again, v("2"), "example.org", test_key()), "$abc:example.org");
}

TEST(FinalizeLocalEvent, V3IdIsStandardBase64OfTheReferenceHash) {
  json::object pdu = v1_event();
  pdu.erase("event_id");
  pdu["prev_events"] = json::array{"$p"};
  pdu["auth_events"] = json::array();
  const std::string id = finalize_local_event(pdu, v("3"), "example.org", test_key());
  EXPECT_FALSE(pdu.contains("event_id"));
  EXPECT_EQ(id, event_id_of(pdu, v("3")));
}

// --- auth rules that differ between versions ---

TEST(AuthPerVersion, AliasesRuleOnlyBeforeV6) {
  for (std::string_view version : {"1", "5", "6"}) {
    TestRoom room = TestRoom::standard(v(version), "public");
    ASSERT_TRUE(room.member(kEve, kEve, "join"));
    // v1-v5 rule 4: any sender whose server is the state_key, whatever the power levels.
    if (v(version).special_aliases_event) {
      EXPECT_ALLOWED(room.send("m.room.aliases", kEve, {{"aliases", json::array{"#a:other.org"}}}, "other.org"));
      EXPECT_REFUSED(room.send("m.room.aliases", kEve, {{"aliases", json::array()}}, "example.org"), "rule 4.2");
    } else {  // v6+: an ordinary state event (state_default 50)
      EXPECT_REFUSED(room.send("m.room.aliases", kEve, {{"aliases", json::array()}}, "other.org"), "rule 8");
    }
  }
}

TEST(AuthPerVersion, RedactionRuleOnlyInV1AndV2) {
  for (std::string_view version : {"1", "2", "3"}) {
    SCOPED_TRACE(version);
    TestRoom room = TestRoom::standard(v(version), "public");
    ASSERT_TRUE(room.member(kBob, kBob, "join"));
    json::object redaction = room.build("m.room.redaction", kBob, {});
    redaction["redacts"] = "$remote:other.org";
    if (v(version).redactions_in_auth_rules) {
      EXPECT_REFUSED(room.check(redaction), "rule 11.3");
      redaction["redacts"] = "$e1:example.org";  // same server as the redaction's event ID
      EXPECT_ALLOWED(room.check(redaction));
    } else {
      EXPECT_ALLOWED(room.check(redaction));  // v3+: checked when applied
    }
    json::object by_alice = room.build("m.room.redaction", kAlice, {});
    by_alice["redacts"] = "$remote:other.org";
    EXPECT_ALLOWED(room.check(by_alice));  // the redact level
  }
}

TEST(AuthPerVersion, NotificationsLevelsCheckedFromV6) {
  for (std::string_view version : {"5", "6"}) {
    SCOPED_TRACE(version);
    TestRoom room = TestRoom::standard(v(version), "public", {{kBob, 50}});
    ASSERT_TRUE(room.member(kBob, kBob, "join"));
    json::object levels{{"users", json::object{{kAlice, 100}, {kBob, 50}}}, {"notifications", {{"room", 75}}}};
    if (v(version).notifications_in_power_level_rules) EXPECT_REFUSED(room.set_levels(kBob, levels), "rule 10.8");
    else EXPECT_ALLOWED(room.set_levels(kBob, levels));
  }
}

TEST(AuthPerVersion, KnockRefusedBeforeV7) {
  for (std::string_view version : {"6", "7"}) {
    TestRoom room = TestRoom::standard(v(version), "knock");
    if (v(version).knocking) EXPECT_ALLOWED(room.member(kBob, kBob, "knock"));
    else EXPECT_REFUSED(room.member(kBob, kBob, "knock"), "unknown membership");
    // v6 has no knock join rule: joining is refused as for any unknown rule.
    if (!v(version).knocking) EXPECT_REFUSED(room.member(kBob, kBob, "join"), "rule 5.3.7");
  }
}

TEST(AuthPerVersion, RestrictedFromV8KnockRestrictedFromV10) {
  for (std::string_view version : {"7", "8", "9", "10"}) {
    SCOPED_TRACE(version);
    TestRoom restricted = TestRoom::standard(v(version), "restricted");
    const json::object via{{"join_authorised_via_users_server", kAlice}};
    if (v(version).restricted_join_rule) EXPECT_ALLOWED(restricted.member(kBob, kBob, "join", via));
    else EXPECT_REFUSED(restricted.member(kBob, kBob, "join", via), "rule 5.3.7");
    TestRoom knock_restricted = TestRoom::standard(v(version), "knock_restricted");
    if (v(version).knock_restricted_join_rule) EXPECT_ALLOWED(knock_restricted.member(kBob, kBob, "join", via));
    else EXPECT_REFUSED(knock_restricted.member(kBob, kBob, "join", via), "rule 5.3.7");
    // The authorising user's membership is an auth event only where restricted rooms exist.
    json::object join = restricted.build("m.room.member", kBob,
                                         {{"membership", "join"}, {"join_authorised_via_users_server", kAlice}}, kBob);
    const auto types = auth_types_for_event(join, v(version));
    const bool has_via =
        std::find(types.begin(), types.end(),
                  std::pair<std::string, std::string>{"m.room.member", std::string(kAlice)}) != types.end();
    EXPECT_EQ(has_via, v(version).restricted_join_rule);
  }
}

TEST(AuthPerVersion, StringPowerLevelsUntilV9FloatsUntilV5) {
  for (std::string_view version : {"1", "5", "6", "9", "10"}) {
    SCOPED_TRACE(version);
    TestRoom room = TestRoom::standard(v(version), "public");
    ASSERT_TRUE(room.member(kBob, kBob, "join"));
    const json::object stringy{{"users", json::object{{kAlice, " +0100 "}, {kBob, "50"}}}, {"kick", "60"}};
    if (v(version).integer_power_levels) {
      EXPECT_REFUSED(room.set_levels(kAlice, stringy), "rule 10.1");
      continue;
    }
    ASSERT_TRUE(room.set_levels(kAlice, stringy)) << "stringy levels";
    // Bob has 50 (from "50"): the kick level "60" keeps him from kicking.
    EXPECT_REFUSED(room.member(kBob, kAlice, "leave"), "rule 5.5.5");
    json::object floaty{{"users", json::object{{kAlice, 100}, {kBob, 60.9}}}};
    if (v(version).strict_canonical_json) {
      EXPECT_REFUSED(room.set_levels(kAlice, floaty), "rule 10.3");
    } else {
      ASSERT_TRUE(room.set_levels(kAlice, floaty));
      EXPECT_REFUSED(room.member(kBob, kAlice, "ban"), "rule 5.6.3");  // 60 < 100
    }
    EXPECT_REFUSED(room.set_levels(kAlice, {{"users", json::object{{kBob, "5 0"}}}}), "rule 10.3");
    EXPECT_REFUSED(room.set_levels(kAlice, {{"users", json::object{{kBob, "99999999999999999999"}}}}), "rule 10.3");
  }
}

TEST(AuthPerVersion, V1CreatorJoinReadsThePairPrevEvent) {
  TestRoom room(v("1"));
  json::object join = room.build("m.room.member", kAlice, {{"membership", "join"}}, kAlice);
  EXPECT_ALLOWED(room.check(join));                      // prev_events [["$e1:example.org", {...}]]
  join["prev_events"] = json::array{"$e1:example.org"};  // the v3+ shape does not name it in v1
  EXPECT_REFUSED(room.check(join), "rule 5.3.4");
}

// --- the PDU format on receipt ---

TEST(PduFormat, AcceptsEachVersionsShape) {
  EXPECT_TRUE(check_pdu_format(v1_event(), v("1")));
  json::object v4 = v1_event();
  v4.erase("event_id");
  v4["prev_events"] = json::array{"$" + std::string(43, 'A')};
  v4["auth_events"] = json::array{"$" + std::string(42, 'A') + "_"};
  EXPECT_TRUE(check_pdu_format(v4, v("4"))) << check_pdu_format(v4, v("4")).error().message;
  EXPECT_FALSE(check_pdu_format(v4, v("3")));          // '_' is not standard base64
  EXPECT_FALSE(check_pdu_format(v4, v("1")));          // no event_id, plain IDs
  EXPECT_FALSE(check_pdu_format(v1_event(), v("4")));  // pairs
  json::object v12_create = v4;
  v12_create.erase("room_id");
  v12_create["type"] = "m.room.create";
  v12_create["state_key"] = "";
  v12_create["prev_events"] = json::array();
  v12_create["auth_events"] = json::array();
  EXPECT_TRUE(check_pdu_format(v12_create, v("12")));
  EXPECT_FALSE(check_pdu_format(v12_create, v("11")));  // room_id required
  v12_create["type"] = "m.room.message";
  EXPECT_FALSE(check_pdu_format(v12_create, v("12")));
}

TEST(PduFormat, RefusesBadFieldsWithBadJson) {
  auto refused = [](json::object pdu, std::string_view version, std::string_view message) {
    auto status = check_pdu_format(pdu, v(version));
    ASSERT_FALSE(status) << message;
    EXPECT_EQ(status.error().errcode, "M_BAD_JSON");
    EXPECT_NE(status.error().message.find(message), std::string::npos) << status.error().message;
  };
  auto with = [](std::string_view key, json::value value) {
    json::object pdu = v1_event();
    pdu[key] = std::move(value);
    return pdu;
  };
  refused(with("event_id", "abc"), "1", "event_id");
  refused(with("event_id", "$abc"), "1", "event_id");  // v1/v2 IDs name their server
  refused(with("sender", "alice"), "1", "sender");
  refused(with("room_id", "!r"), "1", "room_id");
  refused(with("type", 5), "1", "type");
  refused(with("type", json::value(std::string(256, 't'))), "1", "type");
  refused(with("state_key", json::value(std::string(256, 's'))), "1", "state_key");
  refused(with("content", "x"), "1", "content");
  refused(with("depth", -1), "1", "depth");
  refused(with("depth", "3"), "1", "depth");
  refused(with("origin_server_ts", 1.5), "1", "origin_server_ts");
  refused(with("hashes", json::object{}), "1", "hashes.sha256");
  refused(with("signatures", json::object{{"example.org", json::object{{"ed25519:1", 5}}}}), "1", "signatures");
  refused(with("unsigned", 5), "1", "unsigned");
  refused(with("redacts", "nope"), "1", "redacts");
  refused(with("prev_events", json::array{json::array{"$p:example.org"}}), "1", "prev_events");
  refused(with("prev_events", json::array{json::array{"$p:example.org", json::object{}}}), "1", "prev_events");
  json::array many;
  for (int i = 0; i < 11; ++i) many.push_back(json::array{"$p:example.org", json::object{{"sha256", "x"}}});
  refused(with("auth_events", many), "1", "more than 10");
}

TEST(PduFormat, CanonicalJsonNumbersFromV6AndTheSizeLimit) {
  json::object pdu = v1_event();
  pdu.erase("event_id");
  pdu["prev_events"] = json::array();
  pdu["auth_events"] = json::array();
  pdu["content"] = json::object{{"f", 1.5}, {"big", std::int64_t{1} << 60}};
  EXPECT_TRUE(check_pdu_format(pdu, v("5")));  // v1-v5 do not enforce canonical JSON
  EXPECT_FALSE(check_pdu_format(pdu, v("6")));
  pdu["content"] = json::object{{"body", std::string(65536, 'x')}};
  auto status = check_pdu_format(pdu, v("10"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().errcode, "M_TOO_LARGE");
}

}  // namespace
}  // namespace myelin::rooms
