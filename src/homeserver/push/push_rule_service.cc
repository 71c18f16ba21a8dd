#include "homeserver/push/push_rule_service.h"

#include "homeserver/push/push_rules.h"

namespace myelin::homeserver {

using core::Errc;

json::object PushRuleService::ruleset(const std::string& user_id) { return load_push_rules(store_, user_id); }

json::value PushRuleService::global(const std::string& user_id) { return ruleset(user_id)["global"]; }

core::Result<json::value> PushRuleService::of_kind(const std::string& user_id, std::string_view kind) {
  if (!is_rule_kind(kind)) return core::fail(Errc::kInvalidParam, "Unknown rule kind");
  return ruleset(user_id)["global"].as_object()[kind];
}

core::Result<json::object> PushRuleService::rule(const std::string& user_id, std::string_view kind,
                                                 std::string_view rule_id) {
  json::object rules = ruleset(user_id);
  auto found = find_rule(rules, kind, rule_id);
  if (!found) return std::unexpected(found.error());
  return **found;
}

core::Status PushRuleService::put(const std::string& user_id, std::string_view kind, std::string_view rule_id,
                                  const json::object& body, std::optional<std::string> before,
                                  std::optional<std::string> after) {
  json::object rules = ruleset(user_id);
  auto put = put_rule(rules, kind, rule_id, body, std::move(before), std::move(after), config_.push_rules_per_user);
  if (!put) return put;
  save(user_id, rules);
  return {};
}

core::Status PushRuleService::remove(const std::string& user_id, std::string_view kind, std::string_view rule_id) {
  json::object rules = ruleset(user_id);
  if (auto deleted = delete_rule(rules, kind, rule_id); !deleted) return deleted;
  save(user_id, rules);
  return {};
}

core::Result<json::object> PushRuleService::attribute(const std::string& user_id, std::string_view kind,
                                                      std::string_view rule_id, const std::string& attribute) {
  json::object rules = ruleset(user_id);
  auto found = find_rule(rules, kind, rule_id);
  if (!found) return std::unexpected(found.error());
  return json::object{{attribute, (**found)[attribute]}};
}

core::Status PushRuleService::set_attribute(const std::string& user_id, std::string_view kind, std::string_view rule_id,
                                            const std::string& attribute, const json::object& body) {
  json::object rules = ruleset(user_id);
  auto found = find_rule(rules, kind, rule_id);
  if (!found) return std::unexpected(found.error());
  json::object& rule = **found;
  auto value = body.if_contains(attribute);
  if (attribute == "enabled" && (!value || !value->is_bool()))
    return core::fail(Errc::kBadJson, "enabled must be a boolean");
  if (attribute == "actions" && (!value || !value->is_array()))
    return core::fail(Errc::kBadJson, "actions must be an array");
  rule[attribute] = *value;
  if (auto ok = check_rule_size(rule); !ok) return ok;
  save(user_id, rules);
  return {};
}

void PushRuleService::save(const std::string& user_id, const json::object& rules) {
  save_push_rules(store_, user_id, rules);
  changed_(user_id);
}

}  // namespace myelin::homeserver
