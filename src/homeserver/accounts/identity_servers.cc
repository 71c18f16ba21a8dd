#include "homeserver/accounts/identity_servers.h"

#include <memory>
#include <regex>
#include <utility>

#include "core/base64.h"
#include "core/crypto.h"
#include "http/client.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

constexpr std::size_t kMaxBindsPerUser = 100;

IdentityServers::Transport fetch_transport(const AccountsOptions& config, http::Scheduler& scheduler) {
  return [&config, &scheduler](IdentityServers::Request request, std::function<void(IdentityServers::Answer)> done) {
    http::FetchOptions options;
    const std::string allowlist = config.identity_server_ip_allowlist;
    options.may_connect = [allowlist](const std::string& ip) { return http::is_allowed_address(ip, allowlist); };
    options.method = request.method;
    if (request.method == "POST") options.body = core::canonical_json(request.body);
    options.authorization = request.authorization;
    options.ca_file = config.identity_server_ca_file;
    options.max_redirects = 0;
    options.max_body_bytes = 64 << 10;
    options.timeout = std::chrono::seconds(10);
    const std::string url = "https://" + request.id_server + request.target;
    http::fetch_waiting(scheduler, url, std::move(options), [done = std::move(done)](http::FetchAnswer answer) {
      // Without an answer the body holds the error, which is not the identity server's.
      if (answer.status == 0) answer.body.clear();
      done(std::move(answer));
    });
  };
}

// An identity server's answer that is not a success: its Matrix error when it gave one (as the
// spec asks homeservers to pass them on), else 502.
core::Error answer_error(const IdentityServers::Answer& answer, const std::string& id_server) {
  if (answer.status == 0) return core::make_error(Errc::kUnknown, "Cannot reach the identity server " + id_server, 502);
  static const std::regex kErrcode("M_[A-Z_]{1,64}");
  auto body = core::parse_json_object(answer.body);
  const json::value* errcode = body ? body->if_contains("errcode") : nullptr;
  if (answer.status >= 400 && answer.status < 500 && errcode && errcode->is_string() &&
      std::regex_match(std::string(errcode->get_string()), kErrcode)) {
    const json::value* message = body->if_contains("error");
    return core::Error{answer.status,
                       std::string(errcode->get_string()),
                       message && message->is_string() ? std::string(message->get_string()).substr(0, 500)
                                                       : "The identity server refused",
                       {}};
  }
  return core::make_error(Errc::kUnknown,
                          "The identity server " + id_server + " answered " + std::to_string(answer.status), 502);
}

core::Result<std::string> string_field(const json::object& body, std::string_view key) {
  const json::value* value = body.if_contains(key);
  if (!value) return core::fail(Errc::kMissingParam, "Missing " + std::string(key));
  if (!value->is_string() || value->get_string().empty() || value->get_string().size() > 1024)
    return core::fail(Errc::kInvalidParam, std::string(key) + " must be a non-empty string");
  return std::string(value->get_string());
}

}  // namespace

IdentityServers::IdentityServers(const AccountsOptions& config, storage::AccountStore& store,
                                 http::Scheduler& scheduler, Sign sign)
    : IdentityServers(config, store, fetch_transport(config, scheduler), std::move(sign)) {}

IdentityServers::IdentityServers(const AccountsOptions& config, storage::AccountStore& store, Transport transport,
                                 Sign sign)
    : config_(config), store_(store), transport_(std::move(transport)), sign_(std::move(sign)) {}

core::Status IdentityServers::usable(const std::string& id_server) const {
  if (!config_.identity_servers) return core::fail(Errc::kForbidden, "This server does not contact identity servers");
  if (!core::ServerName::parse(id_server)) return core::fail(Errc::kInvalidParam, "id_server must be a server name");
  return {};
}

void IdentityServers::call(Request request, std::function<void(core::Result<json::object>)> done) {
  const std::string id_server = request.id_server;
  transport_(std::move(request), [id_server, done = std::move(done)](Answer answer) {
    if (answer.status < 200 || answer.status >= 300) return done(std::unexpected(answer_error(answer, id_server)));
    auto body = core::parse_json_object(answer.body);
    if (!body) return done(core::fail(Errc::kUnknown, "The identity server's answer is not JSON", 502));
    done(std::move(*body));
  });
}

