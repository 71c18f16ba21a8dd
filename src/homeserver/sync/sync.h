#pragma once
// GET /sync (client-server-api "Syncing"). Tokens are "s<position>" in the one stream
// (storage/store.h). An incremental sync with nothing new waits on the Notifier (no polling)
// until something arrives for the user or the timeout ends.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <string>

#include "homeserver/accounts/accounts.h"
#include "homeserver/e2ee/device_lists.h"
#include "homeserver/e2ee/keys.h"
#include "homeserver/e2ee/to_device.h"
#include "homeserver/timeline/filter.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/sync/presence.h"
#include "homeserver/timeline/timeline.h"
#include "homeserver/sync/typing.h"
#include "http/http.h"

namespace myelin::homeserver {

// A sync token: the stream position, and how far the device's to-device inbox was delivered
// (less than `pos` only when a sync left messages for the next one). Written "s<pos>" or
// "s<pos>_<to_device>".
struct SyncToken {
  storage::StreamPos pos = 0;
  storage::StreamPos to_device = 0;
};
std::string sync_token(const SyncToken& token);
std::optional<SyncToken> parse_sync_token(std::string_view token);

struct SyncRequest {
  Session session;
  SyncToken since;                // pos 0 = initial sync
  bool full_state = false;
  bool use_state_after = false;   // v1.16: rooms' state_after (to the timeline's end), not state
  Filter filter;
  std::int64_t timeout_ms = 0;
  std::string set_presence;       // "", online, unavailable, offline
};

std::string stream_token(storage::StreamPos pos);
// "s123" -> 123 (also accepts the bare number, and a sync token); nullopt when malformed.
std::optional<storage::StreamPos> parse_stream_token(std::string_view token);

class SyncService {
 public:
  SyncService(Timeline& timeline, Typing& typing, Presence& presence, Notifier& notifier,
              http::Scheduler& scheduler, DeviceLists& device_lists, Keys& keys, ToDevice& to_device)
      : timeline_(timeline), typing_(typing), presence_(presence), notifier_(notifier), scheduler_(scheduler),
        device_lists_(device_lists), keys_(keys), to_device_(to_device) {}

  // Calls `done` exactly once with the response body, now or when woken/timed out.
  void sync(SyncRequest request, std::function<void(json::object)> done);
  // The server is stopping: waiting syncs are answered now with what they have (usually
  // nothing new, and so the same position), and later ones do not wait.
  void stop_waiting();
  // The deprecated event stream (GET /events): the room events after `from` that the user may
  // read, in the rooms they are joined to, or only in `room_id` when given (peeking into a
  // room they may read without being joined). Waits like sync when there are none. Without
  // `from`, from now.
  void events(const Session& session, std::optional<storage::StreamPos> from, const std::string& room_id,
              std::int64_t timeout_ms, std::function<void(json::object)> done);

 private:
  struct Pending;
  // Lazy loading: which members each device has been sent, per room, so incremental syncs
  // leave out the ones it already has (unless include_redundant_members). In memory only and
  // bounded; a device without an entry is simply sent its senders' members again.
  using SentMembers = std::unordered_map<std::string, std::set<std::string>>;   // room -> users
  SentMembers& sent_members(const Session& session);
  std::unordered_map<std::string, SentMembers> sent_members_;               // user|device ->
  // Builds the response; `has_updates` says whether anything in it is new since `since`.
  json::object compute(const SyncRequest& request, bool& has_updates);
  json::object compute_events(const Session& session, storage::StreamPos from, const std::string& room_id,
                              bool& has_updates);
  // Answers `done` with compute() now when it has updates or there is no timeout, else when
  // the user is notified of something new (or, for a `room` other than "", something happens
  // in that room), or at the timeout.
  using Compute = std::function<json::object(bool& has_updates)>;
  void long_poll(const std::string& user, const std::string& room, std::int64_t timeout_ms, Compute build,
                 std::function<void(json::object)> done);
  void wait(std::shared_ptr<Pending> pending);

  Timeline& timeline_;
  Typing& typing_;
  Presence& presence_;
  Notifier& notifier_;
  http::Scheduler& scheduler_;
  DeviceLists& device_lists_;
  Keys& keys_;
  ToDevice& to_device_;
  bool stopping_ = false;
};

}  // namespace myelin::homeserver
