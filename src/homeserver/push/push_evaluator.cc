#include "homeserver/push/push_evaluator.h"

#include "core/glob.h"

#include <cctype>
#include <vector>

namespace myelin::homeserver {
namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// `pattern` matches a substring of `text` that starts and ends at word boundaries.
bool glob_words(std::string_view pattern, std::string_view text) {
  for (std::size_t start = 0; start <= text.size(); ++start) {
    if (start > 0 && word_char(text[start - 1]) && start < text.size() && word_char(text[start])) continue;
    for (std::size_t end = text.size() + 1; end-- > start;) {
      if (end < text.size() && end > 0 && word_char(text[end - 1]) && word_char(text[end])) continue;
      if (core::glob_match(pattern, text.substr(start, end - start))) return true;
    }
  }
  return false;
}

// appendices "Dot-separated property paths": '.' separates, '\.' and '\\' escape.
const json::value* property(const json::object& event, std::string_view key) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '\\' && i + 1 < key.size() && (key[i + 1] == '.' || key[i + 1] == '\\')) {
      parts.back() += key[++i];
    } else if (key[i] == '.') {
      parts.emplace_back();
    } else {
      parts.back() += key[i];
    }
  }
  const json::value* value = nullptr;
  const json::object* object = &event;
  for (const auto& part : parts) {
    if (!object) return nullptr;
    value = object->if_contains(part);
    if (!value) return nullptr;
    object = value->is_object() ? &value->get_object() : nullptr;
  }
  return value;
}

bool scalar(const json::value& value) {
  return value.is_string() || value.is_int64() || value.is_uint64() || value.is_bool() || value.is_null();
}

bool member_count_matches(std::string_view is, std::int64_t count) {
  std::string_view op;
  for (std::string_view candidate : {"==", "<=", ">=", "<", ">"}) {
    if (is.starts_with(candidate)) {
      op = candidate;
      break;
    }
  }
  is.remove_prefix(op.size());
  if (is.empty()) return false;
  std::int64_t number = 0;
  for (char c : is) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    number = number * 10 + (c - '0');
  }
  if (op == "<") return count < number;
  if (op == ">") return count > number;
  if (op == "<=") return count <= number;
  if (op == ">=") return count >= number;
  return count == number;
}

std::string_view text_of(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

// A condition's `pattern` or `value`, with the template's "@USER@" read as the user's ID.
std::string_view resolved(std::string_view text, const PushContext& context) {
  return context.user_placeholder && text == "@USER@" ? std::string_view(context.user_id) : text;
}

bool condition_holds(const json::object& condition, const json::object& event, const PushContext& context) {
  const std::string_view kind = text_of(condition, "kind");
  if (kind == "event_match") {
    const json::value* value = property(event, text_of(condition, "key"));
    if (!value || !value->is_string() || !condition.contains("pattern")) return false;
    const std::string_view pattern = resolved(text_of(condition, "pattern"), context);
    return text_of(condition, "key") == "content.body" ? glob_words(pattern, value->get_string())
                                                       : core::glob_match(pattern, value->get_string());
  }
  if (kind == "event_property_is" || kind == "event_property_contains") {
    const json::value* value = property(event, text_of(condition, "key"));
    const json::value* expected = condition.if_contains("value");
    if (!value || !expected) return false;
    auto matches = [&](const json::value& item) {
      if (!scalar(item)) return false;
      if (!expected->is_string()) return item == *expected;
      return item.is_string() && std::string_view(item.get_string()) == resolved(expected->get_string(), context);
    };
    if (kind == "event_property_is") return matches(*value);
    if (!value->is_array()) return false;
    for (const auto& item : value->get_array())
      if (matches(item)) return true;
    return false;
  }
  if (kind == "contains_display_name") {
    const json::value* body = property(event, "content.body");
    return !context.display_name.empty() && body && body->is_string() &&
           glob_words(context.display_name, body->get_string());
  }
  if (kind == "room_member_count") return member_count_matches(text_of(condition, "is"), context.member_count);
  if (kind == "sender_notification_permission")
    return context.sender_may_notify && context.sender_may_notify(text_of(event, "sender"), text_of(condition, "key"));
  return false;  // unknown conditions never match
}

bool rule_matches(std::string_view kind, const json::object& rule, const json::object& event,
                  const PushContext& context) {
  const std::string_view id = text_of(rule, "rule_id");
  if (kind == "room") return id == text_of(event, "room_id");
  if (kind == "sender") return id == text_of(event, "sender");
  if (kind == "content") {
    const json::value* body = property(event, "content.body");
    return body && body->is_string() && glob_words(text_of(rule, "pattern"), body->get_string());
  }
  auto conditions = rule.if_contains("conditions");
  if (!conditions || !conditions->is_array()) return true;
  for (const auto& condition : conditions->get_array())
    if (!condition.is_object() || !condition_holds(condition.get_object(), event, context)) return false;
  return true;
}

}  // namespace

PushResult evaluate_push_rules(const json::object& rules, const json::object& event, const PushContext& context) {
  auto global = rules.if_contains("global");
  if (!global || !global->is_object()) return {};
  for (std::string_view kind : {"override", "content", "room", "sender", "underride"}) {
    auto list = global->get_object().if_contains(kind);
    if (!list || !list->is_array()) continue;
    for (const auto& entry : list->get_array()) {
      if (!entry.is_object()) continue;
      const auto& rule = entry.get_object();
      auto enabled = rule.if_contains("enabled");
      if (enabled && enabled->is_bool() && !enabled->get_bool()) continue;
      if (!rule_matches(kind, rule, event, context)) continue;
      PushResult result;
      if (auto actions = rule.if_contains("actions"); actions && actions->is_array()) {
        result.actions = &actions->get_array();
        for (const auto& action : actions->get_array()) {
          if (action.is_string() && action.get_string() == "notify") result.notify = true;
          if (action.is_object() && text_of(action.get_object(), "set_tweak") == "highlight") {
            auto value = action.get_object().if_contains("value");
            result.highlight = !value || (value->is_bool() && value->get_bool());
          }
        }
      }
      return result;
    }
  }
  return {};
}

}  // namespace myelin::homeserver
