// Schema migrations carry existing rows over: a database at an older version is upgraded
// when opened.
#include <gtest/gtest.h>
#include <ctime>

#include <unistd.h>

#include <filesystem>

#include "storage/sqlite/migrations.h"
#include "storage/store.h"

namespace myelin::storage {
namespace {

struct TempFile {
  std::string path =
      (std::filesystem::temp_directory_path() / ("myelin-migration-" + std::to_string(getpid()) + ".db")).string();
  ~TempFile() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};

// Version 4: transaction IDs gain their endpoint, rebuilt from the event; to-device ones (no
// event type recorded) are dropped; inbox sizes are counted from the inboxes.
TEST(MigrationTest, TransactionIdsGainTheirEndpointAndInboxesTheirSize) {
  TempFile file;
  {
    sqlite::Database db(file.path);
    sqlite::migrate(db, 3);
    db.exec(R"sql(
INSERT INTO events (pos, event_id, room_id, type, sender, depth, origin_server_ts, json, state_group, txn_device, txn_id)
  VALUES (1, '$m', '!r:x', 'm.room.message', '@a:x', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000, '{}', 0, 'D', 't1'),
         (2, '$red10', '!r:x', 'm.room.redaction', '@a:x', 2, CAST(strftime('%s', 'now') AS INTEGER) * 1000, '{"redacts":"$m"}', 0, 'D', 't2'),
         (3, '$red11', '!r:x', 'm.room.redaction', '@a:x', 3, CAST(strftime('%s', 'now') AS INTEGER) * 1000, '{"content":{"redacts":"$m"}}', 0, 'D', 't3'),
         (4, '$odd', '!r:x', 'a/b%', '@a:x', 4, CAST(strftime('%s', 'now') AS INTEGER) * 1000, '{}', 0, 'D', 't4'),
         (5, '$old', '!r:x', 'm.room.message', '@a:x', 5, (CAST(strftime('%s', 'now') AS INTEGER) - 3 * 86400) * 1000, '{}', 0, 'D', 't5');
INSERT INTO txn_ids (user_id, device_id, txn_id, event_id)
  VALUES ('@a:x', 'D', 't1', '$m'), ('@a:x', 'D', 't2', '$red10'), ('@a:x', 'D', 't3', '$red11'),
         ('@a:x', 'D', 't4', '$odd'), ('@a:x', 'D', 't5', '$old');
INSERT INTO to_device_txns (user_id, device_id, txn_id) VALUES ('@b:x', 'BDEV', 't9');
INSERT INTO to_device_inbox (user_id, device_id, pos, sender, type, content)
  VALUES ('@a:x', 'DEV', 5, '@b:x', 'm.1', '{"é":1}'), ('@a:x', 'DEV', 6, '@b:x', 'm.2', '{}');
UPDATE stream SET pos = 6;
)sql");
  }
  auto store = open_sqlite_store({file.path, false});
  EXPECT_EQ(store->txn_event({"@a:x", "D", "/rooms/!r:x/send/m.room.message", "t1"}), "$m");
  EXPECT_EQ(store->txn_event({"@a:x", "D", "/rooms/!r:x/redact/$m", "t2"}), "$red10");
  EXPECT_EQ(store->txn_event({"@a:x", "D", "/rooms/!r:x/redact/$m", "t3"}), "$red11");
  EXPECT_EQ(store->txn_event({"@a:x", "D", "/rooms/!r:x/send/a%2Fb%25", "t4"}), "$odd");
  EXPECT_FALSE(store->txn_event({"@a:x", "D", "/rooms/!r:x/send/m.room.message", "t2"}));
  // Kept from the event's day: one sent three days ago has expired, and today's go once the
  // day after tomorrow is purged.
  EXPECT_FALSE(store->txn_event({"@a:x", "D", "/rooms/!r:x/send/m.room.message", "t5"}));
  const std::int64_t now_ms = std::int64_t{std::time(nullptr)} * 1000;
  store->purge_transactions(now_ms);
  EXPECT_EQ(store->txn_event({"@a:x", "D", "/rooms/!r:x/redact/$m", "t2"}), "$red10");
  store->purge_transactions(now_ms + 2 * 86'400'000);
  EXPECT_FALSE(store->txn_event({"@a:x", "D", "/rooms/!r:x/redact/$m", "t2"}));
  EXPECT_TRUE(store->add_to_device({}, Transaction{"@b:x", "BDEV", "/sendToDevice/m.x", "t9"}, {}));
  // The two waiting messages count: a bound of two messages drops the oldest.
  store->add_to_device({{"@a:x", "DEV", "@b:x", "m.3", "{}", 0}}, std::nullopt, {2, 0});
  auto inbox = store->to_device_inbox("@a:x", "DEV", 0, 10);
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_EQ(inbox[0].type, "m.2");
  store->add_to_device({{"@a:x", "DEV", "@b:x", "m.4", "{}", 0}}, std::nullopt, {0, 4});
  inbox = store->to_device_inbox("@a:x", "DEV", 0, 10);
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_EQ(inbox[0].type, "m.3");
}

// Version 6: filters gain a digest and a last use. Older filters keep their IDs and are found
// by ID, not by digest (none was recorded), are the first to be evicted, and new IDs follow
// them. Backup versions gain the count of their keys.
TEST(MigrationTest, OlderFiltersKeepTheirIdsAndBackupVersionsCountTheirKeys) {
  TempFile file;
  {
    sqlite::Database db(file.path);
    sqlite::migrate(db, 5);
    db.exec(R"sql(
INSERT INTO filters (user_id, filter_id, json) VALUES ('@a:x', 0, '{"a":1}'), ('@a:x', 1, '{"b":1}');
INSERT INTO reports (room_id, event_id, reporter, reason, ts) VALUES ('!r:x', '$e', '@a:x', 'spam', 1);
INSERT INTO room_aliases (alias, room_id, creator) VALUES ('#a:x', '!r:x', '@a:x');
INSERT INTO backup_versions (user_id, version, algorithm, auth_data, etag, deleted)
  VALUES ('@a:x', 1, 'alg', '{}', 0, 1), ('@a:x', 2, 'alg', '{}', 0, 0), ('@a:x', 3, 'alg', '{}', 0, 1);
INSERT INTO backup_keys (user_id, version, room_id, session_id, first_message_index, forwarded_count, is_verified,
                         session_data)
  VALUES ('@a:x', 2, '!r:x', 's1', 0, 0, 0, '{}'), ('@a:x', 2, '!r:x', 's2', 0, 0, 0, '{}');
)sql");
  }
  auto store = open_sqlite_store({file.path, false});
  EXPECT_EQ(store->filter("@a:x", 1, 10), R"({"b":1})");
  EXPECT_EQ(store->report_count("@a:x"), 1);
  EXPECT_EQ(store->alias_count("@a:x"), 1);
  EXPECT_EQ(store->add_filter("@a:x", R"({"a":1})", "digest", 10, 2), 2);
  EXPECT_FALSE(store->filter("@a:x", 0, 10));  // never used since the upgrade: the first to go
  EXPECT_TRUE(store->filter("@a:x", 1, 10));
  // Backup versions count their keys; the numbering goes on above the deleted version 3.
  EXPECT_EQ(store->backup_key_count("@a:x", 2), 2);
  EXPECT_EQ(store->user_backup_key_count("@a:x"), 2);
  EXPECT_EQ(store->create_backup_version("@a:x", "alg", "{}", 10), 4);
}

// Version 7: one-time keys stored before it keep their key-ID order and go out
// before any key uploaded after; reports stored before name no user.
TEST(MigrationTest, OneTimeKeysGainAnUploadOrderAndReportsAUser) {
  TempFile file;
  {
    sqlite::Database db(file.path);
    sqlite::migrate(db, 6);
    db.exec(R"sql(
INSERT INTO one_time_keys (user_id, device_id, algorithm, key_id, json)
  VALUES ('@a:x', 'DEV', 'signed_curve25519', 'BB', '"b"'), ('@a:x', 'DEV', 'signed_curve25519', 'AA', '"a"');
INSERT INTO reports (room_id, event_id, reporter, reason, score, ts) VALUES ('!r:x', '$e', '@b:x', 'spam', NULL, 3);
)sql");
  }
  auto store = open_sqlite_store({file.path, false});
  store->upload_keys("@a:x", "DEV", KeyUpload{std::nullopt, {{"signed_curve25519", "00", "\"new\""}}, {}});
  EXPECT_EQ(store->key_counts("@a:x", "DEV").one_time.at("signed_curve25519"), 3);
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->json, "\"a\"");
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->json, "\"b\"");
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->json, "\"new\"");
  auto reports = store->reports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].event_id, "$e");
  EXPECT_EQ(reports[0].user_id, "");
}

