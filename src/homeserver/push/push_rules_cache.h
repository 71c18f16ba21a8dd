#pragma once
// The parsed rulesets of users who sync with rules of their own, reused while their stored
// m.push_rules text is the same (parsing a ruleset costs more than the rest of an incremental
// sync that evaluates one event). A change of the rules changes the text, so a ruleset is
// never stale. Users with the defaults share one template (a ruleset takes ~15 kB). In memory
// and bounded.
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/json.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

// A ruleset for the evaluator: the user's own, or the shared defaults' template.
struct PushRuleset {
  std::shared_ptr<const json::object> rules;
  bool user_placeholder = false;  // PushContext::user_placeholder
};

class PushRulesCache {
 public:
  // The user's ruleset as load_push_rules() gives it; for a user with the defaults, their
  // shared template (nothing copied).
  PushRuleset rules(storage::UserDataStore& store, const std::string& user_id);

  static constexpr std::size_t kMaxUsers = 256;

 private:
  struct Entry {
    std::string stored;  // the text it was parsed from
    std::shared_ptr<const json::object> rules;
  };
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace myelin::homeserver
