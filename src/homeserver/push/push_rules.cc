#include "homeserver/push/push_rules.h"

#include "homeserver/push/default_push_rules.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

constexpr std::string_view kKinds[] = {"override", "content", "room", "sender", "underride"};

// The largest rule, as JSON: room for a long keyword or many conditions and actions.
constexpr std::size_t kMaxRuleBytes = 4096;

// Rules the user defined (server-default rule IDs start with '.').
std::int64_t user_rule_count(const json::object& rules) {
  std::int64_t count = 0;
  auto global = rules.if_contains("global");
  if (!global || !global->is_object()) return 0;
  for (const auto& [kind, list] : global->get_object()) {
    if (!list.is_array()) continue;
    for (const auto& rule : list.get_array()) {
      auto id = rule.is_object() ? rule.get_object().if_contains("rule_id") : nullptr;
      if (id && id->is_string() && !id->get_string().starts_with(".")) ++count;
    }
  }
  return count;
}

json::array& kind_list(json::object& rules, std::string_view kind) {
  json::object& global = core::child(rules, "global");
  json::value& list = global[kind];
  if (!list.is_array()) list.emplace_array();
  return list.get_array();
}

core::Status check_actions(const json::value* actions) {
  if (!actions || !actions->is_array()) return core::fail(Errc::kBadJson, "actions must be an array");
  for (const auto& action : actions->get_array()) {
    if (action.is_string()) {
      const auto& name = action.get_string();
      if (name != "notify" && name != "dont_notify" && name != "coalesce")
        return core::fail(Errc::kUnknown, "Unknown action " + std::string(name));
    } else if (!action.is_object() || !action.get_object().contains("set_tweak")) {
      return core::fail(Errc::kUnknown, "Invalid action");
    }
  }
  return {};
}

}  // namespace

namespace {

// Puts the user's ID where the template has "@USER@".
void fill_in_user(json::value& value, std::string_view user_id) {
  if (value.is_string()) {
    if (value.get_string() == "@USER@") value = user_id;
  } else if (value.is_object()) {
    for (auto& field : value.get_object()) fill_in_user(field.value(), user_id);
  } else if (value.is_array()) {
    for (auto& item : value.get_array()) fill_in_user(item, user_id);
  }
}

}  // namespace

std::shared_ptr<const json::object> default_push_rules_template() {
  static const auto kTemplate =
      std::make_shared<const json::object>(core::parse_json_object(kDefaultPushRules).value());
  return kTemplate;
}

// A copy of the template (parsed once) with the user's ID filled in: cheaper than parsing again.
json::object default_push_rules(std::string_view user_id) {
  json::value rules = *default_push_rules_template();
  fill_in_user(rules, user_id);
  return std::move(rules.get_object());
}

json::object load_push_rules(storage::UserDataStore& store, const std::string& user_id) {
  if (auto stored = store.account_data(user_id, "", "m.push_rules")) {
    if (auto parsed = core::parse_json_object(*stored); parsed && parsed->contains("global")) return std::move(*parsed);
  }
  return default_push_rules(user_id);
}

storage::StreamPos save_push_rules(storage::UserDataStore& store, const std::string& user_id,
                                   const json::object& rules) {
  return store.set_account_data(user_id, "", "m.push_rules", core::to_string(rules));
}

core::Status check_rule_size(const json::object& rule) {
  if (core::to_string(rule).size() > kMaxRuleBytes)
    return core::fail(Errc::kTooLarge, "A push rule is at most " + std::to_string(kMaxRuleBytes) + " bytes");
  return {};
}

bool is_rule_kind(std::string_view kind) {
  for (auto known : kKinds)
    if (known == kind) return true;
  return false;
}