// Version 8: the membership and history_visibility changes are filled from the events stored
// before it, one per change of value (a join after a join is none), and later events add theirs.
TEST(MigrationTest, VisibilityValueChangesAreFilledFromStoredEvents) {
  TempFile file;
  {
    sqlite::Database db(file.path);
    sqlite::migrate(db, 7);
    db.exec(R"sql(
INSERT INTO events (pos, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json, state_group) VALUES
  (1, '$j', '!r:x', 'm.room.member', '@a:x', '@a:x', 1, 0, '{"content":{"membership":"join"}}', 1),
  (2, '$h', '!r:x', 'm.room.history_visibility', '', '@a:x', 2, 0, '{"content":{"history_visibility":"joined"}}', 1),
  (3, '$p', '!r:x', 'm.room.member', '@a:x', '@a:x', 3, 0, '{"content":{"membership":"join","displayname":"A"}}', 1),
  (4, '$h2', '!r:x', 'm.room.history_visibility', '', '@a:x', 4, 0, '{"content":{"history_visibility":"joined"}}', 1),
  (5, '$m', '!r:x', 'm.room.message', NULL, '@a:x', 5, 0, '{"content":{"membership":"leave"}}', 1),
  (6, '$l', '!r:x', 'm.room.member', '@a:x', '@a:x', 6, 0, '{"content":{"membership":"leave"}}', 1),
  (7, '$b', '!r:x', 'm.room.member', '@b:x', '@a:x', 7, 0, '{"content":{}}', 1),
  (8, '$o', '!r:x', 'm.room.history_visibility', 'other', '@a:x', 8, 0, '{"content":{"history_visibility":"x"}}', 1);
)sql");
  }
  auto store = open_sqlite_store({file.path, false});
  auto values = [](const std::vector<StateValueChange>& changes) {
    std::vector<std::pair<StreamPos, std::string>> out;
    for (const auto& change : changes) out.emplace_back(change.pos, change.value);
    return out;
  };
  using Values = std::vector<std::pair<StreamPos, std::string>>;
  EXPECT_EQ(values(store->membership_changes("!r:x", "@a:x")), (Values{{1, "join"}, {6, "leave"}}));
  EXPECT_EQ(values(store->membership_changes("!r:x", "@b:x")), (Values{{7, ""}}));
  EXPECT_EQ(values(store->history_visibility_changes("!r:x")), (Values{{2, "joined"}}));
}

