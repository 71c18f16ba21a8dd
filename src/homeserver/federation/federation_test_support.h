#pragma once
// For the federation domain's unit tests: a room of this server ("here.example") in the
// in-memory store and events built and signed as another server ("remote.example") would,
// with the fake key fetcher and transport.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "homeserver/federation/fake_key_fetcher.h"
#include "homeserver/federation/fake_transport.h"
#include "homeserver/federation/pdu_checks.h"
#include "homeserver/timeline/test_support.h"
#include "rooms/event_format.h"
#include "storage/store.h"

namespace myelin::homeserver::testing {

struct FederationRoom : ::testing::Test {
  TimelineOptions here_options = [] {
    TimelineOptions options;
    options.server_name = "here.example";
    return options;
  }();
  TimelineOptions remote_options = [] {
    TimelineOptions options;
    options.server_name = "remote.example";
    return options;
  }();
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  core::SigningKey here_key = core::SigningKey::generate("h");
  core::SigningKey remote_key = core::SigningKey::generate("r");
  SendPath here{here_options, *store, here_key};
  EventBuilder remote{remote_options, *store, *store, remote_key};
  FakeKeyFetcher keys;
  FakeTransport transport;
  std::string room_id = "!room:here.example";

  // A public v10 room created by @a:here.example.
  void SetUp() override {
    keys.keys = {{"remote.example", &remote_key}, {"here.example", &here_key}};
    RoomState scratch;
    scratch.room_id = room_id;
    scratch.rules = rooms::find_room_version("10");
    std::vector<BuiltEvent> built;
    const std::vector<EventDraft> drafts{
        {"@a:here.example", "m.room.create", "", {{"creator", "@a:here.example"}, {"room_version", "10"}}, {}},
        {"@a:here.example", "m.room.member", "@a:here.example", {{"membership", "join"}}, {}},
        {"@a:here.example",
         "m.room.power_levels",
         "",
         {{"users", json::object{{"@a:here.example", 100}}}, {"state_default", 50}, {"events_default", 0}},
         {}},
        {"@a:here.example", "m.room.join_rules", "", {{"join_rule", "public"}}, {}}};
    for (const EventDraft& draft : drafts) {
      auto event = here.builder.build(scratch, draft);
      ASSERT_TRUE(event) << event.error().message;
      event->row.state_group_before = built.empty() ? 0 : storage::kStateGroupOfPrevious;
      scratch.apply(event->row, event->pdu, storage::Persisted{0, 0});
      built.push_back(std::move(*event));
    }
    here.write_path.write_new_room({room_id, "10", "@a:here.example", false}, *scratch.rules, built);
  }

  std::shared_ptr<RoomState> room() { return here.rooms.room(room_id); }

  // An event by a remote user on `state` (the room's current state unless given), as its
  // server would build and sign it, at `origin_server_ts` (0: now).
  BuiltEvent remote_event(const std::string& sender, const std::string& type, std::optional<std::string> state_key,
                          json::object content, const RoomState* state = nullptr, std::int64_t origin_server_ts = 0) {
    auto event =
        remote.build(state ? *state : *room(), {sender, type, state_key, std::move(content), {}, origin_server_ts});
    EXPECT_TRUE(event) << event.error().message;
    if (!event) return BuiltEvent{};
    rooms::add_event_signature(event->pdu, *room()->rules, "remote.example", remote_key);
    event->row.json = core::canonical_json(event->pdu);
    return std::move(*event);
  }
  // The same event with `change` applied, hashed and signed again by remote.example.
  json::object resigned(json::object pdu, const std::function<void(json::object&)>& change) {
    pdu.erase("hashes");
    pdu.erase("signatures");
    change(pdu);
    rooms::finalize_local_event(pdu, *room()->rules, "remote.example", remote_key);
    return pdu;
  }
  std::string id_of(const json::object& pdu) { return rooms::event_id_of(pdu, *room()->rules); }
  // A local event through the local send path.
  void send_here(const std::string& sender, const std::string& type, std::optional<std::string> state_key,
                 json::object content) {
    auto sent = here.timeline.send(id<core::RoomId>(room_id), {sender, type, state_key, std::move(content), {}});
    ASSERT_TRUE(sent) << sent.error().message;
  }
};

}  // namespace myelin::homeserver::testing