core::Result<json::object*> find_rule(json::object& rules, std::string_view kind, std::string_view rule_id) {
  if (!is_rule_kind(kind)) return core::fail(Errc::kInvalidParam, "Unknown rule kind");
  for (auto& rule : kind_list(rules, kind)) {
    if (!rule.is_object()) continue;
    auto id = rule.get_object().if_contains("rule_id");
    if (id && id->is_string() && id->get_string() == rule_id) return &rule.get_object();
  }
  return core::fail(Errc::kNotFound, "Unknown push rule");
}

core::Status put_rule(json::object& rules, std::string_view kind, std::string_view rule_id, const json::object& body,
                      std::optional<std::string> before, std::optional<std::string> after,
                      std::int64_t max_user_rules) {
  if (!is_rule_kind(kind)) return core::fail(Errc::kInvalidParam, "Unknown rule kind");
  if (rule_id.empty() || rule_id.starts_with("."))
    return core::fail(Errc::kInvalidParam, "Rule IDs starting with '.' are reserved");
  if (rule_id.find('/') != std::string_view::npos || rule_id.find('\\') != std::string_view::npos)
    return core::fail(Errc::kInvalidParam, "Invalid rule ID");
  if (auto ok = check_actions(body.if_contains("actions")); !ok) return ok;
  json::object rule{{"rule_id", rule_id}, {"default", false}, {"enabled", true}, {"actions", body.at("actions")}};
  if (kind == "override" || kind == "underride") {
    auto conditions = body.if_contains("conditions");
    if (conditions && !conditions->is_array()) return core::fail(Errc::kBadJson, "conditions must be an array");
    if (conditions)
      for (const auto& condition : conditions->get_array())
        if (!condition.is_object() || !condition.get_object().contains("kind"))
          return core::fail(Errc::kBadJson, "Each condition needs a kind");
    rule["conditions"] = conditions ? *conditions : json::array{};
  } else if (kind == "content") {
    auto pattern = body.if_contains("pattern");
    if (!pattern || !pattern->is_string()) return core::fail(Errc::kMissingParam, "Content rules need a pattern");
    rule["pattern"] = *pattern;
  }
  if (auto ok = check_rule_size(rule); !ok) return ok;
  if (!find_rule(rules, kind, rule_id)) {
    if (auto ok = core::within_limit(user_rule_count(rules) + 1, max_user_rules, "push rules"); !ok) return ok;
  }
  json::array& list = kind_list(rules, kind);
  // Keep a replaced rule's enabled flag, as the spec's PUT replaces definition and actions only.
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->as_object().at("rule_id") == json::value(rule_id)) {
      if (auto enabled = it->as_object().if_contains("enabled")) rule["enabled"] = *enabled;
      list.erase(it);
      break;
    }
  }
  auto position_of = [&list](const std::string& id) {
    for (std::size_t i = 0; i < list.size(); ++i)
      if (list[i].as_object().at("rule_id") == json::value(id)) return std::optional<std::size_t>(i);
    return std::optional<std::size_t>();
  };
  std::size_t at = 0;
  if (before || after) {
    const std::string& anchor = before ? *before : *after;
    auto found = position_of(anchor);
    if (!found || anchor.starts_with(".")) return core::fail(Errc::kNotFound, "before/after names no user rule");
    at = before ? *found : *found + 1;
  } else {
    while (at < list.size() && list[at].as_object().at("rule_id") == json::value(".m.rule.master")) ++at;
  }
  list.insert(list.begin() + static_cast<std::ptrdiff_t>(at), std::move(rule));
  return {};
}

core::Status delete_rule(json::object& rules, std::string_view kind, std::string_view rule_id) {
  auto rule = find_rule(rules, kind, rule_id);
  if (!rule) return std::unexpected(rule.error());
  if (rule_id.starts_with(".")) return core::fail(Errc::kNotFound, "Server-default rules cannot be deleted");
  auto& list = kind_list(rules, kind);
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->as_object().at("rule_id") == json::value(rule_id)) {
      list.erase(it);
      break;
    }
  }
  return {};
}

}  // namespace myelin::homeserver
