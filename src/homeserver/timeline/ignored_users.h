#pragma once
// The users a reader ignores (client-server-api "Ignoring Users"): the user IDs of their
// m.ignored_user_list account data, read once per request (a /sync computation, a /messages
// or /context page) and handed to the event filter (EventFilter::ignored), which hides their
// non-state events. The list was checked when it was set (AccountData); the reader's own ID
// is never ignored (they would lose their own messages).
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "storage/user_data_store.h"

namespace myelin::homeserver {

using IgnoredUsers = std::shared_ptr<const std::set<std::string, std::less<>>>;

// nullptr when the user ignores nobody (no list, an emptied one, or only themselves).
IgnoredUsers ignored_users(storage::UserDataStore& store, const std::string& user_id);

}  // namespace myelin::homeserver