// Version 9: the user directory indexes the users stored before it, and knows which rooms were
// public (join rule public, or history world_readable).
TEST(MigrationTest, TheUserDirectoryIndexesStoredUsersAndPublicRooms) {
  TempFile file;
  {
    sqlite::Database db(file.path);
    sqlite::migrate(db, 8);
    db.exec(R"sql(
INSERT INTO users (user_id, password_hash, admin, deactivated, created_ts, displayname, avatar_url) VALUES
  ('@a:x', '', 0, 0, 0, 'Anna', ''), ('@b:x', '', 0, 0, 0, '', ''), ('@c:x', '', 0, 0, 0, 'Cleo', '');
INSERT INTO events (pos, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json, state_group) VALUES
  (1, '$p', '!public:x', 'm.room.join_rules', '', '@a:x', 1, 0, '{"content":{"join_rule":"public"}}', 1),
  (2, '$w', '!readable:x', 'm.room.history_visibility', '', '@a:x', 1, 0, '{"content":{"history_visibility":"world_readable"}}', 1),
  (3, '$i', '!private:x', 'm.room.join_rules', '', '@a:x', 1, 0, '{"content":{"join_rule":"invite"}}', 1);
INSERT INTO current_state (room_id, type, state_key, event_id) VALUES
  ('!public:x', 'm.room.join_rules', '', '$p'), ('!readable:x', 'm.room.history_visibility', '', '$w'),
  ('!private:x', 'm.room.join_rules', '', '$i');
INSERT INTO room_memberships (room_id, user_id, membership, event_id, pos) VALUES
  ('!private:x', '@a:x', 'join', '$ja', 4), ('!private:x', '@b:x', 'join', '$jb', 5),
  ('!readable:x', '@c:x', 'join', '$jc', 6);
)sql");
  }
  auto store = open_sqlite_store({file.path, false});
  auto found = [&](const std::string& searcher, const std::string& word, bool public_rooms) {
    std::vector<std::string> out;
    for (const auto& entry : store->search_user_directory(searcher, {word}, public_rooms, 10, 100))
      out.push_back(entry.user_id);
    return out;
  };
  using Users = std::vector<std::string>;
  EXPECT_EQ(found("@b:x", "anna", false), Users{"@a:x"});
  EXPECT_EQ(found("@a:x", "b", false), Users{"@b:x"});
  EXPECT_EQ(found("@b:x", "cleo", false), Users{});
  EXPECT_EQ(found("@b:x", "cleo", true), Users{"@c:x"});
}

