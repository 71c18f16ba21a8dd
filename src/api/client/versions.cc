// GET /_matrix/client/versions    — client-server-api "API Standards" (GET /versions)
// GET /.well-known/matrix/client  — client-server-api "Server Discovery" (well-known URI)
// GET /_matrix/client/v3/capabilities — client-server-api "Capabilities negotiation"
// GET /_matrix/federation/v1/version — server-server-api "Server implementation"
#include <string>

#include "api/handlers.h"
#include "rooms/room_version.h"

namespace myelin::api {

// The spec versions myelin claims: the features of each are implemented or deliberately
// absent in the spec's sanctioned way (M_UNRECOGNIZED: the OAuth 2.0 API of v1.15). v1.13:
// /keys/claim hands out one-time keys in upload order; v1.14: POST /users/{userId}/report;
// v1.15: GET /room_summary; v1.16: /sync's use_state_after, the m.profile_fields capability
// (displayname and avatar_url, the only fields stored) with DELETE /profile/{userId}/{keyName},
// and additional_creators on room upgrades. Room versions (v12 included) are negotiated through
// /capabilities, not here.
constexpr const char* kSpecVersions[] = {"r0.6.1", "v1.1",  "v1.2",  "v1.3",  "v1.4",  "v1.5",  "v1.6",  "v1.7", "v1.8",
                                         "v1.9",   "v1.10", "v1.11", "v1.12", "v1.13", "v1.14", "v1.15", "v1.16"};

// What GET /_matrix/federation/v1/version reports.
constexpr const char* kServerVersion = "0.1.0";

void get_versions(Call& call) {
  json::array versions;
  for (const char* version : kSpecVersions) versions.emplace_back(version);
  // Lazy loading of members is in r0.6.1 too, but clients of the r0 era (Element Web before
  // 2024 among them) turn it on only when this flag or "r0.5.0" is listed.
  call.reply(json::object{{"versions", std::move(versions)},
                          {"unstable_features", json::object{{"m.lazy_load_members", true}}}});
}

void get_well_known_client(Call& call) {
  const std::string& base_url = call.options.public_baseurl;
  if (base_url.empty()) return call.fail(core::make_error(core::Errc::kNotFound, "No well-known client configuration"));
  call.reply(json::object{{"m.homeserver", json::object{{"base_url", base_url}}}});
}

void get_capabilities(Call& call) {
  json::object available;
  for (const auto& version : rooms::supported_room_versions())
    available[version.id] = version.stable ? "stable" : "unstable";
  json::object capabilities{
      {"m.room_versions",
       json::object{{"default", call.hs.rooms.default_room_version()}, {"available", std::move(available)}}},
      {"m.change_password", json::object{{"enabled", true}}},
      {"m.set_displayname", json::object{{"enabled", true}}},
      {"m.set_avatar_url", json::object{{"enabled", true}}},
      {"m.profile_fields", json::object{{"enabled", true}, {"allowed", json::array{"displayname", "avatar_url"}}}},
      {"m.3pid_changes", json::object{{"enabled", false}}},
      {"m.get_login_token", json::object{{"enabled", false}}},
  };
  call.reply(json::object{{"capabilities", std::move(capabilities)}});
}

// Public, as the spec has it: the implementation's name and version, nothing about the server.
void get_federation_version(Call& call) {
  call.reply(json::object{{"server", json::object{{"name", "myelin"}, {"version", kServerVersion}}}});
}

}  // namespace myelin::api
