#pragma once
// The parsed rulesets of users who sync, reused while their stored m.push_rules text is the
// same (building the defaults or parsing a stored ruleset costs more than the rest of an
// incremental sync that evaluates one event). A change of the rules changes the text, so a
// ruleset is never stale. In memory and bounded.
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

  static constexpr std::size_t kMaxUsers = 10'000;

 private:
  struct Entry {
    std::optional<std::string> stored;  // the text it was parsed from; none: the defaults
    std::shared_ptr<const json::object> rules;
  };
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace myelin::homeserver
