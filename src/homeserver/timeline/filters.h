#pragma once
// The filters a user keeps (client-server-api "Filtering": POST /user/{userId}/filter, GET
// /user/{userId}/filter/{filterId}, and /sync's `filter` parameter). A filter is kept once per
// canonical JSON; beyond TimelineOptions::filters_per_user the least recently used go (clients re-create
// a filter whose ID is unknown).
#include <optional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/timeline/filter.h"
#include "homeserver/timeline/options.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

// A stored filter's largest canonical JSON (a client's is well under 2 KiB; this leaves room
// for long lists of rooms or senders).
inline constexpr std::size_t kMaxFilterBytes = 65536;

class Filters {
 public:
  Filters(const TimelineOptions& config, storage::UserDataStore& store) : config_(config), store_(store) {}

  // Keeps a valid filter definition and returns its ID. M_BAD_JSON for an invalid one,
  // M_TOO_LARGE beyond kMaxFilterBytes.
  core::Result<std::string> create(const std::string& user_id, const json::object& definition);
  // The definition kept under `filter_id`; M_NOT_FOUND when there is none.
  core::Result<json::value> definition(const std::string& user_id, const std::string& filter_id);
  // /sync's filter: none (nullopt), inline JSON (starting with '{') or a kept filter's ID.
  core::Result<Filter> for_sync(const std::string& user_id, const std::optional<std::string>& param);

 private:
  // The kept filter's JSON text, marked used now; nullopt for an unknown or malformed ID.
  std::optional<std::string> kept(const std::string& user_id, const std::string& filter_id);

  const TimelineOptions& config_;
  storage::UserDataStore& store_;
};

}  // namespace myelin::homeserver
