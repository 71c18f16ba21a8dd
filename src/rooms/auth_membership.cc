// Rule 5 (v10/v11: rule 4) of the authorization rules: m.room.member events. Rule numbers
// are v12's (see auth.cc).
#include <string>
#include <vector>

#include "core/crypto.h"
#include "rooms/auth_steps.h"
#include "rooms/auth_util.h"
#include "rooms/event_format.h"
#include "rooms/third_party_invite.h"

namespace myelin::rooms::internal {
namespace {

// What the member rules read, gathered once.
struct Member {
  const json::object& pdu;
  const json::object& content;
  const StateLookup& state;
  const PowerLevels& levels;
  std::string_view sender;
  std::string_view target;  // state_key
  std::string_view target_membership;
  std::string_view join_rule;
};

std::string_view sender_membership(const Member& m) { return membership_of(m.state("m.room.member", m.sender)); }

// The create event's ID: v12 derives it from the (already checked) room ID.
std::string create_event_id(const Member& m, const json::object& create, const RoomVersionRules& rules) {
  if (rules.room_id_from_create_event) {
    return "$" + std::string(string_field(m.pdu, "room_id").substr(1));
  }
  return event_id_of(create, rules);
}

// 5.3 join.
core::Status check_join(const Member& m, const json::object& create, const RoomVersionRules& rules) {
  // 5.3.1 If the only previous event is the m.room.create and the state_key is the creator,
  //       allow. (v10: content.creator; v11+: the create event's sender.)
  const json::object* create_content = content_of(&create);
  const std::string_view creator = rules.use_room_create_sender ? string_field(create, "sender")
                                   : create_content             ? string_field(*create_content, "creator")
                                                                : std::string_view();
  const std::vector<std::string_view> prev = referenced_event_ids(m.pdu, "prev_events", rules);
  if (!creator.empty() && m.target == creator && prev.size() == 1 && prev[0] == create_event_id(m, create, rules)) {
    return {};
  }
  // 5.3.2 If the sender does not match state_key, reject.
  if (m.sender != m.target) return reject("cannot join on behalf of another user (rule 5.3.2)");
  // 5.3.3 If the sender is banned, reject.
  if (m.target_membership == "ban") return reject("user is banned from the room (rule 5.3.3)");
  // 5.3.4 join_rule invite or (v7+) knock: allow if the membership is invite or join.
  if (m.join_rule == "invite" || (rules.knocking && m.join_rule == "knock")) {
    if (m.target_membership == "invite" || m.target_membership == "join") return {};
    return reject("the room is invite-only and the user is not invited (rule 5.3.4)");
  }
  // 5.3.5 (v8+) join_rule restricted or (v10+) knock_restricted.
  if ((rules.restricted_join_rule && m.join_rule == "restricted") ||
      (rules.knock_restricted_join_rule && m.join_rule == "knock_restricted")) {
    // 5.3.5.1 If membership state is join or invite, allow.
    if (m.target_membership == "invite" || m.target_membership == "join") return {};
    // 5.3.5.2 join_authorised_via_users_server must name a joined user with the invite level.
    const std::string_view via = string_field(m.content, "join_authorised_via_users_server");
    if (via.empty()) {
      return reject("restricted join without join_authorised_via_users_server (rule 5.3.5.2)");
    }
    if (membership_of(m.state("m.room.member", via)) != "join" || !m.levels.at_least(via, m.levels.invite())) {
      return reject(
          "join_authorised_via_users_server is not a joined user with the invite "
          "level (rule 5.3.5.2)");
    }
    return {};  // 5.3.5.3
  }
  // 5.3.6 If the join_rule is public, allow.
  if (m.join_rule == "public") return {};
  return reject("the room's join rule does not allow joining (rule 5.3.7)");
}

// 5.4.1 invite with content.third_party_invite.
core::Status check_third_party_invite(const Member& m, const json::object& invite) {
  // 5.4.1.1 If the target user is banned, reject.
  if (m.target_membership == "ban") return reject("invitee is banned (rule 5.4.1.1)");
  // 5.4.1.2 - 5.4.1.4 signed with mxid and token; mxid must be the state_key.
  const json::object* signed_ = object_field(invite, "signed");
  if (!signed_) return reject("third_party_invite has no signed object (rule 5.4.1.2)");
  const std::string_view mxid = string_field(*signed_, "mxid");
  const std::string_view token = string_field(*signed_, "token");
  if (mxid.empty() || token.empty()) {
    return reject("third_party_invite.signed needs mxid and token (rule 5.4.1.3)");
  }
  if (mxid != m.target) return reject("third_party_invite mxid is not the state_key (rule 5.4.1.4)");
  // 5.4.1.5 There must be an m.room.third_party_invite with state_key token.
  const json::object* invite_event = m.state("m.room.third_party_invite", token);
  if (!invite_event) {
    return reject(
        "no m.room.third_party_invite matches the token; third-party invites "
        "without one are not supported (rule 5.4.1.5)");
  }
  // 5.4.1.6 The sender must be the sender of the m.room.third_party_invite.
  if (string_field(*invite_event, "sender") != m.sender) {
    return reject("sender did not send the m.room.third_party_invite (rule 5.4.1.6)");
  }
  // 5.4.1.7 Allow if any signature in signed matches any public key of the invite event.
  if (const json::object* content = content_of(invite_event); content && third_party_invite_key(*content, *signed_))
    return {};
  return reject("no valid signature on third_party_invite.signed (rule 5.4.1.8)");
}

// 5.4 invite.
core::Status check_invite(const Member& m) {
  if (const json::object* invite = object_field(m.content, "third_party_invite")) {
    return check_third_party_invite(m, *invite);
  }
  if (m.content.contains("third_party_invite")) {
    return reject("third_party_invite must be an object (rule 5.4.1.2)");
  }
  // 5.4.2 If the sender's current membership state is not join, reject.
  if (sender_membership(m) != "join") return reject("inviter is not joined (rule 5.4.2)");
  // 5.4.3 If the target user's current membership state is join or ban, reject.
  if (m.target_membership == "join" || m.target_membership == "ban") {
    return reject("invitee is already joined or is banned (rule 5.4.3)");
  }
  // 5.4.4 Allow if the sender's power level is at least the invite level.
  if (m.levels.at_least(m.sender, m.levels.invite())) return {};
  return reject("sender lacks the invite level (rule 5.4.5)");
}

// 5.5 leave (leaving, rejecting an invite, kicking, unbanning).
core::Status check_leave(const Member& m, const RoomVersionRules& rules) {
  // 5.5.1 Leaving oneself: allowed iff invited, joined or (v7+) knocking.
  if (m.sender == m.target) {
    if (m.target_membership == "invite" || m.target_membership == "join" ||
        (rules.knocking && m.target_membership == "knock")) {
      return {};
    }
    return reject("cannot leave a room one is not in (rule 5.5.1)");
  }
  // 5.5.2 If the sender's current membership state is not join, reject.
  if (sender_membership(m) != "join") return reject("sender is not joined (rule 5.5.2)");
  // 5.5.3 Unbanning needs the ban level.
  if (m.target_membership == "ban" && !m.levels.at_least(m.sender, m.levels.ban())) {
    return reject("sender lacks the ban level to unban (rule 5.5.3)");
  }
  // 5.5.4 Kick level, and the target's level below the sender's.
  if (m.levels.at_least(m.sender, m.levels.kick()) && m.levels.outranks(m.sender, m.target)) {
    return {};
  }
  return reject("sender lacks the kick level or does not outrank the target (rule 5.5.5)");
}

// 5.6 ban.
core::Status check_ban(const Member& m) {
  // 5.6.1 If the sender's current membership state is not join, reject.
  if (sender_membership(m) != "join") return reject("sender is not joined (rule 5.6.1)");
  // 5.6.2 Ban level, and the target's level below the sender's.
  if (m.levels.at_least(m.sender, m.levels.ban()) && m.levels.outranks(m.sender, m.target)) {
    return {};
  }
  return reject("sender lacks the ban level or does not outrank the target (rule 5.6.3)");
}

// 5.7 (v7+) knock.
core::Status check_knock(const Member& m, const RoomVersionRules& rules) {
  // 5.7.1 The join rule must be knock or (v10+) knock_restricted.
  if (m.join_rule != "knock" && !(rules.knock_restricted_join_rule && m.join_rule == "knock_restricted")) {
    return reject("the room does not allow knocking (rule 5.7.1)");
  }
  // 5.7.2 If sender does not match state_key, reject.
  if (m.sender != m.target) return reject("cannot knock on behalf of another user (rule 5.7.2)");
  // 5.7.3 Allow unless banned, invited or joined.
  if (m.target_membership != "ban" && m.target_membership != "invite" && m.target_membership != "join") {
    return {};
  }
  return reject("cannot knock while banned, invited or joined (rule 5.7.4)");
}

}  // namespace

core::Status check_membership(const json::object& pdu, const StateLookup& state, const PowerLevels& levels,
                              const json::object& create, const RoomVersionRules& rules) {
  // 5.1 There must be a state_key and a content.membership.
  const json::value* state_key = pdu.if_contains("state_key");
  const json::object* content = content_of(&pdu);
  if (!state_key || !state_key->is_string() || !content || string_field(*content, "membership").empty()) {
    return reject("m.room.member needs a state_key and content.membership (rule 5.1)");
  }
  // 5.2 (v8+) join_authorised_via_users_server: the signature by that user's server is
  //     checked with the event's other signatures by the caller.
  const std::string_view target = state_key->get_string();
  const json::object* join_rules = content_of(state("m.room.join_rules", ""));
  const std::string_view join_rule = join_rules ? string_field(*join_rules, "join_rule") : "";
  const Member m{pdu,
                 *content,
                 state,
                 levels,
                 string_field(pdu, "sender"),
                 target,
                 membership_of(state("m.room.member", target)),
                 join_rule.empty() ? std::string_view("invite") : join_rule};
  const std::string_view membership = string_field(*content, "membership");
  if (membership == "join") return check_join(m, create, rules);              // 5.3
  if (membership == "invite") return check_invite(m);                         // 5.4
  if (membership == "leave") return check_leave(m, rules);                    // 5.5
  if (membership == "ban") return check_ban(m);                               // 5.6
  if (membership == "knock" && rules.knocking) return check_knock(m, rules);  // 5.7
  return reject("unknown membership " + std::string(membership) + " (rule 5.8)");
}

}  // namespace myelin::rooms::internal
