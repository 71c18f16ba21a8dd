// User-interactive authentication, m.login.password stage — client-server-api
// "User-Interactive Authentication API" / "Password-based".
#include "api/client/password_uia.h"

namespace myelin::api {

void with_password_uia(Call& call, const json::object& body, std::function<void(Call&)> then) {
  call.hs.credentials.confirm(call.user(), call.request.method + " " + call.request.path, body,
                              [call, then = std::move(then)](core::Status verdict) mutable {
                                if (!verdict) return call.fail(verdict.error());
                                then(call);
                              });
}

}  // namespace myelin::api
