#include "api/routes.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {
namespace {

// kOptional: a token is checked when given (a guest's too, who is answered as itself); the
// handler decides what an anonymous caller gets.
// kUser: a logged-in user other than a guest; kGuest: any logged-in user, guests included (the
// routes client-server-api "Guest Access" lists).
// kServer: another server, by its X-Matrix signature (server-server-api "Request
// Authentication"); refused while federation is disabled.
enum class Access { kPublic, kOptional, kUser, kGuest, kServer };
// kUpload: rate-limited like kUser, and the body is streamed to disk (media uploads) rather than
// read into memory.
enum class Limit { kNone, kUser, kLogin, kUpload };
// Which prefixes a path is served under: the client API's r0 (legacy, still used by
// matrix-nio) and v3, v1 only, or an absolute path; kClientUnstable adds /unstable, where
// clients written before an endpoint's stable release still call it.
// kMedia: the media API's /_matrix/media/v3 and r0; kFederation and kFederationV2: the
// server-server API's /_matrix/federation/v1 and v2.
enum class Prefix { kClient, kClientUnstable, kClientV1, kMedia, kFederation, kFederationV2, kAbsolute };

struct Route {
  const char* method;
  const char* path;
  Prefix prefix;
  Access access;
  Limit limit;
  void (*handler)(Call&);
};

constexpr Access P = Access::kPublic, O = Access::kOptional, U = Access::kUser, G = Access::kGuest, S = Access::kServer;
constexpr Limit N = Limit::kNone, L = Limit::kUser, LOGIN = Limit::kLogin, UPLOAD = Limit::kUpload;
constexpr Prefix C = Prefix::kClient, CU = Prefix::kClientUnstable, V1 = Prefix::kClientV1, MEDIA = Prefix::kMedia,
                 FED = Prefix::kFederation, FED2 = Prefix::kFederationV2, ABS = Prefix::kAbsolute;

constexpr Route kRoutes[] = {
    {"GET", "/_matrix/client/versions", ABS, P, N, get_versions},
    {"GET", "/.well-known/matrix/client", ABS, P, N, get_well_known_client},
    {"GET", "/capabilities", C, U, N, get_capabilities},

    {"POST", "/register", C, P, LOGIN, post_register},
    {"GET", "/register/available", C, P, LOGIN, get_register_available},
    {"GET", "/register/m.login.registration_token/validity", V1, P, LOGIN, get_registration_token_validity},
    {"GET", "/_synapse/admin/v1/register", ABS, P, LOGIN, get_admin_register_nonce},
    {"POST", "/_synapse/admin/v1/register", ABS, P, LOGIN, post_admin_register},

    {"GET", "/login", C, P, N, get_login},
    {"POST", "/login", C, P, LOGIN, post_login},
    {"POST", "/logout", C, U, N, post_logout},
    {"POST", "/logout/all", C, U, N, post_logout_all},
    {"GET", "/account/whoami", C, G, N, get_whoami},
    {"POST", "/account/password", C, U, L, post_password},
    {"POST", "/account/deactivate", C, U, L, post_deactivate},

    {"GET", "/devices", C, G, N, get_devices},
    {"GET", "/devices/{deviceId}", C, G, N, get_device},
    {"PUT", "/devices/{deviceId}", C, G, L, put_device},
    {"DELETE", "/devices/{deviceId}", C, U, L, delete_device},
    {"POST", "/delete_devices", C, U, L, post_delete_devices},

    {"GET", "/profile/{userId}", C, O, N, get_profile},
    {"GET", "/profile/{userId}/{field}", C, O, N, get_profile_field},
    {"PUT", "/profile/{userId}/{field}", C, G, L, put_profile_field},  // guests: displayname only
    {"DELETE", "/profile/{userId}/{field}", C, G, L, delete_profile_field},

    {"POST", "/createRoom", C, U, L, post_create_room},
    {"POST", "/rooms/{roomId}/upgrade", C, U, L, post_upgrade_room},
    {"POST", "/join/{roomIdOrAlias}", C, G, L, post_join},
    {"POST", "/rooms/{roomId}/join", C, G, L, post_join},
    {"POST", "/knock/{roomIdOrAlias}", C, U, L, post_knock},
    {"POST", "/rooms/{roomId}/leave", C, G, L, post_leave},
    {"POST", "/rooms/{roomId}/forget", C, U, L, post_forget},
    {"POST", "/rooms/{roomId}/invite", C, U, L, post_invite},
    {"POST", "/rooms/{roomId}/kick", C, U, L, post_kick},
    {"POST", "/rooms/{roomId}/ban", C, U, L, post_ban},
    {"POST", "/rooms/{roomId}/unban", C, U, L, post_unban},
    {"GET", "/joined_rooms", C, U, N, get_joined_rooms},
    {"GET", "/rooms/{roomId}/members", C, G, N, get_members},
    {"GET", "/rooms/{roomId}/joined_members", C, U, N, get_joined_members},

    {"PUT", "/rooms/{roomId}/send/{eventType}/{txnId}", C, G, L, put_send},
    {"PUT", "/rooms/{roomId}/state/{eventType}", C, G, L, put_state},
    {"PUT", "/rooms/{roomId}/state/{eventType}/{stateKey...}", C, G, L, put_state},
    {"GET", "/rooms/{roomId}/state/{eventType}", C, G, N, get_state_event},
    {"GET", "/rooms/{roomId}/state/{eventType}/{stateKey...}", C, G, N, get_state_event},
    {"GET", "/rooms/{roomId}/state", C, G, N, get_state},
    {"PUT", "/rooms/{roomId}/redact/{eventId}/{txnId}", C, U, L, put_redact},
    {"GET", "/rooms/{roomId}/event/{eventId}", C, G, N, get_event},
    {"GET", "/rooms/{roomId}/messages", C, G, N, get_messages},
    {"GET", "/rooms/{roomId}/context/{eventId}", C, G, N, get_context},
    {"GET", "/rooms/{roomId}/initialSync", C, G, N, get_room_initial_sync},
    {"GET", "/rooms/{roomId}/relations/{eventId}", V1, U, N, get_relations},
    {"GET", "/rooms/{roomId}/relations/{eventId}/{relType}", V1, U, N, get_relations},
    {"GET", "/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}", V1, U, N, get_relations},
    {"GET", "/rooms/{roomId}/threads", V1, U, N, get_threads},
    {"GET", "/rooms/{roomId}/timestamp_to_event", V1, U, L, get_timestamp_to_event},
    {"POST", "/search", C, U, L, post_search},

    {"GET", "/sync", C, G, N, get_sync},
    {"GET", "/events", C, G, N, get_events},
    {"GET", "/initialSync", C, U, N, get_initial_sync},
    {"POST", "/user/{userId}/filter", C, U, L, post_filter},
    {"GET", "/user/{userId}/filter/{filterId}", C, U, N, get_filter},

    {"PUT", "/rooms/{roomId}/typing/{userId}", C, U, L, put_typing},
    {"POST", "/rooms/{roomId}/receipt/{receiptType}/{eventId}", C, U, L, post_receipt},
    {"POST", "/rooms/{roomId}/read_markers", C, U, L, post_read_markers},

    {"PUT", "/user/{userId}/account_data/{type}", C, U, L, put_account_data},
    {"GET", "/user/{userId}/account_data/{type}", C, U, N, get_account_data},
    {"PUT", "/user/{userId}/rooms/{roomId}/account_data/{type}", C, U, L, put_room_account_data},
    {"GET", "/user/{userId}/rooms/{roomId}/account_data/{type}", C, U, N, get_room_account_data},
    {"GET", "/user/{userId}/rooms/{roomId}/tags", C, U, N, get_tags},
    {"PUT", "/user/{userId}/rooms/{roomId}/tags/{tag}", C, U, L, put_tag},
    {"DELETE", "/user/{userId}/rooms/{roomId}/tags/{tag}", C, U, L, delete_tag},

    {"PUT", "/directory/room/{roomAlias}", C, U, L, put_alias},
    {"GET", "/directory/room/{roomAlias}", C, U, N, get_alias},
    {"DELETE", "/directory/room/{roomAlias}", C, U, L, delete_alias},
    {"GET", "/rooms/{roomId}/aliases", C, U, N, get_room_aliases},
    {"GET", "/directory/list/room/{roomId}", C, P, N, get_room_visibility},
    {"PUT", "/directory/list/room/{roomId}", C, U, L, put_room_visibility},
    {"GET", "/publicRooms", C, O, N, get_public_rooms},
    {"POST", "/publicRooms", C, U, L, post_public_rooms},
    {"GET", "/room_summary/{roomIdOrAlias}", V1, O, L, get_room_summary},
    // MSC3266's unstable paths, which matrix-js-sdk calls (the later first).
    {"GET", "/_matrix/client/unstable/im.nheko.summary/summary/{roomIdOrAlias}", ABS, O, L, get_room_summary},
    {"GET", "/_matrix/client/unstable/im.nheko.summary/rooms/{roomIdOrAlias}/summary", ABS, O, L, get_room_summary},
    {"GET", "/rooms/{roomId}/hierarchy", V1, U, L, get_hierarchy},

    {"GET", "/presence/{userId}/status", C, U, N, get_presence},
    {"PUT", "/presence/{userId}/status", C, U, L, put_presence},

    {"GET", "/pushrules/", C, U, N, get_push_rules},
    {"GET", "/pushrules/global/", C, U, N, get_push_rules_global},
    {"GET", "/pushrules/global/{kind}/", C, U, N, get_push_rules_of_kind},
    {"GET", "/pushrules/global/{kind}/{ruleId}", C, U, N, get_push_rule},
    {"PUT", "/pushrules/global/{kind}/{ruleId}", C, U, L, put_push_rule},
    {"DELETE", "/pushrules/global/{kind}/{ruleId}", C, U, L, delete_push_rule},
    {"GET", "/pushrules/global/{kind}/{ruleId}/enabled", C, U, N, get_push_rule_attribute},
    {"PUT", "/pushrules/global/{kind}/{ruleId}/enabled", C, U, L, put_push_rule_attribute},
    {"GET", "/pushrules/global/{kind}/{ruleId}/actions", C, U, N, get_push_rule_attribute},
    {"PUT", "/pushrules/global/{kind}/{ruleId}/actions", C, U, L, put_push_rule_attribute},
    {"GET", "/pushrules", C, U, N, push_rules_malformed},
    {"PUT", "/pushrules", C, U, N, push_rules_malformed},
    {"DELETE", "/pushrules", C, U, N, push_rules_malformed},
    {"GET", "/pushrules/{path...}", C, U, N, push_rules_malformed},
    {"PUT", "/pushrules/{path...}", C, U, N, push_rules_malformed},
    {"DELETE", "/pushrules/{path...}", C, U, N, push_rules_malformed},
    {"GET", "/pushers", C, U, N, get_pushers},
    {"POST", "/pushers/set", C, U, L, post_pushers_set},
    {"GET", "/notifications", C, U, L, get_notifications},

    {"POST", "/user_directory/search", C, U, L, post_user_directory_search},
    {"GET", "/thirdparty/protocols", C, U, N, get_thirdparty_protocols},
    {"GET", "/voip/turnServer", C, U, L, get_turn_server},
    {"GET", "/account/3pid", C, U, N, get_account_3pids},
    {"POST", "/account/3pid/bind", CU, U, L, post_3pid_bind},
    {"POST", "/account/3pid/unbind", CU, U, L, post_3pid_unbind},
    {"POST", "/account/3pid/delete", C, U, L, post_3pid_delete},
    {"POST", "/user/{userId}/openid/request_token", C, U, L, post_openid_request_token},
    {"GET", "/openid/userinfo", FED, P, N, get_openid_userinfo},
    {"PUT", "/3pid/onbind", FED, P, N, put_3pid_onbind},
    {"POST", "/3pid/onbind", FED, P, N, put_3pid_onbind},

    {"POST", "/keys/upload", C, G, N, post_keys_upload},
    {"POST", "/keys/query", C, G, N, post_keys_query},
    {"POST", "/keys/claim", C, G, N, post_keys_claim},
    {"GET", "/keys/changes", C, U, N, get_keys_changes},
    {"POST", "/keys/device_signing/upload", CU, U, L, post_device_signing_upload},
    {"POST", "/keys/signatures/upload", CU, U, N, post_signatures_upload},
    {"PUT", "/sendToDevice/{eventType}/{txnId}", C, G, L, put_send_to_device},

    {"POST", "/room_keys/version", C, U, L, post_backup_version},
    {"GET", "/room_keys/version", C, U, N, get_backup_version},
    {"GET", "/room_keys/version/{version}", C, U, N, get_backup_version},
    {"PUT", "/room_keys/version/{version}", C, U, L, put_backup_version},
    {"DELETE", "/room_keys/version/{version}", C, U, L, delete_backup_version},
    {"PUT", "/room_keys/keys", C, U, N, put_backup_keys},
    {"PUT", "/room_keys/keys/{roomId}", C, U, N, put_backup_keys},
    {"PUT", "/room_keys/keys/{roomId}/{sessionId}", C, U, N, put_backup_keys},
    {"GET", "/room_keys/keys", C, U, N, get_backup_keys},
    {"GET", "/room_keys/keys/{roomId}", C, U, N, get_backup_keys},
    {"GET", "/room_keys/keys/{roomId}/{sessionId}", C, U, N, get_backup_keys},
    {"DELETE", "/room_keys/keys", C, U, L, delete_backup_keys},
    {"DELETE", "/room_keys/keys/{roomId}", C, U, L, delete_backup_keys},
    {"DELETE", "/room_keys/keys/{roomId}/{sessionId}", C, U, L, delete_backup_keys},

    {"POST", "/upload", MEDIA, U, UPLOAD, post_media_upload},
    {"PUT", "/upload/{serverName}/{mediaId}", MEDIA, U, UPLOAD, put_media_upload},
    {"POST", "/_matrix/media/v1/create", ABS, U, L, post_media_create},
    {"GET", "/config", MEDIA, U, N, get_media_config},
    {"GET", "/media/config", V1, U, N, get_media_config},
    {"GET", "/media/download/{serverName}/{mediaId}", V1, G, N, get_media_download},
    {"GET", "/media/download/{serverName}/{mediaId}/{fileName}", V1, G, N, get_media_download},
    {"GET", "/media/thumbnail/{serverName}/{mediaId}", V1, G, L, get_media_thumbnail},
    {"GET", "/download/{serverName}/{mediaId}", MEDIA, P, N, get_legacy_media_download},
    {"GET", "/download/{serverName}/{mediaId}/{fileName}", MEDIA, P, N, get_legacy_media_download},
    {"GET", "/thumbnail/{serverName}/{mediaId}", MEDIA, P, N, get_legacy_media_thumbnail},
    {"GET", "/media/preview_url", V1, U, L, get_preview_url},
    {"GET", "/preview_url", MEDIA, U, L, get_preview_url},
    {"GET", "/_myelin/media/v1/uploads", ABS, U, N, get_own_media},
    {"DELETE", "/_myelin/media/v1/uploads/{mediaId}", ABS, U, L, delete_own_media},

    {"POST", "/rooms/{roomId}/report/{eventId}", C, U, L, post_report_event},
    {"POST", "/rooms/{roomId}/report", C, U, L, post_report_room},
    {"POST", "/users/{userId}/report", C, U, L, post_report_user},

    // The server-server API.
    {"GET", "/version", FED, P, N, get_federation_version},
    {"GET", "/_matrix/key/v2/server", ABS, P, N, get_server_keys},
    {"GET", "/_matrix/key/v2/query/{serverName}", ABS, P, N, get_key_query},
    // The {keyId} path segments spec v1.6 removed (MSC3938); older servers still send them.
    {"GET", "/_matrix/key/v2/server/{keyId}", ABS, P, N, get_server_keys},
    {"GET", "/_matrix/key/v2/query/{serverName}/{keyId}", ABS, P, N, get_key_query},
    {"POST", "/_matrix/key/v2/query", ABS, P, N, post_key_query},
    {"GET", "/query/profile", FED, S, N, get_federation_query_profile},
    {"GET", "/query/directory", FED, S, N, get_federation_query_directory},
    {"GET", "/publicRooms", FED, S, N, get_federation_public_rooms},
    {"POST", "/publicRooms", FED, S, N, post_federation_public_rooms},
    {"POST", "/user/keys/query", FED, S, N, post_federation_keys_query},
    {"POST", "/user/keys/claim", FED, S, N, post_federation_keys_claim},
    {"GET", "/user/devices/{userId}", FED, S, N, get_federation_user_devices},
    {"GET", "/make_join/{roomId}/{userId}", FED, S, N, get_federation_make_join},
    {"PUT", "/send_join/{roomId}/{eventId}", FED, S, N, put_federation_send_join_v1},
    {"PUT", "/send_join/{roomId}/{eventId}", FED2, S, N, put_federation_send_join},
    {"PUT", "/invite/{roomId}/{eventId}", FED, S, N, put_federation_invite_v1},
    {"PUT", "/invite/{roomId}/{eventId}", FED2, S, N, put_federation_invite},
    {"GET", "/make_leave/{roomId}/{userId}", FED, S, N, get_federation_make_leave},
    {"PUT", "/send_leave/{roomId}/{eventId}", FED, S, N, put_federation_send_leave_v1},
    {"PUT", "/send_leave/{roomId}/{eventId}", FED2, S, N, put_federation_send_leave},
    {"GET", "/make_knock/{roomId}/{userId}", FED, S, N, get_federation_make_knock},
    {"PUT", "/send_knock/{roomId}/{eventId}", FED, S, N, put_federation_send_knock},
    {"PUT", "/send/{txnId}", FED, S, N, put_federation_send},
    {"GET", "/event/{eventId}", FED, S, N, get_federation_event},
    {"GET", "/state/{roomId}", FED, S, N, get_federation_state},
    {"GET", "/state_ids/{roomId}", FED, S, N, get_federation_state_ids},
    {"GET", "/event_auth/{roomId}/{eventId}", FED, S, N, get_federation_event_auth},
    {"POST", "/get_missing_events/{roomId}", FED, S, N, post_federation_get_missing_events},
    {"GET", "/backfill/{roomId}", FED, S, N, get_federation_backfill},
    {"GET", "/media/download/{mediaId}", FED, S, N, get_federation_media_download},
    {"GET", "/media/thumbnail/{mediaId}", FED, S, N, get_federation_media_thumbnail},
};

constexpr std::uint64_t kMaxServerRequestBytes = 4 << 20;

// The rate limiters and the options they were made from, shared by every route's handler.
struct Limiters {
  ClientApiOptions options;
  http::RateLimiter per_user, per_ip_login;
};

core::Error limit_error(std::int64_t retry_after_ms) {
  core::Error error = core::make_error(core::Errc::kLimitExceeded, "Too many requests");
  error.extra["retry_after_ms"] = retry_after_ms;
  return error;
}

// The access token from the Authorization header (or the deprecated query parameter).
std::optional<std::string> access_token(const http::Request& request) {
  std::string_view header = request.header("Authorization");
  if (header.starts_with("Bearer ")) return std::string(header.substr(7));
  if (auto query = request.query_param("access_token")) return query;
  return std::nullopt;
}

// The names of the {params} of a route pattern, in order.
std::vector<std::string> param_names(std::string_view pattern) {
  std::vector<std::string> names;
  for (std::size_t open = pattern.find('{'); open != std::string_view::npos; open = pattern.find('{', open + 1)) {
    std::size_t close = pattern.find('}', open);
    std::string name(pattern.substr(open + 1, close - open - 1));
    if (name.ends_with("...")) name.resize(name.size() - 3);
    names.push_back(std::move(name));
  }
  return names;
}

// Identifiers in the path are checked here, for every route, before any handler runs:
// M_INVALID_PARAM when one does not follow its grammar (appendices "Identifier Grammar").
// Handlers then take them typed through Call's *_id_param accessors.
std::optional<core::Error> invalid_param(const std::vector<std::string>& names, const http::Request& request) {
  for (std::size_t i = 0; i < names.size() && i < request.params.size(); ++i) {
    const std::string& name = names[i];
    const std::string& value = request.params[i];
    bool valid = true;
    if (name == "roomId") valid = core::is_valid_room_id(value);
    else if (name == "userId") valid = core::UserId::parse(value).has_value();
    else if (name == "eventId") valid = core::is_valid_event_id(value);
    else if (name == "roomAlias") valid = core::RoomAlias::parse(value).has_value();
    else if (name == "serverName") valid = core::is_valid_server_name(value);
    else if (name == "roomIdOrAlias")
      valid = core::is_valid_room_id(value) || core::RoomAlias::parse(value).has_value();
    else if (name == "txnId" || name == "deviceId") valid = core::is_valid_opaque_id(value);
    if (!valid) return core::make_error(core::Errc::kInvalidParam, "Invalid " + name + " in the path");
  }
  return std::nullopt;
}

// Authentication and rate limits of a request: its session (none for public routes and
// anonymous callers of optional ones), or the error to answer.
// `limit` is the route's, or kNone when the request was already counted.
core::Result<std::optional<homeserver::Session>> admit(const Route& route, Limit limit, homeserver::Homeserver& hs,
                                                       Limiters& limiters, const http::Request& request) {
  const auto now = std::chrono::steady_clock::now();
  if (limit == Limit::kLogin && limiters.options.rate_limits_enabled) {
    if (auto wait = limiters.per_ip_login.allow(request.remote_ip, now)) return std::unexpected(limit_error(wait));
  }
  auto token = route.access == Access::kPublic ? std::nullopt : access_token(request);
  const bool needs_user = route.access == Access::kUser || route.access == Access::kGuest;
  if (!token && needs_user) return core::fail(core::Errc::kMissingToken, "Missing access token");
  if (!token) return std::nullopt;
  auto session = hs.accounts.authenticate(*token, request.remote_ip);
  if (!session) return std::unexpected(session.error());
  if (session->guest && route.access == Access::kUser)
    return core::fail(core::Errc::kGuestAccessForbidden, "Guests may not use this endpoint");
  if ((limit == Limit::kUser || limit == Limit::kUpload) && limiters.options.rate_limits_enabled && !session->admin) {
    if (auto wait = limiters.per_user.allow(session->user_id.str(), now)) return std::unexpected(limit_error(wait));
  }
  return std::optional(std::move(*session));
}

// Uploads are admitted from their head, before the body is read: an unauthenticated,
// rate-limited or over-quota upload costs the server no disk.
http::Gate upload_gate(const Route& route, homeserver::Homeserver& hs, std::shared_ptr<Limiters> limiters) {
  return [&route, &hs, limiters](const http::Request& head) -> std::optional<http::Response> {
    auto session = admit(route, route.limit, hs, *limiters, head);
    if (!session) return error_response(session.error());
    std::uint64_t length = 0;
    try {
      length = std::stoull(std::string(head.header("Content-Length")));
    } catch (const std::exception&) {
    }
    if (auto over = hs.media.check_quota((*session)->user_id, length); !over) return error_response(over.error());
    return std::nullopt;
  };
}

// Runs the route's handler, answering a storage failure with 500.
void run(const Route& route, Call& call) {
  try {
    route.handler(call);
  } catch (const storage::StorageError& e) {
    spdlog::error("{} {}: storage error: {}", call.request.method, route.path, e.what());
    call.fail(core::make_error(core::Errc::kInternal, "Internal storage error"));
  }
}

// A kServer route: the X-Matrix signature is checked (which may fetch the origin's keys)
// before the handler runs, on the loop, with the origin in the call.
void run_for_server(const Route& route, Call call, const std::vector<std::string>& names) {
  if (auto error = invalid_param(names, call.request)) return call.fail(*error);
  http::Request& request = call.request;
  std::string target = request.path;
  if (!request.query.empty()) target += "?" + request.query;
  call.hs.federation_auth.authenticate({request.method, target, request.body, request.header("Authorization")},
                                       [&route, call = std::move(call)](core::Result<std::string> origin) mutable {
                                         if (!origin) return call.fail(origin.error());
                                         call.request.user = *origin;
                                         call.hs.federation_sender.heard_from(*origin);  // it is up: retry now
                                         call.server_origin = std::move(*origin);
                                         run(route, call);
                                       });
}

http::Handler wrap(const Route& route, homeserver::Homeserver& hs, std::shared_ptr<Limiters> limiters) {
  return [&route, &hs, limiters, names = param_names(route.path)](http::Request& request, http::Responder respond) {
    Call call{request, std::nullopt, std::nullopt, hs, std::move(respond), route.path, limiters->options};
    if (route.access == Access::kServer) return run_for_server(route, std::move(call), names);
    // An upload was admitted by its gate, which counted it against the rate limit already.
    auto session = admit(route, route.limit == Limit::kUpload ? Limit::kNone : route.limit, hs, *limiters, request);
    if (!session) return call.fail(session.error());
    call.session = std::move(*session);
    if (call.session) request.user = call.session->user_id;
    if (auto error = invalid_param(names, request)) return call.fail(*error);
    run(route, call);
  };
}

}  // namespace

