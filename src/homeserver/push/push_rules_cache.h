#pragma once
// The parsed rulesets of users who sync with rules of their own, reused while their stored
// m.push_rules text is the same (parsing a ruleset costs more than the rest of an incremental
// sync that evaluates one event). A change of the rules changes the text, so a ruleset is
// never stale. The defaults are not kept (a ruleset takes ~15 kB, and copying the parsed
// defaults is cheap). In memory and bounded.
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/json.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

class PushRulesCache {
 public:
  // The user's ruleset, as load_push_rules() gives it.
  std::shared_ptr<const json::object> rules(storage::UserDataStore& store, const std::string& user_id);

  static constexpr std::size_t kMaxUsers = 256;

 private:
  struct Entry {
    std::string stored;  // the text it was parsed from
    std::shared_ptr<const json::object> rules;
  };
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace myelin::homeserver