// Version 10: relations are filled from the stored events — valid ones only (a parent of the
// same room, an unredacted child), with which count in their parent's aggregation, the
// threads by their latest reply and who took part.
TEST(MigrationTest, RelationsAndThreadsAreFilledFromStoredEvents) {
  TempFile file;
  {
    sqlite::Database db(file.path);
    sqlite::migrate(db, 9);
    db.exec(R"sql(
INSERT INTO events (pos, event_id, room_id, type, sender, depth, origin_server_ts, json, state_group, redacted_by)
  VALUES (1, '$root', '!r:x', 'm.room.message', '@a:x', 1, 1, '{"content":{"body":"hi"}}', 0, NULL),
         (2, '$reply', '!r:x', 'm.room.message', '@b:x', 2, 2,
          '{"content":{"m.relates_to":{"rel_type":"m.thread","event_id":"$root"}}}', 0, NULL),
         (3, '$edit', '!r:x', 'm.room.message', '@a:x', 3, 3,
          '{"content":{"m.new_content":{"body":"hey"},"m.relates_to":{"rel_type":"m.replace","event_id":"$root"}}}', 0,
          NULL),
         (4, '$not-an-edit', '!r:x', 'm.room.message', '@b:x', 4, 4,
          '{"content":{"m.new_content":{"body":"no"},"m.relates_to":{"rel_type":"m.replace","event_id":"$root"}}}', 0,
          NULL),
         (5, '$like', '!r:x', 'm.reaction', '@b:x', 5, 5,
          '{"content":{"m.relates_to":{"rel_type":"m.annotation","event_id":"$root","key":"+"}}}', 0, NULL),
         (6, '$gone', '!r:x', 'm.room.message', '@c:x', 6, 6,
          '{"content":{"m.relates_to":{"rel_type":"m.thread","event_id":"$root"}}}', 0, '$redaction'),
         (7, '$elsewhere', '!s:x', 'm.room.message', '@c:x', 7, 7,
          '{"content":{"m.relates_to":{"rel_type":"m.thread","event_id":"$root"}}}', 0, NULL),
         (8, '$broken', '!r:x', 'm.room.message', '@c:x', 8, 8, 'not json', 0, NULL);
UPDATE stream SET pos = 8;
)sql");
  }
  auto store = open_sqlite_store({file.path, false});
  auto reply = store->relation("$reply");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->thread_id, "$root");
  EXPECT_TRUE(reply->aggregated);
  EXPECT_FALSE(store->relation("$gone"));
  EXPECT_FALSE(store->relation("$elsewhere"));
  EXPECT_FALSE(store->relation("$broken"));
  EXPECT_TRUE(store->has_annotation("$root", "m.reaction", "+", "@b:x"));
  auto edits = store->latest_replacements({"$root"}, 8);
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(edits[0].second.event_id, "$edit");
  auto threads = store->threads("!r:x", std::nullopt, 8, 10);
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads[0].latest_pos, 2);
  EXPECT_EQ(store->participated("!r:x", "@a:x", {"$root"}).size(), 1u);
  EXPECT_EQ(store->participated("!r:x", "@b:x", {"$root"}).size(), 1u);
  EXPECT_TRUE(store->participated("!r:x", "@c:x", {"$root"}).empty());
}

