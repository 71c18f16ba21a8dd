#include "api/call.h"

#include <charconv>
#include <limits>

#include "homeserver/sync/sync.h"

namespace myelin::api {

namespace {

http::Response with_body(std::string body, int status) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace

http::Response json_response(const json::value& body, int status) { return with_body(core::to_string(body), status); }

http::Response json_response(const json::object& body, int status) { return with_body(core::to_string(body), status); }

http::Response error_response(const core::Error& error) {
  // A UIA challenge without a failed stage carries no errcode (client-server-api UIA).
  json::object body = error.errcode.empty() ? error.extra : error.to_json();
  return json_response(body, error.http_status);
}

void Call::reply(const json::value& body, int status) const { respond(json_response(body, status)); }

void Call::reply(const json::object& body, int status) const { respond(json_response(body, status)); }

std::optional<storage::Transaction> Call::transaction() const {
  storage::Transaction txn{session->user_id, session->device_id, "", ""};
  std::string_view pattern = route;
  std::size_t param = 0;
  bool found = false;
  while (!pattern.empty()) {
    const std::size_t open = pattern.find('{');
    txn.endpoint += pattern.substr(0, open);
    if (open == std::string_view::npos) break;
    const std::size_t close = pattern.find('}', open);
    const std::string& value = request.params.at(param++);
    if (pattern.substr(open + 1, close - open - 1) == "txnId") {
      txn.txn_id = value;
      found = true;
      if (txn.endpoint.ends_with('/')) txn.endpoint.pop_back();
    } else {
      for (char c : value) txn.endpoint += c == '%' ? "%25" : c == '/' ? "%2F" : std::string(1, c);
    }
    pattern.remove_prefix(close + 1);
  }
  if (!found) return std::nullopt;
  return txn;
}

void Call::fail(const core::Error& error) const { respond(error_response(error)); }

namespace {

template <class Id>
core::Result<Id> id_param(const Call& call, std::size_t i, std::string_view what) {
  auto id = Id::parse(call.param(i));
  if (!id) return core::fail(core::Errc::kInvalidParam, "Invalid " + std::string(what) + " in the path");
  return std::move(*id);
}

}  // namespace

core::Result<core::UserId> Call::user_id_param(std::size_t i) const {
  return id_param<core::UserId>(*this, i, "userId");
}

core::Result<core::RoomId> Call::room_id_param(std::size_t i) const {
  return id_param<core::RoomId>(*this, i, "roomId");
}

core::Result<core::EventId> Call::event_id_param(std::size_t i) const {
  return id_param<core::EventId>(*this, i, "eventId");
}

core::Result<json::object> Call::body() const {
  if (request.body.empty()) return json::object{};
  auto parsed = core::parse_json(request.body);
  if (!parsed) return std::unexpected(parsed.error());
  if (!parsed->is_object()) return core::fail(core::Errc::kBadJson, "Body must be a JSON object");
  return std::move(parsed->get_object());
}

core::Result<std::string> required_string(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  if (!value) return core::fail(core::Errc::kMissingParam, "Missing " + std::string(key));
  if (!value->is_string()) return core::fail(core::Errc::kBadJson, std::string(key) + " must be a string");
  return std::string(value->get_string());
}

core::Result<std::optional<std::string>> optional_string(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  if (!value || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) return core::fail(core::Errc::kBadJson, std::string(key) + " must be a string");
  return std::optional<std::string>(std::string(value->get_string()));
}

core::Result<std::optional<bool>> optional_bool(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  if (!value || value->is_null()) return std::optional<bool>();
  if (!value->is_bool()) return core::fail(core::Errc::kBadJson, std::string(key) + " must be a boolean");
  return std::optional<bool>(value->get_bool());
}

std::optional<std::string> token_query_param(const http::Request& request, std::string_view name) {
  auto text = request.query_param(name);
  if (text && text->empty()) return std::nullopt;
  return text;
}

core::Result<std::optional<storage::StreamPos>> stream_token_param(const http::Request& request, std::string_view name,
                                                                   bool history) {
  auto text = token_query_param(request, name);
  if (!text) return std::optional<storage::StreamPos>();
  auto pos = history ? homeserver::parse_pagination_token(*text) : homeserver::parse_stream_token(*text);
  if (!pos) return core::fail(core::Errc::kInvalidParam, "Invalid " + std::string(name) + " token");
  return std::optional<storage::StreamPos>(*pos);
}

core::Result<std::int64_t> int_query_param(const http::Request& request, std::string_view name, std::int64_t fallback) {
  auto text = request.query_param(name);
  if (!text) return fallback;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size())
    return core::fail(core::Errc::kInvalidParam, std::string(name) + " must be an integer");
  return value;
}

core::Result<std::optional<std::int64_t>> optional_int(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  if (!value || value->is_null()) return std::optional<std::int64_t>();
  if (value->is_int64()) return std::optional<std::int64_t>(value->get_int64());
  if (value->is_uint64()) return std::optional<std::int64_t>(std::numeric_limits<std::int64_t>::max());
  return core::fail(core::Errc::kBadJson, std::string(key) + " must be an integer");
}

}  // namespace myelin::api