void IdentityServers::bind(const core::UserId& user, const json::object& body, std::function<void(core::Status)> done) {
  auto id_server = string_field(body, "id_server");
  auto token = string_field(body, "id_access_token");
  auto sid = string_field(body, "sid");
  auto secret = string_field(body, "client_secret");
  for (const auto* field : {&id_server, &token, &sid, &secret})
    if (!*field) return done(std::unexpected(field->error()));
  if (auto ok = usable(*id_server); !ok) return done(ok);
  if (store_.threepid_binds(user).size() >= kMaxBindsPerUser)
    return done(core::fail(Errc::kForbidden, "Too many bound identifiers, at most 100"));
  Request request{"POST", *id_server, "/_matrix/identity/v2/3pid/bind", "Bearer " + *token,
                  json::object{{"sid", *sid}, {"client_secret", *secret}, {"mxid", user.str()}}};
  call(std::move(request),
       [this, user, id_server = *id_server, done = std::move(done)](core::Result<json::object> answer) {
         if (!answer) return done(std::unexpected(answer.error()));
         // The identity server says which identifier the session validated.
         auto medium = string_field(*answer, "medium");
         auto address = string_field(*answer, "address");
         if (!medium || !address)
           return done(core::fail(Errc::kUnknown, "The identity server's answer names no 3PID", 502));
         store_.add_threepid_bind(user, {*medium, *address, id_server});
         done({});
       });
}

void IdentityServers::unbind_one(const core::UserId& user, storage::ThreepidBind bind,
                                 std::function<void(core::Status)> done) {
  if (auto ok = usable(bind.id_server); !ok) return done(ok);
  const std::string target = "/_matrix/identity/v2/3pid/unbind";
  json::object body{{"mxid", user.str()}, {"threepid", {{"medium", bind.medium}, {"address", bind.address}}}};
  Request request{"POST", bind.id_server, target, sign_("POST", target, bind.id_server, body), body};
  call(std::move(request),
       [this, user, bind = std::move(bind), done = std::move(done)](core::Result<json::object> answer) {
         if (!answer) return done(std::unexpected(answer.error()));
         store_.remove_threepid_bind(user, bind);
         done({});
       });
}

void IdentityServers::unbind(const core::UserId& user, const std::string& medium, const std::string& address,
                             const std::optional<std::string>& id_server,
                             std::function<void(core::Result<std::string>)> done) {
  std::vector<storage::ThreepidBind> binds;
  if (id_server) {
    binds.push_back({medium, address, *id_server});
  } else {
    for (auto& bind : store_.threepid_binds(user))
      if (bind.medium == medium && bind.address == address) binds.push_back(std::move(bind));
  }
  if (binds.empty()) return done(std::string("no-support"));
  unbind_each(user, std::move(binds), 0, std::move(done));
}

void IdentityServers::unbind_each(const core::UserId& user, std::vector<storage::ThreepidBind> binds, std::size_t i,
                                  std::function<void(core::Result<std::string>)> done) {
  if (i == binds.size()) return done(std::string("success"));
  storage::ThreepidBind bind = binds[i];
  unbind_one(user, std::move(bind),
             [this, user, binds = std::move(binds), i, done = std::move(done)](core::Status ok) mutable {
               if (!ok) return done(std::unexpected(ok.error()));
               unbind_each(user, std::move(binds), i + 1, std::move(done));
             });
}

void IdentityServers::unbind_all(const core::UserId& user, const std::optional<std::string>& id_server,
                                 std::function<void(std::string)> done) {
  std::vector<storage::ThreepidBind> binds = store_.threepid_binds(user);
  if (id_server)
    for (auto& bind : binds) bind.id_server = *id_server;
  auto pending = std::make_shared<std::size_t>(binds.size());
  auto all_done = std::make_shared<bool>(true);
  auto finish = std::make_shared<std::function<void(std::string)>>(std::move(done));
  if (binds.empty()) return (*finish)("success");
  for (auto& bind : binds) {
    const storage::ThreepidBind made = bind;
    unbind_one(user, std::move(bind), [this, user, made, pending, all_done, finish](core::Status ok) {
      if (!ok) *all_done = false;
      store_.remove_threepid_bind(user, made);  // a deactivated account keeps no binds either way
      if (--*pending == 0) (*finish)(*all_done ? "success" : "no-support");
    });
  }
}

