#pragma once
// For the join tests: in-process servers, each with its own store, send path, signing key and
// both sides of the join, knock and leave handshakes (and, when a test gives one, a receiver of transactions), a
// key fetcher that knows every test server's key, and a transport that hands a request to the
// destination server's services.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/crypto.h"
#include "homeserver/federation/fake_key_fetcher.h"
#include "homeserver/federation/invites.h"
#include "homeserver/federation/joins.h"
#include "homeserver/federation/reads.h"
#include "homeserver/federation/receiver.h"
#include "homeserver/federation/remote_joins.h"
#include "homeserver/federation/remote_memberships.h"
#include "homeserver/membership/new_room.h"
#include "homeserver/membership/room_service.h"
#include "homeserver/push/options.h"
#include "homeserver/timeline/test_support.h"
#include "http/http.h"
#include "rooms/event_format.h"
#include "storage/store.h"

namespace myelin::homeserver::testing {

struct TestServer;

// Routes each request to the TestServer named by its destination (status 0 when none), as
// `origin`. `tamper` may change a send_join or backfill answer on its way back.
class InProcessTransport final : public Transport {
 public:
  InProcessTransport(std::string origin, std::map<std::string, TestServer*>& servers)
      : origin_(std::move(origin)), servers_(servers) {}
  std::function<void(json::object&)> tamper;
  std::vector<std::string> sent;  // "<destination> <method> <target>"
  void send(OutgoingRequest request, std::function<void(IncomingResponse)> done) override;
  void fetch_url(std::string, std::size_t, std::chrono::seconds, std::function<void(IncomingResponse)> done) override {
    done({0, "", "no URLs in process", {}});
  }

 private:
  std::string origin_;
  std::map<std::string, TestServer*>& servers_;
};

struct TestServer {
  TestServer(const std::string& name, std::map<std::string, TestServer*>& servers, FakeKeyFetcher& keys)
      : key(core::SigningKey::generate("k")),
        options(options_for(name)),
        path(options, *store, key),
        transport(name, servers),
        joins(options, *store, path.rooms, path.builder, path.write_path, keys, key),
        remote(options, *store, path.write_path, transport, keys, key, scheduler),
        invites(options, *store, path.rooms, path.write_path, keys, key),
        memberships(options, path.rooms, path.write_path, transport, keys, key),
        reads(name, *store, path.rooms, key) {
    servers[name] = this;
    keys.keys[name] = &key;
  }
  static TimelineOptions options_for(const std::string& name) {
    TimelineOptions options;
    options.server_name = name;
    return options;
  }

  // A room of `creator` (a user of this server) with `join_rule` (restricted: to the members
  // of `allowed`), written like createRoom's.
  std::string create_room(const std::string& creator, const std::string& version,
                          const std::string& join_rule = "public", const std::string& allowed = "") {
    RoomPlan plan{creator, rooms::find_room_version(version), {}, {}, false, {}};
    // v12 creators rank above every level and must not be listed.
    json::object users;
    if (version != "12") users[creator] = 100;
    plan.add("m.room.power_levels", "", {{"users", std::move(users)}});
    json::object rules{{"join_rule", join_rule}};
    if (!allowed.empty())
      rules["allow"] = json::array{json::object{{"type", "m.room_membership"}, {"room_id", allowed}}};
    plan.add("m.room.join_rules", "", std::move(rules));
    plan.add("m.room.history_visibility", "", {{"history_visibility", "shared"}});
    plan.add("m.room.name", "", {{"name", "Test room"}});
    auto room = create_planned_room(path.builder, *store, path.write_path, options.server_name, std::move(plan),
                                    {{"membership", "join"}, {"displayname", "Creator"}});
    return room ? *room : "";
  }

  // `pdu` of `room` as this server sends it to another: signed if it is its own (its events are
  // stored and built unsigned).
  json::object as_sent(json::object pdu, const std::string& room) {
    rooms::sign_own_event(pdu, *path.rooms.room(room)->rules, options.server_name, key);
    return pdu;
  }

