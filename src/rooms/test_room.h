#pragma once
// Test-only: an in-memory room for the auth rule tests. Events are built the way a server
// builds them (room_id, prev_events = the last accepted event, depth), checked with
// authorize_event against the current state, and applied to the state when accepted.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "rooms/auth.h"
#include "rooms/event_format.h"

namespace myelin::rooms::testing {

inline constexpr std::string_view kServer = "example.org";
inline constexpr std::string_view kAlice = "@alice:example.org";  // the creator
inline constexpr std::string_view kBob = "@bob:example.org";
inline constexpr std::string_view kCarol = "@carol:example.org";
inline constexpr std::string_view kDave = "@dave:example.org";
inline constexpr std::string_view kEve = "@eve:other.org";

inline json::object parse(std::string_view text) {
  auto parsed = core::parse_json_object(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed ? *parsed : json::object();
}

inline json::object load_vector(const std::string& name) {
  std::ifstream in(std::string(MYELIN_ROOMS_VECTORS) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

// Accepted / refused with a message containing `rule` (e.g. "rule 5.3.4").
#define EXPECT_ALLOWED(expr)                                     \
  do {                                                           \
    auto status_ = (expr);                                       \
    EXPECT_TRUE(status_.has_value()) << status_.error().message; \
  } while (0)
#define EXPECT_REFUSED(expr, rule)                                                                 \
  do {                                                                                             \
    auto status_ = (expr);                                                                         \
    if (status_.has_value()) {                                                                     \
      ADD_FAILURE() << "allowed, expected refusal by " << (rule);                                  \
    } else {                                                                                       \
      EXPECT_EQ(status_.error().errcode, "M_FORBIDDEN");                                           \
      EXPECT_NE(status_.error().message.find(rule), std::string::npos) << status_.error().message; \
    }                                                                                              \
  } while (0)

class TestRoom {
 public:
  // Creates the room: m.room.create by kAlice with `create_content` (v10 adds "creator").
  explicit TestRoom(const RoomVersionRules& rules, json::object create_content = {}) : rules_(rules) {
    create_content["room_version"] = rules.id;
    if (!rules.use_room_create_sender) create_content["creator"] = kAlice;
    if (!rules.room_id_from_create_event) room_id_ = "!room:example.org";
    json::object create = build("m.room.create", kAlice, std::move(create_content), "");
    EXPECT_ALLOWED(authorize_event(create, lookup(), rules_));
    if (rules.room_id_from_create_event) room_id_ = room_id_from_create_event(create, rules_);
    apply(create);
  }

  // The usual start: creator join, power levels, join rules. In v12 the creator is not listed
  // in users (creators have infinite power); earlier versions give her 100.
  static TestRoom standard(const RoomVersionRules& rules, std::string_view join_rule, json::object users = {},
                           json::object extra_levels = {}) {
    TestRoom room(rules);
    EXPECT_ALLOWED(room.member(kAlice, kAlice, "join"));
    if (!rules.creators_have_infinite_power) users[kAlice] = 100;
    json::object levels{{"users", std::move(users)}};
    for (const auto& kv : extra_levels) levels[kv.key()] = kv.value();
    EXPECT_ALLOWED(room.send("m.room.power_levels", kAlice, std::move(levels), ""));
    EXPECT_ALLOWED(room.send("m.room.join_rules", kAlice, {{"join_rule", join_rule}}, ""));
    return room;
  }

  json::object build(std::string_view type, std::string_view sender, json::object content,
                     std::optional<std::string_view> state_key = std::nullopt) const {
    json::object pdu{{"type", type},
                     {"sender", sender},
                     {"content", std::move(content)},
                     {"origin_server_ts", 1700000000000 + depth_},
                     {"depth", depth_ + 1},
                     {"auth_events", json::array()},
                     {"hashes", {{"sha256", "x"}}}};
    if (!room_id_.empty()) pdu["room_id"] = room_id_;
    const bool server_scoped = rules_.event_id_format == EventIdFormat::kServerScoped;
    if (server_scoped) pdu["event_id"] = "$e" + std::to_string(depth_ + 1) + ":" + std::string(kServer);
    json::array prev;
    if (!last_event_.empty() && server_scoped)
      prev.emplace_back(json::array{json::string(last_event_), {{"sha256", "x"}}});
    else if (!last_event_.empty()) prev.emplace_back(last_event_);
    pdu["prev_events"] = std::move(prev);
    if (state_key) pdu["state_key"] = *state_key;
    return pdu;
  }

  StateLookup lookup() const {
    return [this](std::string_view type, std::string_view key) -> const json::object* {
      auto it = state_.find({std::string(type), std::string(key)});
      return it == state_.end() ? nullptr : &it->second;
    };
  }

  core::Status check(const json::object& pdu) const { return authorize_event(pdu, lookup(), rules_); }

  void apply(const json::object& pdu) {
    if (const json::value* key = pdu.if_contains("state_key")) {
      state_[{std::string(pdu.at("type").as_string()), std::string(key->as_string())}] = pdu;
    }
    last_event_ = event_id_of(pdu, rules_);
    ++depth_;
  }

  // Builds, checks and (when allowed) applies an event.
  core::Status send(std::string_view type, std::string_view sender, json::object content,
                    std::optional<std::string_view> state_key = std::nullopt) {
    json::object pdu = build(type, sender, std::move(content), state_key);
    core::Status status = check(pdu);
    if (status) apply(pdu);
    return status;
  }

  core::Status member(std::string_view sender, std::string_view target, std::string_view membership,
                      json::object extra = {}) {
    extra["membership"] = membership;
    return send("m.room.member", sender, std::move(extra), target);
  }

  // Replaces the power levels content (full content, as clients send it).
  core::Status set_levels(std::string_view sender, json::object content) {
    return send("m.room.power_levels", sender, std::move(content), "");
  }

  const json::object* get(std::string_view type, std::string_view key) const { return lookup()(type, key); }
  std::string membership(std::string_view user) const {
    const json::object* event = get("m.room.member", user);
    return event ? std::string(event->at("content").at("membership").as_string()) : "leave";
  }
  const std::string& room_id() const { return room_id_; }
  const RoomVersionRules& rules() const { return rules_; }

 private:
  const RoomVersionRules& rules_;
  std::string room_id_;
  std::map<std::pair<std::string, std::string>, json::object> state_;
  std::string last_event_;
  std::int64_t depth_ = 0;
};

// Parameterised over the supported room versions.
class PerVersion : public ::testing::TestWithParam<std::string> {
 protected:
  const RoomVersionRules& rules() const { return *find_room_version(GetParam()); }
};

}  // namespace myelin::rooms::testing