void IdentityServers::lookup(const std::string& id_server, const std::string& id_access_token,
                             const std::string& medium, const std::string& address,
                             std::function<void(core::Result<std::optional<std::string>>)> done) {
  if (auto ok = usable(id_server); !ok) return done(std::unexpected(ok.error()));
  const std::string bearer = "Bearer " + id_access_token;
  Request details{"GET", id_server, "/_matrix/identity/v2/hash_details", bearer, {}};
  call(std::move(details), [this, id_server, bearer, medium, address,
                            done = std::move(done)](core::Result<json::object> answer) mutable {
    if (!answer) return done(std::unexpected(answer.error()));
    const json::value* algorithms = answer->if_contains("algorithms");
    const json::value* pepper = answer->if_contains("lookup_pepper");
    if (!algorithms || !algorithms->is_array() || !pepper || !pepper->is_string())
      return done(core::fail(Errc::kUnknown, "The identity server's hash details are malformed", 502));
    auto offers = [&](std::string_view name) {
      for (const auto& algorithm : algorithms->get_array())
        if (algorithm.is_string() && algorithm.get_string() == name) return true;
      return false;
    };
    // sha256 when offered: the identity server then never sees the address in the clear.
    std::string algorithm, key;
    if (offers("sha256")) {
      algorithm = "sha256";
      key = core::base64url_encode(core::sha256(address + " " + medium + " " + std::string(pepper->get_string())));
    } else if (offers("none")) {
      algorithm = "none";
      key = address + " " + medium;
    } else {
      return done(core::fail(Errc::kUnknown, "The identity server offers no lookup algorithm this server knows", 502));
    }
    Request lookup{
        "POST", id_server, "/_matrix/identity/v2/lookup", bearer,
        json::object{
            {"addresses", json::array{json::value(key)}}, {"algorithm", algorithm}, {"pepper", pepper->get_string()}}};
    call(std::move(lookup), [key, done = std::move(done)](core::Result<json::object> found) {
      if (!found) return done(std::unexpected(found.error()));
      const json::value* mappings = found->if_contains("mappings");
      const json::value* mxid = mappings && mappings->is_object() ? mappings->get_object().if_contains(key) : nullptr;
      if (!mxid || mxid->is_null()) return done(std::optional<std::string>());  // null: bound to nobody
      if (!mxid->is_string() || !core::UserId::parse(mxid->get_string()))
        return done(core::fail(Errc::kUnknown, "The identity server's lookup answer is malformed", 502));
      done(std::optional<std::string>(std::string(mxid->get_string())));
    });
  });
}

void IdentityServers::store_invite(const std::string& id_server, const std::string& id_access_token,
                                   const std::string& medium, const std::string& address, const std::string& room_id,
                                   const std::string& sender, std::function<void(core::Result<StoredInvite>)> done) {
  if (auto ok = usable(id_server); !ok) return done(std::unexpected(ok.error()));
  Request request{"POST", id_server, "/_matrix/identity/v2/store-invite", "Bearer " + id_access_token,
                  json::object{{"medium", medium}, {"address", address}, {"room_id", room_id}, {"sender", sender}}};
  call(std::move(request), [id_server, done = std::move(done)](core::Result<json::object> answer) {
    if (!answer) return done(std::unexpected(answer.error()));
    auto malformed = [&] {
      return core::fail(Errc::kUnknown, "The identity server's stored invite is malformed", 502);
    };
    auto token = string_field(*answer, "token");
    auto key = string_field(*answer, "public_key");
    const json::value* keys = answer->if_contains("public_keys");
    if (!token || !key || (keys && !keys->is_array())) return done(malformed());
    const std::string validity_url = "https://" + id_server + "/_matrix/identity/v2/pubkey/isvalid";
    json::array public_keys;
    for (const json::value& entry : keys ? keys->get_array() : json::array{}) {
      if (!entry.is_object()) return done(malformed());
      auto public_key = string_field(entry.get_object(), "public_key");
      if (!public_key) return done(malformed());
      json::object kept{{"public_key", *public_key}};
      if (auto url = string_field(entry.get_object(), "key_validity_url")) kept["key_validity_url"] = *url;
      public_keys.emplace_back(std::move(kept));
      if (public_keys.size() > 10) return done(malformed());
    }
    // The name shown for the invitee until they join: the identity server's (a redacted
    // address), else nothing from the address itself.
    auto display_name = string_field(*answer, "display_name");
    json::object content{{"display_name", display_name ? *display_name : std::string("an invited user")},
                         {"key_validity_url", validity_url},
                         {"public_key", *key},
                         {"public_keys", std::move(public_keys)}};
    done(StoredInvite{*token, std::move(content)});
  });
}

void IdentityServers::key_valid(const std::string& validity_url, const std::string& public_key,
                                std::function<void(bool)> done) {
  auto url = http::parse_http_url(validity_url);
  if (!url || !url->tls || validity_url.find('?') != std::string::npos) return done(false);
  const std::string id_server = url->port.empty() ? url->host : url->host + ":" + url->port;
  if (!usable(id_server)) return done(false);
  // The key in unpadded base64 needs no escaping but its '+' and '/'.
  std::string query;
  for (char c : public_key) query += c == '+' ? "%2B" : c == '/' ? "%2F" : std::string(1, c);
  Request request{"GET", id_server, url->path + "?public_key=" + query, "", {}};
  call(std::move(request), [done = std::move(done)](core::Result<json::object> answer) {
    const json::value* valid = answer ? answer->if_contains("valid") : nullptr;
    done(valid && valid->is_bool() && valid->as_bool());
  });
}

}  // namespace myelin::homeserver
