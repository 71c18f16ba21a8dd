#pragma once
// The one table of every route myelin serves (routes.cc) and the glue that turns it into an
// http::Router: authentication, rate limits, the r0/v3 path aliases and the M_UNRECOGNIZED
// fallbacks.
#include "api/options.h"
#include "homeserver/homeserver.h"
#include "http/http.h"

namespace myelin::api {

// Registers every route on `router`. `hs` must outlive the router; `options` are copied.
void install_routes(http::Router& router, homeserver::Homeserver& hs, const ClientApiOptions& options);

// The query and path parameters whose values the request log leaves out: credentials
// (access_token, a registration token) and what users wrote or look for (a previewed link, an
// upload's or download's file name, a user name probed for availability).
const std::vector<std::string>& secret_params();

// The body of the answers the HTTP layer gives itself (400, 413, 414, 431, 500).
std::string http_error_body(int status);

}  // namespace myelin::api
