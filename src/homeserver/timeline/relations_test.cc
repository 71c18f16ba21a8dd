#include "homeserver/timeline/relations.h"

#include <gtest/gtest.h>

#include "homeserver/timeline/aggregations.h"
#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/write_path.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

json::object relates(const std::string& rel_type, const std::string& event_id) {
  return {{"m.relates_to", {{"rel_type", rel_type}, {"event_id", event_id}}}};
}

storage::StoredEvent parent_event(const std::string& sender, const std::string& json = R"({"content":{}})") {
  storage::StoredEvent parent;
  parent.event_id = "$parent";
  parent.room_id = "!r:x";
  parent.type = "m.room.message";
  parent.sender = sender;
  parent.json = json;
  return parent;
}

TEST(RelationsTest, RelatesToNeedsARelTypeAndAnEventId) {
  EXPECT_FALSE(relates_to({}));
  EXPECT_FALSE(relates_to({{"m.relates_to", {{"m.in_reply_to", {{"event_id", "$a"}}}}}}));  // a reply
  EXPECT_FALSE(relates_to({{"m.relates_to", {{"rel_type", "m.thread"}}}}));
  EXPECT_FALSE(relates_to({{"m.relates_to", {{"rel_type", "m.thread"}, {"event_id", "not an id"}}}}));
  EXPECT_FALSE(relates_to({{"m.relates_to", {{"rel_type", 1}, {"event_id", "$a"}}}}));
  EXPECT_FALSE(relates_to(relates("m.annotation", "$a")));  // an annotation needs its key
  auto thread = relates_to(relates("m.thread", "$a"));
  ASSERT_TRUE(thread);
  EXPECT_EQ(thread->rel_type, "m.thread");
  EXPECT_EQ(thread->event_id, "$a");
}

TEST(RelationsTest, ReplacementValidity) {
  const RelatesTo edit{"m.replace", "$parent", ""};
  json::object content{{"m.new_content", {{"body", "new"}}}};
  const auto parent = parent_event("@a:x");
  EXPECT_TRUE(
      describe_relation(edit, {"m.room.message", std::nullopt, "@a:x", content}, parent, std::nullopt).aggregated);
  // Another sender, another type, a state event, no m.new_content: not a valid replacement.
  EXPECT_FALSE(
      describe_relation(edit, {"m.room.message", std::nullopt, "@b:x", content}, parent, std::nullopt).aggregated);
  EXPECT_FALSE(describe_relation(edit, {"m.sticker", std::nullopt, "@a:x", content}, parent, std::nullopt).aggregated);
  EXPECT_FALSE(describe_relation(edit, {"m.room.message", "", "@a:x", content}, parent, std::nullopt).aggregated);
  const json::object empty;
  EXPECT_FALSE(
      describe_relation(edit, {"m.room.message", std::nullopt, "@a:x", empty}, parent, std::nullopt).aggregated);
  // An encrypted replacement carries m.new_content inside its ciphertext.
  auto encrypted_parent = parent;
  encrypted_parent.type = "m.room.encrypted";
  EXPECT_TRUE(describe_relation(edit, {"m.room.encrypted", std::nullopt, "@a:x", empty}, encrypted_parent, std::nullopt)
                  .aggregated);
  // An edit of an edit is not one.
  const auto edited_edit =
      parent_event("@a:x", R"({"content":{"m.relates_to":{"rel_type":"m.replace","event_id":"$x"}}})");
  EXPECT_FALSE(
      describe_relation(edit, {"m.room.message", std::nullopt, "@a:x", content}, edited_edit, std::nullopt).aggregated);
}

