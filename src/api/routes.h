#pragma once
// The one table of every route myelin serves (routes.cc) and the glue that turns it into an
// http::Router: authentication, rate limits, the r0/v3 path aliases and the M_UNRECOGNIZED
// fallbacks.
#include "homeserver/homeserver.h"
#include "http/http.h"

namespace myelin::api {

// Registers every route on `router`. `hs` must outlive the router.
void install_routes(http::Router& router, homeserver::Homeserver& hs);

}  // namespace myelin::api
