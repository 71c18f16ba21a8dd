#include "homeserver/push/push_rules_cache.h"

#include "homeserver/push/push_rules.h"

namespace myelin::homeserver {

PushRuleset PushRulesCache::rules(storage::UserDataStore& store, const std::string& user_id) {
  std::optional<std::string> stored = store.account_data(user_id, "", "m.push_rules");
  auto it = entries_.find(user_id);
  if (!stored) {
    if (it != entries_.end()) entries_.erase(it);
    return {default_push_rules_template(), true};
  }
  if (it != entries_.end() && it->second.stored == *stored) return {it->second.rules};
  auto rules = std::make_shared<const json::object>(load_push_rules(store, user_id));
  if (it == entries_.end() && entries_.size() >= kMaxUsers) entries_.clear();
  entries_[user_id] = Entry{std::move(*stored), rules};
  return {rules};
}

}  // namespace myelin::homeserver