const std::vector<std::string>& secret_params() {
  // Query parameters, then the file name in media download paths.
  static const std::vector<std::string> names = {"access_token", "token", "url", "filename", "username", "fileName"};
  return names;
}

std::string http_error_body(int status) {
  using core::Errc;
  switch (status) {
    case 413: return error_response(core::make_error(Errc::kTooLarge, "Request body too large")).body;
    case 414: return error_response(core::make_error(Errc::kTooLarge, "Request URI too long", 414)).body;
    case 431: return error_response(core::make_error(Errc::kTooLarge, "Request headers too large", 431)).body;
    case 500: return error_response(core::make_error(Errc::kInternal, "Internal server error")).body;
    default: return error_response(core::make_error(Errc::kUnknown, "Malformed HTTP request", status)).body;
  }
}

void install_routes(http::Router& router, homeserver::Homeserver& hs, const ClientApiOptions& options) {
  auto limiters =
      std::make_shared<Limiters>(Limiters{options, http::RateLimiter(options.rate_per_second, options.rate_burst),
                                          http::RateLimiter(options.login_per_second, options.login_burst)});
  auto prefixes = [](Prefix prefix) -> std::vector<std::string> {
    switch (prefix) {
      case Prefix::kClient: return {"/_matrix/client/v3", "/_matrix/client/r0"};
      case Prefix::kClientUnstable: return {"/_matrix/client/v3", "/_matrix/client/r0", "/_matrix/client/unstable"};
      case Prefix::kClientV1: return {"/_matrix/client/v1"};
      case Prefix::kMedia: return {"/_matrix/media/v3", "/_matrix/media/r0"};
      case Prefix::kFederation: return {"/_matrix/federation/v1"};
      case Prefix::kFederationV2: return {"/_matrix/federation/v2"};
      case Prefix::kAbsolute: return {""};
    }
    return {};
  };
  for (const Route& route : kRoutes) {
    http::Handler handler = wrap(route, hs, limiters);
    std::optional<http::StreamedBody> streamed;
    if (route.limit == Limit::kUpload)
      streamed = http::StreamedBody{hs.media.max_upload_bytes(), upload_gate(route, hs, limiters)};
    // Another server's request may be larger than a client's: a transaction holds up to 50
    // PDUs of 64 KiB and 100 EDUs.
    const std::uint64_t body_limit = route.access == Access::kServer ? kMaxServerRequestBytes : 0;
    for (const auto& prefix : prefixes(route.prefix))
      router.add(route.method, prefix + route.path, handler, streamed, body_limit);
  }
  router.set_fallbacks(
      [](http::Request&, http::Responder respond) {
        respond(error_response(core::make_error(core::Errc::kUnrecognized, "Unrecognized request")));
      },
      [](http::Request&, http::Responder respond) {
        respond(error_response(core::make_error(core::Errc::kUnrecognized, "Method not allowed", 405)));
      });
}

}  // namespace myelin::api
