#include "homeserver/timeline/search_text.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/options.h"
#include "rooms/room_version.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

std::optional<std::string> text_of(std::string_view type, std::optional<std::string> state_key, const char* content) {
  auto text = search_text_of(type, state_key, *core::parse_json_object(content));
  if (!text) return std::nullopt;
  return text->column + ":" + text->text;
}

TEST(SearchTextTest, BodiesNamesAndTopicsAreIndexed) {
  EXPECT_EQ(text_of("m.room.message", std::nullopt, R"({"msgtype":"m.text","body":"hi there"})"), "body:hi there");
  EXPECT_EQ(text_of("m.room.name", "", R"({"name":"Garden"})"), "name:Garden");
  EXPECT_EQ(text_of("m.room.topic", "", R"({"topic":"Roses"})"), "topic:Roses");
  // The first text/plain representation that differs from the topic is added to it.
  EXPECT_EQ(
      text_of("m.room.topic", "",
              R"({"topic":"Roses","m.topic":{"m.text":[{"body":"Roses"},{"mimetype":"text/html","body":"<b>x</b>"},)"
              R"({"mimetype":"text/plain","body":"and tulips"}]}})"),
      "topic:Roses and tulips");
  EXPECT_EQ(text_of("m.room.topic", "", R"({"m.topic":{"m.text":[{"body":"only here"}]}})"), "topic:only here");
}

TEST(SearchTextTest, OtherEventsAndHostileContentAreNotIndexed) {
  EXPECT_FALSE(text_of("m.room.message", std::nullopt, R"({"body":42})"));
  EXPECT_FALSE(text_of("m.room.message", std::nullopt, R"({"body":""})"));
  EXPECT_FALSE(text_of("m.room.message", "", R"({"body":"a state event"})"));
  EXPECT_FALSE(text_of("m.room.name", "x", R"({"name":"not the room's name"})"));
  EXPECT_FALSE(text_of("m.room.topic", "", R"({"topic":7,"m.topic":{"m.text":"plain"}})"));
  EXPECT_FALSE(text_of("m.room.topic", "", R"({"m.topic":{"m.text":[1,"x",{"body":["no"]}]}})"));
  EXPECT_FALSE(text_of("m.room.encrypted", std::nullopt, R"({"ciphertext":"abc","body":"no"})"));
}

// The builder gives the store the text to index, except in an encrypted room.
TEST(SearchTextTest, TheBuilderIndexesNothingOfAnEncryptedRoom) {
  TimelineOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  core::SigningKey key = core::SigningKey::generate("");
  EventBuilder builder{config, *store, *store, key};
  RoomState room;
  room.room_id = "!room:localhost";
  room.rules = rooms::find_room_version("10");
  const std::vector<EventDraft> setup{
      {"@a:localhost", "m.room.create", "", {{"creator", "@a:localhost"}, {"room_version", "10"}}, {}},
      {"@a:localhost", "m.room.member", "@a:localhost", {{"membership", "join"}}, {}}};
  for (const EventDraft& draft : setup) {
    auto event = builder.build(room, draft);
    ASSERT_TRUE(event) << event.error().message;
    room.apply(event->row, event->pdu, storage::Persisted{0, 0});
  }
  const EventDraft message{"@a:localhost", "m.room.message", std::nullopt, {{"body", "plain words"}}, {}};
  auto before = builder.build(room, message);
  ASSERT_TRUE(before && before->row.search_text);
  EXPECT_EQ(before->row.search_text->text, "plain words");
  auto encryption =
      builder.build(room, {"@a:localhost", "m.room.encryption", "", {{"algorithm", "m.megolm.v1.aes-sha2"}}, {}});
  ASSERT_TRUE(encryption) << encryption.error().message;
  room.apply(encryption->row, encryption->pdu, storage::Persisted{0, 0});
  auto after = builder.build(room, message);
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->row.search_text);
}

}  // namespace
}  // namespace myelin::homeserver
