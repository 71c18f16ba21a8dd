#include "homeserver/uia.h"

#include <algorithm>

#include "core/ids.h"
#include "homeserver/timeline.h"

namespace myelin::homeserver {

using core::Errc;

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

core::Status Uia::check(const json::object& request, const Flows& flows, const StageCheck& verify) {
  const std::int64_t now = now_ms();
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second.expires_ms < now; });
  if (sessions_.size() > 100'000) sessions_.clear();  // bounded memory under abuse

  const json::value* auth = request.if_contains("auth");
  std::string session_id;
  if (auth && auth->is_object()) {
    if (auto s = auth->get_object().if_contains("session"); s && s->is_string()) session_id = s->get_string();
  }
  if (session_id.empty() || !sessions_.contains(session_id)) {
    if (session_id.empty()) session_id = core::random_string(24);
    sessions_[session_id].expires_ms = now + 10 * 60 * 1000;
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
    return std::unexpected(challenge(session_id, flows, core::make_error(Errc::kUnrecognized, "Unsupported auth stage")));
  if (auto ok = verify(stage, auth->get_object()); !ok) return std::unexpected(challenge(session_id, flows, ok.error()));
  session.completed.insert(stage);
  for (const auto& flow : flows) {
    if (std::all_of(flow.begin(), flow.end(), [&](const auto& s) { return session.completed.contains(s); })) {
      sessions_.erase(session_id);
      return {};
    }
  }
  return std::unexpected(challenge(session_id, flows, core::Error{401, "", "", {}}));
}

}  // namespace myelin::homeserver
