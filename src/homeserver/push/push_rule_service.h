#pragma once
// Reading and editing a user's push rules (client-server-api "Push Rules: API"): every
// request loads the user's ruleset (push_rules.h), every change saves the whole ruleset as
// their m.push_rules account data and tells `changed` (which wakes the user's syncs).
// A user keeps at most PushOptions::push_rules_per_user rules of their own.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/push/options.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

class PushRuleService {
 public:
  using Changed = std::function<void(const std::string& user_id)>;
  PushRuleService(const PushOptions& config, storage::UserDataStore& store, Changed changed)
      : config_(config), store_(store), changed_(std::move(changed)) {}

  // GET /pushrules/: {"global": {...}}.
  json::object ruleset(const std::string& user_id);
  // GET /pushrules/global/.
  json::value global(const std::string& user_id);
  // GET /pushrules/global/{kind}/: M_INVALID_PARAM for an unknown kind.
  core::Result<json::value> of_kind(const std::string& user_id, std::string_view kind);
  // GET /pushrules/global/{kind}/{ruleId}: M_NOT_FOUND when absent.
  core::Result<json::object> rule(const std::string& user_id, std::string_view kind, std::string_view rule_id);
  // PUT /pushrules/global/{kind}/{ruleId} (put_rule's rules and errors).
  core::Status put(const std::string& user_id, std::string_view kind, std::string_view rule_id,
                   const json::object& body, std::optional<std::string> before, std::optional<std::string> after);
  // DELETE /pushrules/global/{kind}/{ruleId}: user rules only.
  core::Status remove(const std::string& user_id, std::string_view kind, std::string_view rule_id);
  // GET .../{ruleId}/enabled and .../actions: {attribute: value}.
  core::Result<json::object> attribute(const std::string& user_id, std::string_view kind, std::string_view rule_id,
                                       const std::string& attribute);
  // PUT .../{ruleId}/enabled (a boolean) and .../actions (an array) from the request body:
  // M_NOT_FOUND for an unknown rule, then M_BAD_JSON for a missing or mistyped value.
  core::Status set_attribute(const std::string& user_id, std::string_view kind, std::string_view rule_id,
                             const std::string& attribute, const json::object& body);

 private:
  void save(const std::string& user_id, const json::object& rules);

  const PushOptions& config_;
  storage::UserDataStore& store_;
  Changed changed_;
};

}  // namespace myelin::homeserver
