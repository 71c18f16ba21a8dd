#pragma once
// The joining server's side of the remote join handshake (server-server-api "Joining Rooms"):
// a local user joins a room this server is not in. For each candidate server in turn: GET
// make_join (every version we support), the template filled in (origin, timestamp, the user's
// member content, hashes, our signature, its event ID), PUT v2 send_join, the answer checked
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
#include "homeserver/federation/transport.h"
#include "homeserver/timeline/options.h"
#include "homeserver/timeline/write_path.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

// A directory server's answer for an alias (GET /_matrix/federation/v1/query/directory).
struct AliasAnswer {
  std::string room_id;
  std::vector<std::string> servers;  // join candidates, at most RemoteJoins::kMaxCandidates
};

class RemoteJoins {
 public:
  // Servers tried per join at most (via, directory, the room's and the alias's servers).
  static constexpr std::size_t kMaxCandidates = 10;
  static constexpr std::size_t kMaxSendJoinBytes = std::size_t{64} << 20;

  using Done = std::function<void(core::Result<std::string>)>;

  RemoteJoins(const TimelineOptions& config, storage::EventStore& store, WritePath& write_path, Transport& transport,
              KeyFetcher& keys, const core::SigningKey& key)
      : config_(config), store_(store), write_path_(write_path), transport_(transport), keys_(keys), key_(key) {}

  // Joins the local `user_id` to `room_id_or_alias` (a room ID, or an alias of another server)
  // through `via` first, then the directory's servers, the room ID's server (IDs before v12)
  // and the alias's server; `content` is the member content to send (profile, reason;
  // membership is set here). `done(room_id)` once joined; else M_FORBIDDEN when a server
  // refused, M_NOT_FOUND when none knew the room (or the alias), M_UNKNOWN (502) when none
  // could be reached or answered sensibly. Runs once, on the loop.
  void join(const core::UserId& user_id, const std::string& room_id_or_alias, std::vector<std::string> via,
            json::object content, Done done);

  // GET /query/directory?room_alias= on the alias's server: M_NOT_FOUND when it knows none,
  // M_UNKNOWN (502) when it cannot be asked or answers nonsense.
  void query_alias(const core::RoomAlias& alias, std::function<void(core::Result<AliasAnswer>)> done);

 private:
  struct Attempt;
  void start(std::shared_ptr<Attempt> attempt);
  void try_next(std::shared_ptr<Attempt> attempt);
  // The current candidate failed with `error` (remembered for the client's answer): the next.
  void failed(std::shared_ptr<Attempt> attempt, const core::Error& error);
  void on_make_join(std::shared_ptr<Attempt> attempt, const std::string& server, const IncomingResponse& response);
  void on_send_join(std::shared_ptr<Attempt> attempt, const rooms::RoomVersionRules& rules, json::object join,
                    std::string join_id, const IncomingResponse& response);
  // The checked answer stored: outliers, then the room record and the join.
  void persist(const Attempt& attempt, const rooms::RoomVersionRules& rules, JoinedRoom joined);

  const TimelineOptions& config_;
  storage::EventStore& store_;
  WritePath& write_path_;
  Transport& transport_;
  KeyFetcher& keys_;
  const core::SigningKey& key_;
};

}  // namespace myelin::homeserver
