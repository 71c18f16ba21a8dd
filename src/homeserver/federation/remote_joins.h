#pragma once
// The joining server's side of the remote join handshake (server-server-api "Joining Rooms"):
// a local user joins a room this server is not in. For each candidate server in turn: GET
// make_join (every version we support), the template filled in (origin, timestamp, the user's
// member content, hashes, our signature, its event ID), PUT v2 send_join (v1 for servers without
// it), the answer checked
// (join_response.h), then the state and auth chain stored as outliers and the join written
// through the write path with that state (WritePath::write_remote_join), so the room is cached
// and in /sync like any joined room. A remote alias is first resolved on its server (GET
// /query/directory). Everything goes through the Transport and the KeyFetcher, on the loop.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/federation/join_response.h"
#include "homeserver/federation/pdu_checks.h"
#include "homeserver/federation/remote_requests.h"
#include "homeserver/federation/transport.h"
#include "homeserver/membership/room_service.h"
#include "homeserver/timeline/options.h"
#include "homeserver/timeline/write_path.h"
#include "http/http.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

class RemoteJoins {
 public:
  // Servers tried per join at most (the first of `servers`, our own name and repeats aside).
  static constexpr std::size_t kMaxCandidates = homeserver::kMaxCandidates;
  static constexpr std::size_t kMaxSendJoinBytes = std::size_t{64} << 20;

  using Done = std::function<void(core::Result<std::string>)>;

  RemoteJoins(const TimelineOptions& config, storage::EventStore& store, WritePath& write_path, Transport& transport,
              KeyFetcher& keys, const core::SigningKey& key, http::Scheduler& scheduler)
      : config_(config),
        store_(store),
        write_path_(write_path),
        transport_(transport),
        keys_(keys),
        key_(key),
        scheduler_(scheduler) {}

  // Joins the local `user_id` to `room_id` through `servers`, in order (RoomService's
  // RemoteJoin); `content` is the member content to send (profile, reason; membership is set
  // here). `done(room_id)` once joined; else M_FORBIDDEN when a server refused, M_NOT_FOUND
  // when none knew the room (or no server was named), M_UNKNOWN (502) when none could be
  // reached or answered sensibly. Runs once, on the loop.
  void join(const core::UserId& user_id, const core::RoomId& room_id, std::vector<std::string> servers,
            json::object content, Done done);

  // GET /query/directory?room_alias= on the alias's server (RoomService's ResolveAlias), at
  // most kMaxCandidates servers kept: M_NOT_FOUND when it knows none, M_UNKNOWN (502) when it
  // cannot be asked or answers nonsense.
  void query_alias(const core::RoomAlias& alias, std::function<void(core::Result<ResolvedAlias>)> done);

 private:
  struct Attempt;
  void start(std::shared_ptr<Attempt> attempt);
  void try_next(std::shared_ptr<Attempt> attempt);
  // The current candidate failed with `error` (remembered for the client's answer; `answered`:
  // the server's own answer, not our check of it): the next.
  void failed(std::shared_ptr<Attempt> attempt, const core::Error& error, bool answered = false);
  void on_make_join(std::shared_ptr<Attempt> attempt, const std::string& server, const IncomingResponse& response);
  // The answer is read and checked on the worker pool (a large room's answer is tens of MB and
  // as many signatures), its keys fetched between the two.
  struct Answer;
  // PUT send_join: v2, or v1 (whose answer is wrapped in [200, {...}]) when the server does not
  // know v2.
  void send_join(std::shared_ptr<Attempt> attempt, const rooms::RoomVersionRules& rules, json::object join,
                 std::string join_id, bool v1);
  void on_send_join(std::shared_ptr<Attempt> attempt, const rooms::RoomVersionRules& rules, json::object join,
                    std::string join_id, bool v1, IncomingResponse response);
  void fetch_keys(std::shared_ptr<Answer> answer);
  void finish(std::shared_ptr<Answer> answer);
  // The checked answer stored: outliers, then the room record and the join.
  void persist(const Attempt& attempt, const rooms::RoomVersionRules& rules, JoinedRoom joined);

  const TimelineOptions& config_;
  storage::EventStore& store_;
  WritePath& write_path_;
  Transport& transport_;
  KeyFetcher& keys_;
  const core::SigningKey& key_;
  http::Scheduler& scheduler_;
};

}  // namespace myelin::homeserver
