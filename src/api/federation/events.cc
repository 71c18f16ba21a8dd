// GET  /_matrix/federation/v1/event/{eventId}               — server-server-api "Retrieving events"
// GET  /_matrix/federation/v1/state/{roomId}?event_id=
// GET  /_matrix/federation/v1/state_ids/{roomId}?event_id=
// GET  /_matrix/federation/v1/event_auth/{roomId}/{eventId}  — "Retrieving event authorisation information"
// POST /_matrix/federation/v1/get_missing_events/{roomId}    — "Backfilling and retrieving missing events"
// GET  /_matrix/federation/v1/backfill/{roomId}?v=…&limit=
// Who may read what is homeserver::FederationReads'.
#include "api/handlers.h"

namespace myelin::api {
namespace {

// The required event_id query parameter.
core::Result<std::string> event_id_query(const Call& call) {
  auto event_id = call.request.query_param("event_id");
  if (!event_id) return core::fail(core::Errc::kMissingParam, "Missing event_id");
  return *event_id;
}

}  // namespace

void get_federation_event(Call& call) { call.answer(call.hs.federation_reads.event(call.origin(), call.param(0))); }

void get_federation_state(Call& call) {
  auto event_id = event_id_query(call);
  if (!event_id) return call.fail(event_id.error());
  call.answer(call.hs.federation_reads.state(call.origin(), call.param(0), *event_id));
}

void get_federation_state_ids(Call& call) {
  auto event_id = event_id_query(call);
  if (!event_id) return call.fail(event_id.error());
  call.answer(call.hs.federation_reads.state_ids(call.origin(), call.param(0), *event_id));
}

void get_federation_event_auth(Call& call) {
  call.answer(call.hs.federation_reads.event_auth(call.origin(), call.param(0), call.param(1)));
}

void post_federation_get_missing_events(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.answer(call.hs.federation_reads.missing_events(call.origin(), call.param(0), json::value(std::move(*body))));
}

void get_federation_backfill(Call& call) {
  auto limit = int_query_param(call.request, "limit", 10);
  if (!limit) return call.fail(limit.error());
  call.answer(call.hs.federation_reads.backfill(call.origin(), call.param(0), call.request.query_params("v"), *limit));
}

}  // namespace myelin::api
