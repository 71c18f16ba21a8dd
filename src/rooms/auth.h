#pragma once
// The authorization rules (rooms/v10.md .. v12.md, "Authorization rules") and the auth events
// selection (server-server-api.md "Auth events selection"). Pure: the state an event is
// checked against is supplied by a lookup callback. Rule numbers in auth.cc follow the spec's.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "rooms/room_version.h"

namespace myelin::rooms {

// Returns the PDU of the state event (type, state_key) in the state the event is checked
// against, or nullptr. For room versions where the create event is not an auth event (v12),
// the lookup must still return the room's m.room.create for ("m.room.create", "").
using StateLookup = std::function<const json::object*(std::string_view type, std::string_view state_key)>;

// The (type, state_key) pairs a new event must cite in auth_events: create (except v12),
// power levels, sender's membership, and for m.room.member the target's membership, join
// rules for join/invite/knock, third-party invite, and the authorising user of a restricted
// join (join_authorised_via_users_server).
std::vector<std::pair<std::string, std::string>> auth_types_for_event(const json::object& pdu,
                                                                      const RoomVersionRules& rules);

// Checks `pdu` against the room version's authorization rules with `state` as the state
// before it. Fails with M_FORBIDDEN and a message naming the rule that rejected it. Does not
// verify signatures (the caller does that for remote events, including rule "content has a
// join_authorised_via_users_server key: the event must be signed by that user's server"), and
// does not look at auth_events: check_auth_events covers the rules about them.
// `create_event_id`, when given, is the ID of the m.room.create the lookup returns, as computed
// when it was stored: v12's rule 2 then compares with it instead of hashing the create event.
core::Status authorize_event(const json::object& pdu, const StateLookup& state, const RoomVersionRules& rules,
                             std::string_view create_event_id = {});

// The rules about an event's auth_events (v10/v11 rule 2, v12 rule 3), given the PDUs its
// auth_events name, in order: no (type, state_key) twice, only pairs auth_types_for_event
// selects (so never m.room.create in v12), an m.room.create among them (v10/v11), and every
// one in the event's room. Whether an auth event was itself rejected (rule 2.3 / 3.3) is
// the caller's knowledge. Always succeeds for m.room.create. Fails with M_FORBIDDEN.
core::Status check_auth_events(const json::object& pdu, std::span<const json::object* const> auth_events,
                               const RoomVersionRules& rules);

// Power levels as the rules read them, with the spec's defaults when the event is absent.
class PowerLevels {
 public:
  // `power_levels` is the CONTENT of m.room.power_levels, or null when the room has none;
  // `create` is the whole m.room.create event (PDU).
  PowerLevels(const json::object* power_levels, const json::object& create, const RoomVersionRules& rules);

  // Creators in v12 return std::nullopt (infinite); otherwise the user's level.
  std::optional<std::int64_t> user_level(std::string_view user_id) const;
  bool is_creator(std::string_view user_id) const;
  // True when `user_id`'s level is at least `required` (creators always are).
  bool at_least(std::string_view user_id, std::int64_t required) const;
  // True when `a` outranks `b` (strictly higher; a creator outranks a non-creator).
  bool outranks(std::string_view a, std::string_view b) const;

  std::int64_t event_level(std::string_view type, bool is_state) const;
  std::int64_t invite() const;
  std::int64_t kick() const;
  std::int64_t ban() const;
  std::int64_t redact() const;
  // notifications.room (default 50)
  std::int64_t notifications_room() const;

 private:
  // object[key] read as the room version reads power levels.
  std::optional<std::int64_t> field(const json::object* object, std::string_view key) const;

  const json::object* content_;  // power levels content or nullptr
  std::vector<std::string> creators_;
  const RoomVersionRules& rules_;
  std::string create_sender_;
};

// Send-time check (client-server API, PUT .../redact): a user may redact their own events;
// redacting another user's event needs the redact level. The auth rules do not check this.
bool may_redact(const PowerLevels& levels, std::string_view redaction_sender, std::string_view original_sender);

// Receipt-time check (rooms/fragments/v3-handling-redactions.md): a received redaction is
// applied when its sender has the redact level or is on the same server as the original
// event's sender.
bool redaction_applies(const PowerLevels& levels, std::string_view redaction_sender, std::string_view original_sender);

}  // namespace myelin::rooms