// Version 11: the search index is filled from the stored events: messages, names and topics,
// not redacted ones, nothing of encrypted rooms.
TEST(MigrationTest, SearchIndexIsFilledFromStoredEvents) {
  TempFile file;
  {
    sqlite::Database db(file.path);
    sqlite::migrate(db, 10);
    db.exec(R"sql(
INSERT INTO events (pos, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json, state_group,
                    redacted_by) VALUES
  (1, '$m', '!r:x', 'm.room.message', NULL, '@a:x', 1, 0, '{"content":{"body":"old walnut"}}', 1, NULL),
  (2, '$n', '!r:x', 'm.room.name', '', '@a:x', 2, 0, '{"content":{"name":"Walnut room"}}', 1, NULL),
  (3, '$t', '!r:x', 'm.room.topic', '', '@a:x', 3, 0,
   '{"content":{"topic":"nuts","m.topic":{"m.text":[{"body":"walnuts only"}]}}}', 1, NULL),
  (4, '$r', '!r:x', 'm.room.message', NULL, '@a:x', 4, 0, '{"content":{"body":"walnut"}}', 1, '$x'),
  (5, '$k', '!r:x', 'm.room.message', NULL, '@a:x', 5, 0, '{"content":{"body":42}}', 1, NULL),
  (6, '$e', '!e:x', 'm.room.message', NULL, '@a:x', 6, 0, '{"content":{"body":"walnut"}}', 1, NULL);
INSERT INTO current_state (room_id, type, state_key, event_id) VALUES ('!e:x', 'm.room.encryption', '', '$enc');
UPDATE stream SET pos = 6;
)sql");
  }
  auto store = open_sqlite_store({file.path, false});
  SearchQuery query;
  query.words = {"walnut"};
  query.rooms = {{"!r:x", {{0, 100}}}, {"!e:x", {{0, 100}}}};
  query.order = SearchOrder::kRecent;
  query.bound = 6;
  std::vector<StreamPos> found;
  for (const auto& hit : store->search_events(query).hits) found.push_back(hit.pos);
  EXPECT_EQ(found, (std::vector<StreamPos>{3, 2, 1}));
}

// Version 16: transaction IDs are keyed by digests and name their event by position. Each
// recorded one is still found (a to-device one still counts as recorded), and deleting the
// device still forgets them.
TEST(MigrationTest, TransactionIdsKeepTheirEventsUnderDigestKeys) {
  TempFile file;
  {
    sqlite::Database db(file.path);
    sqlite::migrate(db, 15);
    db.exec(R"sql(
INSERT INTO events (pos, event_id, room_id, type, sender, depth, origin_server_ts, json, state_group, txn_device, txn_id)
  VALUES (7, '$m', '!r:x', 'm.room.message', '@a:x', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000, '{}', 0, 'D', 't1');
INSERT INTO txn_ids (day, user_id, device_id, endpoint, txn_id, event_id)
  VALUES (CAST(strftime('%s', 'now') AS INTEGER) / 86400, '@a:x', 'D', '/rooms/!r:x/send/m.room.message', 't1', '$m'),
         (CAST(strftime('%s', 'now') AS INTEGER) / 86400, '@a:x', 'D', '/sendToDevice/m.x', 't2', '');
UPDATE stream SET pos = 7;
)sql");
  }
  auto store = open_sqlite_store({file.path, false});
  EXPECT_EQ(store->txn_event({"@a:x", "D", "/rooms/!r:x/send/m.room.message", "t1"}), "$m");
  EXPECT_FALSE(store->txn_event({"@a:x", "E", "/rooms/!r:x/send/m.room.message", "t1"}));
  EXPECT_FALSE(store->add_to_device({}, Transaction{"@a:x", "D", "/sendToDevice/m.x", "t2"}, {}));
  store->delete_device("@a:x", "D");
  EXPECT_FALSE(store->txn_event({"@a:x", "D", "/rooms/!r:x/send/m.room.message", "t1"}));
  EXPECT_TRUE(store->add_to_device({}, Transaction{"@a:x", "D", "/sendToDevice/m.x", "t2"}, {}));
}

}  // namespace
}  // namespace myelin::storage