  // Joins the local `user` through `servers`; the room ID or the error.
  core::Result<std::string> remote_join(const std::string& user, const std::string& room,
                                        std::vector<std::string> servers) {
    std::optional<core::Result<std::string>> result;
    remote.join(id<core::UserId>(user), id<core::RoomId>(room), std::move(servers), {{"displayname", "Alice"}},
                [&result](core::Result<std::string> r) { result = std::move(r); });
    return result ? *result : core::fail(core::Errc::kInternal, "no answer");
  }

  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  core::SigningKey key;
  TimelineOptions options;
  SendPath path;
  InProcessTransport transport;
  http::InlineScheduler scheduler;
  FederationJoins joins;
  RemoteJoins remote;
  FederationInvites invites;
  RemoteMemberships memberships;
  FederationReads reads;
  std::map<std::string, std::string> aliases;  // -> room ID, for /query/directory
  Receiver* receiver = nullptr;                // for /send, when the test has one
};

// A test server's RoomService, its remote callbacks on the server's federation services.
struct Members {
  static MembershipOptions options_of(const TestServer& server) {
    MembershipOptions options;
    options.server_name = server.options.server_name;
    return options;
  }
  explicit Members(TestServer& server)
      : options(options_of(server)),
        service(
            options, server.options, push, *server.store, *server.store, *server.store, *server.store,
            server.path.rooms, server.path.builder, server.path.write_path, server.path.timeline,
            [&server](const core::UserId& user, const core::RoomId& room, std::vector<std::string> servers,
                      json::object content, std::function<void(core::Result<std::string>)> done) {
              server.remote.join(user, room, std::move(servers), std::move(content), std::move(done));
            },
            [](const core::RoomAlias&, std::function<void(core::Result<ResolvedAlias>)> done) {
              done(core::fail(core::Errc::kNotFound, "no aliases here"));
            },
            [&server](const rooms::RoomVersionRules& rules, json::object pdu, json::array state,
                      std::function<void(core::Result<json::object>)> done) {
              server.memberships.invite(rules, std::move(pdu), std::move(state), std::move(done));
            },
            [&server](const core::UserId& user, const core::RoomId& room, const std::string& via,
                      const std::string& reason, std::function<void(core::Status)> done) {
              server.memberships.leave(user, room, via, reason, std::move(done));
            },
            [&server](const core::UserId& user, const core::RoomId& room, std::vector<std::string> servers,
                      json::object content, std::function<void(core::Result<std::string>)> done) {
              server.memberships.knock(user, room, std::move(servers), std::move(content), std::move(done));
            }) {}
  MembershipOptions options;
  PushOptions push;
  RoomService service;
};

// Two servers in one process, each with its membership service: a.example, where @alice made
// `room_id` (version 10, the given join rule), and b.example with the local users `b_users`.
struct TwoServersTest : ::testing::Test {
  TwoServersTest(const std::string& join_rule, std::initializer_list<const char*> b_users)
      : room_id(a.create_room("@alice:a.example", "10", join_rule)) {
    for (const char* user : b_users) {
      storage::UserRecord record;
      record.user_id = user;
      (void)b.store->create_user(record);
    }
  }
  // `user` of b leaves room_id through b's membership service.
  core::Status leave(const std::string& user, const std::string& reason) {
    std::optional<core::Status> result;
    b_members.service.leave_room(id<core::UserId>(user), id<core::RoomId>(room_id), reason,
                                 [&result](core::Status r) { result = std::move(r); });
    return result ? *result : core::fail(core::Errc::kInternal, "no answer");
  }
  // `user`'s membership of room_id as `server` knows it ("" for a room it does not know).
  std::string membership(TestServer& server, const std::string& user) {
    auto room = server.path.rooms.room(room_id);
    return room ? room->membership(user) : "";
  }

