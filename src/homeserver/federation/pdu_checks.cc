#include "homeserver/federation/pdu_checks.h"

#include <algorithm>
#include <map>

#include "core/base64.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "rooms/auth.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {
namespace {

constexpr std::size_t kMaxKeysPerServer = 16;

std::string_view string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

// The server part of "$opaque:server" or "@user:server", or "" when there is none.
std::string_view server_part(std::string_view id) {
  const std::size_t colon = id.find(':');
  return colon == std::string_view::npos ? std::string_view() : id.substr(colon + 1);
}

// The signatures the event carries for `server`, or nullptr.
const json::object* signatures_of(const json::object& pdu, std::string_view server) {
  const json::value* all = pdu.if_contains("signatures");
  if (!all || !all->is_object()) return nullptr;
  const json::value* mine = all->get_object().if_contains(server);
  return mine && mine->is_object() ? &mine->get_object() : nullptr;
}

bool usable_at(const VerifyKey& key, std::int64_t ts, const rooms::RoomVersionRules& rules) {
  if (key.expired_ts && ts >= *key.expired_ts) return false;
  return !rules.enforce_signing_key_validity || ts <= key.valid_until_ts;
}

}  // namespace

std::vector<std::string> required_signers(const json::object& pdu, const rooms::RoomVersionRules& rules) {
  const auto sender = core::UserId::parse(string_at(pdu, "sender"));
  if (!sender) return {};
  std::vector<std::string> servers{std::string(server_part(string_at(pdu, "sender")))};
  if (rules.event_id_format == rooms::EventIdFormat::kServerScoped) {
    const std::string_view event_server = server_part(string_at(pdu, "event_id"));
    if (!event_server.empty() && event_server != servers.front()) servers.emplace_back(event_server);
  }
  return servers;
}

namespace {

// The required signers and `also`, when given and not among them.
std::vector<std::string> signers(const json::object& pdu, const rooms::RoomVersionRules& rules, std::string_view also) {
  std::vector<std::string> servers = required_signers(pdu, rules);
  if (!servers.empty() && !also.empty() && std::ranges::find(servers, also) == servers.end())
    servers.emplace_back(also);
  return servers;
}

}  // namespace

std::vector<KeyNeed> signing_keys_needed(const json::object& pdu, const rooms::RoomVersionRules& rules,
                                         std::string_view also) {
  std::vector<KeyNeed> needs;
  const json::value* ts = pdu.if_contains("origin_server_ts");
  const std::int64_t valid_at = rules.enforce_signing_key_validity && ts && ts->is_int64() ? ts->get_int64() : 0;
  for (const std::string& server : signers(pdu, rules, also)) {
    const json::object* signatures = signatures_of(pdu, server);
    if (!signatures) continue;
    std::size_t listed = 0;
    for (const auto& entry : *signatures) {
      if (++listed > kMaxKeysPerServer) break;
      needs.push_back({server, std::string(entry.key()), valid_at});
    }
  }
  return needs;
}

core::Status verify_pdu_signatures(const json::object& pdu, const rooms::RoomVersionRules& rules, const KeyLookup& keys,
                                   std::string_view also) {
  const std::vector<std::string> servers = signers(pdu, rules, also);
  if (servers.empty()) return core::fail(core::Errc::kForbidden, "the event has no valid sender");
  const json::value* ts_value = pdu.if_contains("origin_server_ts");
  const std::int64_t ts = ts_value && ts_value->is_int64() ? ts_value->get_int64() : 0;
  const json::object redacted = rooms::redact(pdu, rules);
  for (const std::string& server : servers) {
    const json::object* signatures = signatures_of(pdu, server);
    if (!signatures || signatures->size() > kMaxKeysPerServer) {
      return core::fail(core::Errc::kForbidden, "the event is not signed by " + server);
    }
    bool verified = false;
    for (const auto& entry : *signatures) {
      const std::optional<VerifyKey> key = keys(server, entry.key());
      if (!key || !usable_at(*key, ts, rules)) continue;  // unknown or expired keys are skipped
      if (!core::verify_json(redacted, server, entry.key(), key->public_key)) {
        return core::fail(core::Errc::kForbidden, "a signature of " + server + " on the event does not verify");
      }
      verified = true;
    }
    if (!verified) return core::fail(core::Errc::kForbidden, "no signature of " + server + " by a known key");
  }
  return {};
}

bool content_hash_matches(const json::object& pdu) {
  const json::value* hashes = pdu.if_contains("hashes");
  if (!hashes || !hashes->is_object()) return false;
  const std::optional<std::string> received = core::base64_decode(string_at(hashes->get_object(), "sha256"));
  const std::optional<std::string> expected = core::base64_decode(rooms::content_hash(pdu));
  return received && expected && *received == *expected;
}

core::Status authorize_by_auth_events(const json::object& pdu, std::span<const json::object* const> auth_events,
                                      const json::object& create, const rooms::RoomVersionRules& rules) {
  if (auto ok = rooms::check_auth_events(pdu, auth_events, rules); !ok) return ok;
  std::map<std::pair<std::string_view, std::string_view>, const json::object*> state;
  for (const json::object* event : auth_events) {
    state[{string_at(*event, "type"), string_at(*event, "state_key")}] = event;
  }
  state.try_emplace({"m.room.create", ""}, &create);
  const rooms::StateLookup lookup = [&state](std::string_view type, std::string_view state_key) -> const json::object* {
    const auto it = state.find({type, state_key});
    return it == state.end() ? nullptr : it->second;
  };
  return rooms::authorize_event(pdu, lookup, rules);
}

}  // namespace myelin::homeserver
