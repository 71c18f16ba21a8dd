#pragma once
// Push rules (client-server-api "Push Rules"): a user's ruleset is the server defaults until
// they change something; then the whole ruleset is kept as their global account data
// m.push_rules, which is also how clients learn of changes through /sync. The editing
// functions are pure and return the spec's errors.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/json.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

json::object default_push_rules(std::string_view user_id);
// The defaults with "@USER@" where the user's ID goes (what default_push_rules fills in; the
// evaluator can read it as is, PushContext::user_placeholder).
std::shared_ptr<const json::object> default_push_rules_template();

// The user's ruleset ({"global": {...}}): stored, or the defaults.
json::object load_push_rules(storage::UserDataStore& store, const std::string& user_id);
storage::StreamPos save_push_rules(storage::UserDataStore& store, const std::string& user_id,
                                   const json::object& rules);

// The rule kinds: override, content, room, sender, underride.
bool is_rule_kind(std::string_view kind);

// Finds a rule; M_NOT_FOUND when absent.
core::Result<json::object*> find_rule(json::object& rules, std::string_view kind, std::string_view rule_id);

// 413 M_TOO_LARGE for a rule above 4096 bytes as JSON (its pattern, conditions and actions).
core::Status check_rule_size(const json::object& rule);

// PUT /pushrules/global/{kind}/{ruleId}: adds or replaces a user rule from the request body,
// placed before/after another user rule when asked, else first among the user rules of its
// kind (which all come before the server defaults, except .m.rule.master which stays first).
// A rule must pass check_rule_size; a new one beyond `max_user_rules` user rules is refused
// (403 M_FORBIDDEN).
core::Status put_rule(json::object& rules, std::string_view kind, std::string_view rule_id, const json::object& body,
                      std::optional<std::string> before, std::optional<std::string> after, std::int64_t max_user_rules);

// DELETE: user rules only; server-default rules cannot be deleted (404 M_NOT_FOUND).
core::Status delete_rule(json::object& rules, std::string_view kind, std::string_view rule_id);

}  // namespace myelin::homeserver
