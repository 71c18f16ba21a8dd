#pragma once
// Identity servers, on a user's explicit request only (identity-service-api v2): binding a
// third-party identifier the identity server validated to the user's Matrix ID
// (client-server-api POST /account/3pid/bind), unbinding it (/account/3pid/unbind, /delete,
// deactivation), and looking up whom an e-mail address belongs to for an invite ("Third-party
// invites"). Off by default (accounts.identity_servers): the server then never contacts one
// and answers M_FORBIDDEN. The identity server is the one the client names, so only public
// addresses are contacted (as resolved) unless the config allows others.
//
// Binds made here are kept (storage::ThreepidBind) so that they can be unbound later, by the
// same identity server; an unbind is signed by this server (X-Matrix), which is how the
// identity server knows the request comes from the user's homeserver.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/accounts/options.h"
#include "http/client.h"
#include "http/http.h"
#include "storage/account_store.h"

namespace myelin::homeserver {

class IdentityServers {
 public:
  struct Request {
    std::string method;  // GET or POST
    std::string id_server;
    std::string target;         // "/_matrix/identity/v2/..."
    std::string authorization;  // the header's value ("" for none)
    json::object body;          // POST only
  };
  using Answer = http::FetchAnswer;  // status 0: not reached
  // One request to an identity server; `done` is called on the event loop.
  using Transport = std::function<void(Request, std::function<void(Answer)>)>;
  // The X-Matrix Authorization header value of a request from this server to `destination`.
  using Sign = std::function<std::string(const std::string& method, const std::string& target,
                                         const std::string& destination, const json::object& body)>;

  // Over HTTPS with http::fetch, off the event loop (Scheduler::run_waiting).
  IdentityServers(const AccountsOptions& config, storage::AccountStore& store, http::Scheduler& scheduler, Sign sign);
  IdentityServers(const AccountsOptions& config, storage::AccountStore& store, Transport transport, Sign sign);

  bool enabled() const { return config_.identity_servers; }
  // POST /account/3pid/bind's body {id_server, id_access_token, sid, client_secret}: the identity
  // server binds the 3PID of that session to `user`; its errors are passed on.
  void bind(const core::UserId& user, const json::object& body, std::function<void(core::Status)> done);
  // Unbinds (medium, address) from `id_server`, or when absent from each identity server this
  // server bound it at; `done` gets "success", or "no-support" when no identity server was
  // known to unbind from. An identity server's error is passed on.
  void unbind(const core::UserId& user, const std::string& medium, const std::string& address,
              const std::optional<std::string>& id_server, std::function<void(core::Result<std::string>)> done);
  // Deactivation: every bind of the user undone (at `id_server` when given, else where it was
  // made); "success" when every one was, "no-support" otherwise. Never fails.
  void unbind_all(const core::UserId& user, const std::optional<std::string>& id_server,
                  std::function<void(std::string)> done);
  // The Matrix ID that (medium, address) is bound to at `id_server` (v2 /hash_details then
  // /lookup, with the client's `id_access_token`), nullopt when none.
  void lookup(const std::string& id_server, const std::string& id_access_token, const std::string& medium,
              const std::string& address, std::function<void(core::Result<std::optional<std::string>>)> done);
  // An invite of (medium, address), bound to nobody yet, to `room_id` by `sender`
  // (identity-service-api /store-invite): the identity server tells the address, and later
  // its owner's homeserver (/3pid/onbind). `done` gets the m.room.third_party_invite content
  // to send (state key: its "token" field, removed from the content): display_name,
  // key_validity_url, public_key, public_keys. Only the fields the spec requires are shared
  // with the identity server: no room name, alias or avatar, no inviter's profile.
  struct StoredInvite {
    std::string token;
    json::object content;
  };
  void store_invite(const std::string& id_server, const std::string& id_access_token, const std::string& medium,
                    const std::string& address, const std::string& room_id, const std::string& sender,
                    std::function<void(core::Result<StoredInvite>)> done);
  // Whether `public_key` is still valid, asked at `validity_url` (an m.room.third_party_invite's
  // key_validity_url: https only, and as any identity server, only where the config allows):
  // true only for {"valid": true}. Unreachable or refused: false.
  void key_valid(const std::string& validity_url, const std::string& public_key, std::function<void(bool)> done);

 private:
  // Sends `request` and parses the answer: a JSON object for a 2xx, else the identity
  // server's error (passed on when it is a Matrix error, M_UNKNOWN 502 otherwise).
  void call(Request request, std::function<void(core::Result<json::object>)> done);
  core::Status usable(const std::string& id_server) const;
  void unbind_one(const core::UserId& user, storage::ThreepidBind bind, std::function<void(core::Status)> done);
  // unbind(): binds[i..] one after the other; the first failure ends it (what was unbound stays so).
  void unbind_each(const core::UserId& user, std::vector<storage::ThreepidBind> binds, std::size_t i,
                   std::function<void(core::Result<std::string>)> done);

  const AccountsOptions& config_;
  storage::AccountStore& store_;
  Transport transport_;
  Sign sign_;
};

}  // namespace myelin::homeserver