TEST(RelationsTest, WhichThreadAnEventIsIn) {
  const json::object content;
  const auto root = parent_event("@a:x");
  const auto reply = describe_relation({"m.thread", "$parent", ""}, {"m.room.message", std::nullopt, "@b:x", content},
                                       root, std::nullopt);
  EXPECT_TRUE(reply.aggregated);
  EXPECT_EQ(reply.thread_id, "$parent");
  EXPECT_EQ(reply.thread_hops, 1);
  EXPECT_EQ(reply.root_sender, "@a:x");
  // A reaction to a thread reply is in the thread, up to kMaxThreadHops relations away.
  storage::RelationRecord in_thread{"!r:x", "$parent", "$root", "m.thread", "m.room.message",
                                    "@b:x", 5,         true,    "$root",    1};
  const auto reaction = describe_relation({"m.annotation", "$parent", "x"},
                                          {"m.reaction", std::nullopt, "@c:x", content}, root, in_thread);
  EXPECT_EQ(reaction.thread_id, "$root");
  EXPECT_EQ(reaction.thread_hops, 2);
  in_thread.thread_hops = kMaxThreadHops;
  EXPECT_EQ(describe_relation({"m.reference", "$parent", ""}, {"m.room.message", std::nullopt, "@c:x", content}, root,
                              in_thread)
                .thread_id,
            "");
  // A reaction to a thread root is in the main timeline.
  EXPECT_EQ(describe_relation({"m.annotation", "$parent", "x"}, {"m.reaction", std::nullopt, "@c:x", content}, root,
                              std::nullopt)
                .thread_id,
            "");
  // No thread off an event that relates to another.
  const auto child = parent_event("@a:x", R"({"content":{"m.relates_to":{"rel_type":"m.reference","event_id":"$x"}}})");
  EXPECT_FALSE(describe_relation({"m.thread", "$parent", ""}, {"m.room.message", std::nullopt, "@b:x", content}, child,
                                 std::nullopt)
                   .aggregated);
}

// Relations sent through the builder and the write path, and their bundled aggregations.
struct AggregationsFixture : ::testing::Test {
  TimelineOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  core::SigningKey key = core::SigningKey::generate("");
  RoomCache rooms{*store, static_cast<std::size_t>(config.room_cache_state_events)};
  EventBuilder builder{config, *store, *store, key};
  WritePath write_path{*store, rooms};
  Aggregations aggregations{*store, *store};
  std::string room_id = "!room:localhost";

  void SetUp() override {
    RoomState scratch;
    scratch.room_id = room_id;
    scratch.rules = rooms::find_room_version("10");
    std::vector<BuiltEvent> built;
    const std::vector<EventDraft> drafts{
        {"@a:localhost", "m.room.create", "", {{"creator", "@a:localhost"}, {"room_version", "10"}}, {}},
        {"@a:localhost", "m.room.member", "@a:localhost", {{"membership", "join"}}, {}},
        {"@a:localhost", "m.room.join_rules", "", {{"join_rule", "public"}}, {}},
        {"@b:localhost", "m.room.member", "@b:localhost", {{"membership", "join"}}, {}}};
    for (const EventDraft& draft : drafts) {
      auto event = builder.build(scratch, draft);
      ASSERT_TRUE(event) << event.error().message;
      event->row.state_group_before = built.empty() ? 0 : storage::kStateGroupOfPrevious;
      scratch.apply(event->row, event->pdu, storage::Persisted{0, 0});
      built.push_back(std::move(*event));
    }
    write_path.write_new_room({room_id, "10", "@a:localhost", false}, *scratch.rules, built);
  }

  core::Result<std::string> send(const std::string& sender, json::object content,
                                 const std::string& type = "m.room.message") {
    std::shared_ptr<RoomState> room = rooms.room(room_id);
    auto built = builder.build(*room, {sender, type, std::nullopt, std::move(content), {}});
    if (!built) return std::unexpected(built.error());
    write_path.write(*room, *built);
    return built->row.event_id;
  }
  std::string ok(const std::string& sender, json::object content, const std::string& type = "m.room.message") {
    auto sent = send(sender, std::move(content), type);
    EXPECT_TRUE(sent) << sent.error().message;
    return sent ? *sent : "";
  }
  json::object bundled(const std::string& event_id, const std::string& user = "@a:localhost") {
    auto event = store->event(event_id);
    json::object formatted = client_event(*store, *event);
    aggregations.bundle(user, "", store->current_pos(), *event, formatted);
    const json::value* relations = formatted["unsigned"].as_object().if_contains("m.relations");
    return relations ? relations->as_object() : json::object{};
  }
};

