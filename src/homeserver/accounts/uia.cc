#include "homeserver/accounts/uia.h"

#include <algorithm>

#include "core/clock.h"
#include "core/ids.h"

namespace myelin::homeserver {

using core::Errc;

namespace {

// What is kept of a session's first request (as JSON, with its session ID): a UIA request is a
// few hundred bytes (registration parameters, device IDs to delete, cross-signing keys).
constexpr std::size_t kMaxRequestBytes = 65'536;
// Under abuse (sessions opened and never finished) everything is forgotten beyond these.
constexpr std::size_t kMaxSessions = 100'000;
constexpr std::size_t kMaxBytes = 16u << 20;

}  // namespace

core::Error Uia::challenge(const std::string& session_id, const Flows& flows, core::Error base) const {
  json::array flow_list;
  for (const auto& flow : flows) {
    json::array stages;
    for (const auto& stage : flow) stages.emplace_back(stage);
    flow_list.emplace_back(json::object{{"stages", std::move(stages)}});
  }
  json::array completed;
  if (auto it = sessions_.find(session_id); it != sessions_.end())
    for (const auto& stage : it->second.completed) completed.emplace_back(stage);
  base.http_status = 401;
  base.extra["flows"] = std::move(flow_list);
  base.extra["params"] = json::object{};
  base.extra["session"] = session_id;
  base.extra["completed"] = std::move(completed);
  return base;
}

core::Status Uia::check(const json::object& request, const Flows& flows, const StageCheck& verify,
                        std::string operation) {
  const std::int64_t now = core::now_ms();
  std::erase_if(sessions_, [this, now](const auto& entry) {
    if (entry.second.expires_ms >= now) return false;
    bytes_ -= entry.second.bytes;
    return true;
  });
  if (sessions_.size() > kMaxSessions || bytes_ > kMaxBytes) {
    sessions_.clear();
    bytes_ = 0;
  }

  const json::value* auth = request.if_contains("auth");
  std::string session_id = session_of(request);
  if (auto known = sessions_.find(session_id); known != sessions_.end() && known->second.done) {
    bytes_ -= known->second.bytes;
    sessions_.erase(known);
  }
  if (session_id.empty() || !sessions_.contains(session_id)) {
    if (session_id.empty()) session_id = core::random_string(24);
    json::object first = request;
    first.erase("auth");
    const std::size_t bytes = core::to_string(first).size() + session_id.size() + operation.size();
    if (bytes > kMaxRequestBytes)
      return core::fail(Errc::kTooLarge, "The request is too large for user-interactive authentication");
    sessions_[session_id] =
        Session{{}, now + 10 * 60 * 1000, std::move(first), std::move(operation), false, std::nullopt, bytes};
    bytes_ += bytes;
  }
  Session& session = sessions_[session_id];
  const json::value* type = auth && auth->is_object() ? auth->get_object().if_contains("type") : nullptr;
  if (!type) return std::unexpected(challenge(session_id, flows, core::Error{401, "", "", {}}));
  if (!type->is_string()) return core::fail(Errc::kBadJson, "auth.type must be a string");
  const std::string stage(type->get_string());
  const bool offered = std::any_of(flows.begin(), flows.end(), [&](const auto& flow) {
    return std::find(flow.begin(), flow.end(), stage) != flow.end();
  });
  if (!offered)
    return std::unexpected(
        challenge(session_id, flows, core::make_error(Errc::kUnrecognized, "Unsupported auth stage")));
  if (auto ok = verify(stage, auth->get_object()); !ok)
    return std::unexpected(challenge(session_id, flows, ok.error()));
  session.completed.insert(stage);
  for (const auto& flow : flows) {
    if (std::all_of(flow.begin(), flow.end(), [&](const auto& s) { return session.completed.contains(s); })) {
      session.done = true;
      return {};
    }
  }
  return std::unexpected(challenge(session_id, flows, core::Error{401, "", "", {}}));
}

std::string Uia::session_of(const json::object& request) {
  const json::value* auth = request.if_contains("auth");
  if (!auth || !auth->is_object()) return "";
  auto session = auth->get_object().if_contains("session");
  return session && session->is_string() ? std::string(session->get_string()) : "";
}

core::Status Uia::same_operation(const json::object& request, std::string_view operation) const {
  auto it = sessions_.find(session_of(request));
  if (it == sessions_.end()) return {};
  json::object body = request;
  body.erase("auth");
  if (it->second.operation != operation || body != it->second.first_request)
    return core::fail(Errc::kForbidden, "The request changed during user-interactive authentication");
  return {};
}

const json::object* Uia::first_request(const std::string& session_id) const {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? nullptr : &it->second.first_request;
}

std::optional<std::string> Uia::result(const std::string& session_id) const {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() || !it->second.done ? std::nullopt : it->second.result;
}

void Uia::set_result(const std::string& session_id, std::string value) {
  if (auto it = sessions_.find(session_id); it != sessions_.end()) it->second.result = std::move(value);
}

}  // namespace myelin::homeserver