  std::map<std::string, TestServer*> servers;
  FakeKeyFetcher keys;
  TestServer a{"a.example", servers, keys};
  TestServer b{"b.example", servers, keys};
  Members a_members{a};
  Members b_members{b};
  std::string room_id;
};

inline IncomingResponse answer_of(const core::Result<json::object>& result) {
  if (!result) return {result.error().http_status, core::to_string(result.error().to_json()), "", {}};
  return {200, core::to_string(*result), "", {}};
}

inline void InProcessTransport::send(OutgoingRequest request, std::function<void(IncomingResponse)> done) {
  sent.push_back(request.destination + " " + request.method + " " + request.target);
  auto it = servers_.find(request.destination);
  if (it == servers_.end()) return done({0, "", "unreachable", {}});
  TestServer& server = *it->second;
  http::Request parsed;
  const auto question = request.target.find('?');
  parsed.path = request.target.substr(0, question);
  if (question != std::string::npos) parsed.query = request.target.substr(question + 1);
  std::vector<std::string> segments;
  for (std::size_t at = 1; at <= parsed.path.size();) {
    const auto slash = std::min(parsed.path.find('/', at), parsed.path.size());
    segments.push_back(*http::percent_decode(parsed.path.substr(at, slash - at)));
    at = slash + 1;
  }
  // /_matrix/federation/{v1,v2}/<endpoint>/<param>/<param>
  const std::string endpoint = segments.size() > 3 ? segments[3] : "";
  if (endpoint == "make_join" && segments.size() == 6)
    return done(answer_of(server.joins.make_join(origin_, segments[4], segments[5], parsed.query_params("ver"))));
  if (endpoint == "send_join" && segments.size() == 6) {
    return server.joins.send_join(origin_, segments[4], segments[5], request.body->as_object(), false,
                                  [this, done](core::Result<json::object> answer) {
                                    if (answer && tamper) tamper(*answer);
                                    done(answer_of(answer));
                                  });
  }
  if (endpoint == "invite" && segments.size() == 6) {
    return server.invites.receive(origin_, segments[4], segments[5], request.body->as_object(),
                                  [done](const core::Result<json::object>& answer) { done(answer_of(answer)); });
  }
  if (endpoint == "make_knock" && segments.size() == 6)
    return done(answer_of(server.joins.make_knock(origin_, segments[4], segments[5], parsed.query_params("ver"))));
  if (endpoint == "send_knock" && segments.size() == 6) {
    return server.joins.send_knock(origin_, segments[4], segments[5], request.body->as_object(),
                                   [done](const core::Result<json::object>& answer) { done(answer_of(answer)); });
  }
  if (endpoint == "make_leave" && segments.size() == 6)
    return done(answer_of(server.joins.make_leave(origin_, segments[4], segments[5])));
  if (endpoint == "send_leave" && segments.size() == 6) {
    return server.joins.send_leave(
        origin_, segments[4], segments[5], request.body->as_object(), [done](const core::Status& left) {
          done(left ? IncomingResponse{200, "{}", "", {}} : answer_of(std::unexpected(left.error())));
        });
  }
  if (endpoint == "send" && segments.size() == 5 && server.receiver) {
    return server.receiver->receive(origin_, segments[4], *request.body,
                                    [done](const core::Result<json::object>& answer) { done(answer_of(answer)); });
  }
  if (endpoint == "backfill" && segments.size() == 5) {
    auto answer = server.reads.backfill(origin_, segments[4], parsed.query_params("v"),
                                        std::stoll(parsed.query_param("limit").value_or("10")));
    if (answer && tamper) tamper(*answer);
    return done(answer_of(answer));
  }
  if (endpoint == "query" && segments.size() == 5 && segments[4] == "directory") {
    auto alias = server.aliases.find(parsed.query_param("room_alias").value_or(""));
    if (alias == server.aliases.end()) return done(answer_of(core::fail(core::Errc::kNotFound, "no such alias")));
    return done(answer_of(json::object{{"room_id", alias->second}, {"servers", json::array{request.destination}}}));
  }
  done({404, R"({"errcode":"M_UNRECOGNIZED","error":"unknown"})", "", {}});
}

}  // namespace myelin::homeserver::testing