TEST_F(AggregationsFixture, EditsThreadsAndReferencesAreBundled) {
  const std::string root = ok("@a:localhost", {{"body", "hello"}});
  EXPECT_TRUE(bundled(root).empty());
  json::object edit = relates("m.replace", root);
  edit["m.new_content"] = json::object{{"body", "hello!"}};
  edit["body"] = "* hello!";
  const std::string edit_id = ok("@a:localhost", edit);
  ok("@b:localhost", edit);  // another sender's "edit" does not count
  const std::string r1 = ok("@b:localhost", relates("m.thread", root));
  const std::string r2 = ok("@b:localhost", relates("m.thread", root));
  const std::string ref = ok("@b:localhost", relates("m.reference", root));
  // The latest reply's own edit is bundled with it.
  json::object reply_edit = relates("m.replace", r2);
  reply_edit["m.new_content"] = json::object{{"body", "fixed"}};
  const std::string reply_edit_id = ok("@b:localhost", reply_edit);

  json::object relations = bundled(root, "@c:localhost");
  EXPECT_EQ(relations["m.replace"].as_object()["event_id"], json::value(edit_id));
  EXPECT_EQ(relations["m.replace"].as_object()["content"].as_object()["m.new_content"].as_object()["body"], "hello!");
  json::object& thread = relations["m.thread"].as_object();
  EXPECT_EQ(thread["count"], 2);
  EXPECT_EQ(thread["current_user_participated"], false);
  json::object& latest = thread["latest_event"].as_object();
  EXPECT_EQ(latest["event_id"], json::value(r2));
  EXPECT_EQ(latest["unsigned"].as_object()["m.relations"].as_object()["m.replace"].as_object()["event_id"],
            json::value(reply_edit_id));
  EXPECT_EQ(relations["m.reference"], (json::object{{"chunk", json::array{json::object{{"event_id", ref}}}}}));
  EXPECT_EQ(bundled(root, "@a:localhost")["m.thread"].as_object()["current_user_participated"], true);  // the root's
  EXPECT_EQ(bundled(root, "@b:localhost")["m.thread"].as_object()["current_user_participated"], true);  // a reply's
  (void)r1;
}

TEST_F(AggregationsFixture, ClientRulesOfThreadsAndAnnotations) {
  const std::string root = ok("@a:localhost", {{"body", "hello"}});
  const std::string reply = ok("@b:localhost", relates("m.thread", root));
  auto nested = send("@b:localhost", relates("m.thread", reply));
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().errcode, "M_UNKNOWN");
  EXPECT_EQ(nested.error().http_status, 400);

  json::object like{{"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", root}, {"key", "👍"}}}};
  const std::string first = ok("@b:localhost", like, "m.reaction");
  auto again = send("@b:localhost", like, "m.reaction");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errcode, "M_DUPLICATE_ANNOTATION");
  ok("@a:localhost", like, "m.reaction");  // another sender may
  // Once the first is redacted, the same annotation may be sent again.
  std::shared_ptr<RoomState> room = rooms.room(room_id);
  auto redaction = builder.build(*room, {"@b:localhost", "m.room.redaction", std::nullopt, {}, first});
  ASSERT_TRUE(redaction);
  write_path.write(*room, *redaction);
  EXPECT_TRUE(send("@b:localhost", like, "m.reaction"));
  // A relation to an unknown event is no relation: sent, not recorded.
  const std::string orphan = ok("@b:localhost", relates("m.thread", "$unknown"));
  EXPECT_FALSE(store->relation(orphan));
}

TEST_F(AggregationsFixture, ARedactedEventHasNoReplacementBundled) {
  const std::string root = ok("@a:localhost", {{"body", "hello"}});
  json::object edit = relates("m.replace", root);
  edit["m.new_content"] = json::object{{"body", "hello!"}};
  ok("@a:localhost", edit);
  EXPECT_TRUE(bundled(root).contains("m.replace"));
  std::shared_ptr<RoomState> room = rooms.room(room_id);
  auto redaction = builder.build(*room, {"@a:localhost", "m.room.redaction", std::nullopt, {}, root});
  ASSERT_TRUE(redaction);
  write_path.write(*room, *redaction);
  EXPECT_FALSE(bundled(root).contains("m.replace"));
}

}  // namespace
}  // namespace myelin::homeserver
