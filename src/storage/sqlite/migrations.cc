#include "storage/sqlite/migrations.h"

#include <iterator>

#include "storage/sqlite/txn_key.h"

namespace myelin::storage::sqlite {
namespace {

// Each entry moves the schema from version i to i + 1. Never edit a released entry: append.
constexpr const char* kMigrations[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE stream (id INTEGER PRIMARY KEY CHECK (id = 1), pos INTEGER NOT NULL);
INSERT INTO stream VALUES (1, 0);

CREATE TABLE users (
  user_id TEXT PRIMARY KEY, password_hash TEXT NOT NULL, admin INTEGER NOT NULL,
  deactivated INTEGER NOT NULL, created_ts INTEGER NOT NULL,
  displayname TEXT NOT NULL, avatar_url TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE devices (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, display_name TEXT NOT NULL,
  last_seen_ts INTEGER NOT NULL, last_seen_ip TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id)) WITHOUT ROWID;
CREATE TABLE access_tokens (
  digest BLOB PRIMARY KEY, user_id TEXT NOT NULL, device_id TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX access_tokens_by_device ON access_tokens (user_id, device_id);
CREATE TABLE client_ips (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, ip TEXT NOT NULL, last_seen INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, ip)) WITHOUT ROWID;
CREATE INDEX client_ips_by_age ON client_ips (last_seen);
CREATE TABLE registration_tokens (
  token TEXT PRIMARY KEY, uses_allowed INTEGER, pending INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0, expiry_time INTEGER) WITHOUT ROWID;

CREATE TABLE rooms (
  room_id TEXT PRIMARY KEY, version TEXT NOT NULL, creator TEXT NOT NULL,
  published INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX rooms_published ON rooms (published) WHERE published = 1;
CREATE TABLE events (
  pos INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, room_id TEXT NOT NULL,
  type TEXT NOT NULL, state_key TEXT, sender TEXT NOT NULL, depth INTEGER NOT NULL,
  origin_server_ts INTEGER NOT NULL, json TEXT NOT NULL, redacted_by TEXT,
  replaces_state TEXT, state_group INTEGER NOT NULL,
  txn_device TEXT NOT NULL DEFAULT '', txn_id TEXT NOT NULL DEFAULT '');
CREATE INDEX events_by_room ON events (room_id, pos);
CREATE TABLE txn_ids (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, txn_id TEXT NOT NULL, event_id TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id)) WITHOUT ROWID;

-- A state group is a snapshot (prev_group NULL) or a delta over prev_group.
CREATE TABLE state_groups (
  id INTEGER PRIMARY KEY, room_id TEXT NOT NULL, prev_group INTEGER, chain_length INTEGER NOT NULL);
CREATE TABLE state_group_entries (
  group_id INTEGER NOT NULL, type TEXT NOT NULL, state_key TEXT NOT NULL, event_id TEXT NOT NULL,
  PRIMARY KEY (group_id, type, state_key)) WITHOUT ROWID;
CREATE TABLE current_state (
  room_id TEXT NOT NULL, type TEXT NOT NULL, state_key TEXT NOT NULL, event_id TEXT NOT NULL,
  PRIMARY KEY (room_id, type, state_key)) WITHOUT ROWID;
CREATE TABLE room_memberships (
  room_id TEXT NOT NULL, user_id TEXT NOT NULL, membership TEXT NOT NULL,
  event_id TEXT NOT NULL, pos INTEGER NOT NULL, PRIMARY KEY (room_id, user_id)) WITHOUT ROWID;
CREATE INDEX room_memberships_by_user ON room_memberships (user_id);
CREATE TABLE forgotten_rooms (
  user_id TEXT NOT NULL, room_id TEXT NOT NULL, PRIMARY KEY (user_id, room_id)) WITHOUT ROWID;
CREATE TABLE forward_extremities (
  room_id TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (room_id, event_id)) WITHOUT ROWID;

CREATE TABLE room_aliases (
  alias TEXT PRIMARY KEY, room_id TEXT NOT NULL, creator TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX room_aliases_by_room ON room_aliases (room_id);
CREATE TABLE reports (
  id INTEGER PRIMARY KEY, room_id TEXT NOT NULL, event_id TEXT NOT NULL, reporter TEXT NOT NULL,
  reason TEXT NOT NULL, score INTEGER, ts INTEGER NOT NULL);

CREATE TABLE account_data (
  user_id TEXT NOT NULL, room_id TEXT NOT NULL, type TEXT NOT NULL, content TEXT NOT NULL,
  pos INTEGER NOT NULL, PRIMARY KEY (user_id, room_id, type)) WITHOUT ROWID;
CREATE INDEX account_data_by_pos ON account_data (user_id, pos);
CREATE TABLE receipts (
  room_id TEXT NOT NULL, receipt_type TEXT NOT NULL, user_id TEXT NOT NULL,
  thread_id TEXT NOT NULL, event_id TEXT NOT NULL, ts INTEGER NOT NULL, pos INTEGER NOT NULL,
  PRIMARY KEY (room_id, receipt_type, user_id, thread_id)) WITHOUT ROWID;
CREATE INDEX receipts_by_pos ON receipts (room_id, pos);
CREATE TABLE filters (
  user_id TEXT NOT NULL, filter_id INTEGER NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (user_id, filter_id)) WITHOUT ROWID;
)sql",
    // 2: end-to-end encryption (device and cross-signing keys, to-device inboxes, key backup).
    R"sql(
CREATE TABLE device_keys (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id)) WITHOUT ROWID;
CREATE TABLE one_time_keys (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, algorithm TEXT NOT NULL, key_id TEXT NOT NULL,
  json TEXT NOT NULL, PRIMARY KEY (user_id, device_id, algorithm, key_id)) WITHOUT ROWID;
CREATE TABLE fallback_keys (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, algorithm TEXT NOT NULL, key_id TEXT NOT NULL,
  json TEXT NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (user_id, device_id, algorithm)) WITHOUT ROWID;
CREATE TABLE cross_signing_keys (
  user_id TEXT NOT NULL, key_type TEXT NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (user_id, key_type)) WITHOUT ROWID;
-- Signatures uploaded separately from the keys they sign (keys/signatures/upload).
CREATE TABLE key_signatures (
  target_user TEXT NOT NULL, target_key TEXT NOT NULL, signer TEXT NOT NULL,
  signer_key TEXT NOT NULL, signature TEXT NOT NULL,
  PRIMARY KEY (target_user, target_key, signer, signer_key)) WITHOUT ROWID;
-- The latest device-list change per user: observer '' is seen by everyone who shares a room
-- with the user, otherwise only by the observer (their own signature on the user's keys).
CREATE TABLE device_list_changes (
  user_id TEXT NOT NULL, observer TEXT NOT NULL, pos INTEGER NOT NULL,
  PRIMARY KEY (user_id, observer)) WITHOUT ROWID;
CREATE INDEX device_list_changes_by_pos ON device_list_changes (pos);
CREATE TABLE to_device_inbox (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, pos INTEGER NOT NULL, sender TEXT NOT NULL,
  type TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (user_id, device_id, pos)) WITHOUT ROWID;
CREATE TABLE to_device_txns (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, txn_id TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id)) WITHOUT ROWID;
CREATE TABLE backup_versions (
  user_id TEXT NOT NULL, version INTEGER NOT NULL, algorithm TEXT NOT NULL, auth_data TEXT NOT NULL,
  etag INTEGER NOT NULL, deleted INTEGER NOT NULL, PRIMARY KEY (user_id, version)) WITHOUT ROWID;
CREATE TABLE backup_keys (
  user_id TEXT NOT NULL, version INTEGER NOT NULL, room_id TEXT NOT NULL, session_id TEXT NOT NULL,
  first_message_index INTEGER NOT NULL, forwarded_count INTEGER NOT NULL,
  is_verified INTEGER NOT NULL, session_data TEXT NOT NULL,
  PRIMARY KEY (user_id, version, room_id, session_id)) WITHOUT ROWID;
)sql",
    // 3: the media repository (local uploads; the bytes live in the content store).
    R"sql(
CREATE TABLE media (
  media_id TEXT PRIMARY KEY, uploader TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
  content_type TEXT NOT NULL, upload_name TEXT NOT NULL, created_ts INTEGER NOT NULL,
  pending_until INTEGER) WITHOUT ROWID;
CREATE INDEX media_by_uploader ON media (uploader, created_ts);
CREATE INDEX media_by_content ON media (sha256);
CREATE INDEX media_by_age ON media (created_ts);
CREATE INDEX media_pending ON media (pending_until) WHERE pending_until IS NOT NULL;
)sql",
    // 4: transaction IDs scoped to the endpoint (client-server-api "Transaction identifiers": a
    // retransmission is the same device, the same path and the same ID), one table for every
    // endpoint, keyed by the UTC day they were recorded on first, so that a lookup probes today
    // and yesterday and expiry deletes whole days, with no index beside the key to write on
    // every send; per-device to-device inbox sizes, so that a bound costs no scan. An event's
    // endpoint is rebuilt from the event (a redaction as sent through /redact, the usual way); to-device transactions
    // recorded no event type, so they cannot be told
    // apart and are dropped: at worst a retry in flight across the upgrade is delivered twice,
    // which Olm's replay protection absorbs, where a wrong guess would swallow a new message.
    R"sql(
ALTER TABLE txn_ids RENAME TO txn_ids_v3;
CREATE TABLE txn_ids (
  day INTEGER NOT NULL, user_id TEXT NOT NULL, device_id TEXT NOT NULL, endpoint TEXT NOT NULL,
  txn_id TEXT NOT NULL, event_id TEXT NOT NULL,
  PRIMARY KEY (day, user_id, device_id, endpoint, txn_id)) WITHOUT ROWID;
INSERT OR IGNORE INTO txn_ids (user_id, device_id, endpoint, txn_id, event_id, day)
  SELECT t.user_id, t.device_id,
         '/rooms/' || replace(replace(e.room_id, '%', '%25'), '/', '%2F') ||
         CASE WHEN e.type = 'm.room.redaction'
              THEN '/redact/' || replace(replace(coalesce(json_extract(e.json, '$.redacts'),
                                                          json_extract(e.json, '$.content.redacts'), ''),
                                                 '%', '%25'), '/', '%2F')
              ELSE '/send/' || replace(replace(e.type, '%', '%25'), '/', '%2F') END,
         t.txn_id, t.event_id, e.origin_server_ts / 86400000
  FROM txn_ids_v3 t JOIN events e ON e.event_id = t.event_id;
DROP TABLE txn_ids_v3;
DROP TABLE to_device_txns;

CREATE TABLE to_device_inbox_sizes (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, messages INTEGER NOT NULL, bytes INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)) WITHOUT ROWID;
INSERT INTO to_device_inbox_sizes (user_id, device_id, messages, bytes)
  SELECT user_id, device_id, count(*), sum(length(CAST(content AS BLOB))) FROM to_device_inbox
  GROUP BY user_id, device_id;
)sql",
    // 5: guest accounts.
    R"sql(
ALTER TABLE users ADD COLUMN guest INTEGER NOT NULL DEFAULT 0;
)sql",
    // 6: bounds per user that cost no scan. Filters are found by the sha256 of their canonical
    // JSON (older rows have none and are never matched) and evicted least recently used first
    // (used_ts); reports are counted per reporter, aliases per creator; a backup version keeps
    // the count of its keys, and of deleted versions only each user's newest stays (it keeps
    // version numbers from being reused).
    R"sql(
ALTER TABLE filters ADD COLUMN digest BLOB;
ALTER TABLE filters ADD COLUMN used_ts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX filters_by_digest ON filters (user_id, digest);
CREATE INDEX reports_by_reporter ON reports (reporter);
CREATE INDEX room_aliases_by_creator ON room_aliases (creator);
ALTER TABLE backup_versions ADD COLUMN keys INTEGER NOT NULL DEFAULT 0;
UPDATE backup_versions SET keys = (SELECT count(*) FROM backup_keys k
                                   WHERE k.user_id = backup_versions.user_id AND k.version = backup_versions.version);
DELETE FROM backup_versions WHERE deleted = 1 AND version < (SELECT max(version) FROM backup_versions v
                                                             WHERE v.user_id = backup_versions.user_id);
)sql",
    // 7: one-time keys remember their upload order (client-server-api
    // POST /keys/claim, v1.13: keys are given out oldest first): a per-device, per-algorithm
    // sequence in the key, so the claim reads and deletes the first row of one b-tree (a key ID
    // is found within the device's few keys, bounded by limits.one_time_keys_per_algorithm).
    // Keys stored before have no known order: they keep key-ID order, ahead of every key
    // uploaded after. Reports name the reported user
    // (POST /users/{userId}/report, v1.14; '' for room and event reports).
    R"sql(
CREATE TABLE one_time_keys_ordered (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, algorithm TEXT NOT NULL, seq INTEGER NOT NULL,
  key_id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (user_id, device_id, algorithm, seq)) WITHOUT ROWID;
INSERT INTO one_time_keys_ordered (user_id, device_id, algorithm, seq, key_id, json)
  SELECT user_id, device_id, algorithm,
         row_number() OVER (PARTITION BY user_id, device_id, algorithm ORDER BY key_id), key_id, json
  FROM one_time_keys;
DROP TABLE one_time_keys;
ALTER TABLE one_time_keys_ordered RENAME TO one_time_keys;

ALTER TABLE reports ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
)sql",
    // 8: the changes of the values the history visibility rules read, so that a request reads
    // them in one indexed query instead of walking the state chains event by event: the
    // membership of each user's m.room.member events and the room's history_visibility, one
    // row per event that changed the value (a profile change, join after join, adds none).
    // Filled from the events stored so far.
    R"sql(
CREATE TABLE state_value_changes (
  room_id TEXT NOT NULL, type TEXT NOT NULL, state_key TEXT NOT NULL, pos INTEGER NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (room_id, type, state_key, pos)) WITHOUT ROWID;
INSERT INTO state_value_changes (room_id, type, state_key, pos, value)
  SELECT room_id, type, state_key, pos, value FROM (
    SELECT room_id, type, state_key, pos, value,
           lag(value) OVER (PARTITION BY room_id, type, state_key ORDER BY pos) AS previous
    FROM (SELECT room_id, type, state_key, pos,
                 COALESCE(json_extract(json, CASE type WHEN 'm.room.member' THEN '$.content.membership'
                                                       ELSE '$.content.history_visibility' END), '') AS value
          FROM events
          WHERE ((type = 'm.room.member' AND state_key IS NOT NULL)
                 OR (type = 'm.room.history_visibility' AND state_key = '')) AND json_valid(json)))
  WHERE previous IS NULL OR previous <> value;
)sql",
    // 9: the user directory (client-server-api "User directory"; sqlite/user_directory.cc). A
    // full-text index of each local user's ID and display name (user_directory maps users to
    // its rows), and the rooms whose members anyone may find: join rule public or history
    // world_readable in the current state. Triggers keep both as users are created, change
    // their display name, and as rooms' current state changes; filled here from what is stored.
    R"sql(
CREATE TABLE user_directory (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL UNIQUE);
CREATE VIRTUAL TABLE user_directory_search USING fts5(terms, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO user_directory (user_id) SELECT user_id FROM users;
INSERT INTO user_directory_search (rowid, terms)
  SELECT d.id, u.user_id || ' ' || u.displayname FROM user_directory d JOIN users u ON u.user_id = d.user_id;
CREATE TRIGGER user_directory_user_created AFTER INSERT ON users BEGIN
  INSERT INTO user_directory (user_id) VALUES (NEW.user_id);
  INSERT INTO user_directory_search (rowid, terms)
    VALUES ((SELECT id FROM user_directory WHERE user_id = NEW.user_id), NEW.user_id || ' ' || NEW.displayname);
END;
CREATE TRIGGER user_directory_user_renamed AFTER UPDATE OF displayname ON users BEGIN
  UPDATE user_directory_search SET terms = NEW.user_id || ' ' || NEW.displayname
    WHERE rowid = (SELECT id FROM user_directory WHERE user_id = NEW.user_id);
END;

CREATE TABLE user_directory_public_rooms (room_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIEW user_directory_public_state AS
  SELECT c.room_id FROM current_state c JOIN events e ON e.event_id = c.event_id
  WHERE c.state_key = '' AND json_valid(e.json)
    AND ((c.type = 'm.room.join_rules' AND json_extract(e.json, '$.content.join_rule') = 'public')
         OR (c.type = 'm.room.history_visibility'
             AND json_extract(e.json, '$.content.history_visibility') = 'world_readable'));
INSERT INTO user_directory_public_rooms (room_id) SELECT DISTINCT room_id FROM user_directory_public_state;
CREATE TRIGGER user_directory_state_added AFTER INSERT ON current_state
  WHEN NEW.state_key = '' AND NEW.type IN ('m.room.join_rules', 'm.room.history_visibility') BEGIN
  DELETE FROM user_directory_public_rooms WHERE room_id = NEW.room_id;
  INSERT INTO user_directory_public_rooms (room_id)
    SELECT NEW.room_id WHERE EXISTS (SELECT 1 FROM user_directory_public_state WHERE room_id = NEW.room_id);
END;
CREATE TRIGGER user_directory_state_changed AFTER UPDATE OF event_id ON current_state
  WHEN NEW.state_key = '' AND NEW.type IN ('m.room.join_rules', 'm.room.history_visibility') BEGIN
  DELETE FROM user_directory_public_rooms WHERE room_id = NEW.room_id;
  INSERT INTO user_directory_public_rooms (room_id)
    SELECT NEW.room_id WHERE EXISTS (SELECT 1 FROM user_directory_public_state WHERE room_id = NEW.room_id);
END;
)sql",
    // 10: relations between events (storage/relation_store.h): one row per event with a valid
    // m.relates_to, whether it counts in its parent's aggregation, and the thread it is in;
    // the threads of each room by latest activity and who took part in each. Filled from the
    // events stored so far with the direct rules (an event is in a thread when it is a thread
    // reply; the indirect hops apply to events from now on).
    R"sql(
CREATE TABLE relations (
  child_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, parent_id TEXT NOT NULL, rel_type TEXT NOT NULL,
  child_type TEXT NOT NULL, sender TEXT NOT NULL, pos INTEGER NOT NULL, annotation_key TEXT NOT NULL,
  aggregated INTEGER NOT NULL, thread_id TEXT NOT NULL, thread_hops INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX relations_by_parent ON relations (parent_id, rel_type, pos);
CREATE INDEX relations_by_parent_pos ON relations (parent_id, pos);
CREATE INDEX relations_by_room ON relations (room_id, pos);
CREATE INDEX relations_aggregated ON relations (parent_id, rel_type, pos) WHERE aggregated = 1;
CREATE INDEX relations_annotations ON relations (parent_id, child_type, annotation_key, sender)
  WHERE rel_type = 'm.annotation';
CREATE TABLE threads (
  room_id TEXT NOT NULL, root_id TEXT NOT NULL, latest_pos INTEGER NOT NULL, replies INTEGER NOT NULL,
  PRIMARY KEY (room_id, root_id)) WITHOUT ROWID;
CREATE INDEX threads_by_activity ON threads (room_id, latest_pos);
CREATE TABLE thread_participants (
  room_id TEXT NOT NULL, user_id TEXT NOT NULL, root_id TEXT NOT NULL, replies INTEGER NOT NULL,
  is_root INTEGER NOT NULL, PRIMARY KEY (room_id, user_id, root_id)) WITHOUT ROWID;

INSERT OR IGNORE INTO relations (child_id, room_id, parent_id, rel_type, child_type, sender, pos, annotation_key,
                                 aggregated, thread_id, thread_hops)
  SELECT c.event_id, c.room_id, p.event_id, c.rel_type, c.type, c.sender, c.pos, c.key,
         CASE c.rel_type
           WHEN 'm.replace' THEN c.sender = p.sender AND c.type = p.type AND c.state_key IS NULL
                                 AND p.state_key IS NULL
                                 AND coalesce(json_extract(p.json, '$.content."m.relates_to".rel_type'), '') <> 'm.replace'
                                 AND (c.type = 'm.room.encrypted' OR json_type(c.json, '$.content."m.new_content"') = 'object')
           WHEN 'm.thread' THEN json_type(p.json, '$.content."m.relates_to".rel_type') IS NULL
           ELSE 1 END,
         CASE WHEN c.rel_type = 'm.thread' THEN p.event_id ELSE '' END,
         CASE WHEN c.rel_type = 'm.thread' THEN 1 ELSE 0 END
  FROM (SELECT event_id, room_id, type, state_key, sender, pos, json,
               json_extract(json, '$.content."m.relates_to".rel_type') AS rel_type,
               json_extract(json, '$.content."m.relates_to".event_id') AS parent,
               coalesce(json_extract(json, '$.content."m.relates_to".key'), '') AS key
        FROM events WHERE redacted_by IS NULL AND json_valid(json)) c
  JOIN events p ON p.event_id = c.parent AND p.room_id = c.room_id
  WHERE json_type(c.json, '$.content."m.relates_to".rel_type') = 'text' AND p.pos < c.pos;
INSERT INTO threads (room_id, root_id, latest_pos, replies)
  SELECT room_id, parent_id, max(pos), count(*) FROM relations WHERE rel_type = 'm.thread' AND aggregated = 1
  GROUP BY room_id, parent_id;
INSERT INTO thread_participants (room_id, user_id, root_id, replies, is_root)
  SELECT room_id, sender, parent_id, count(*), 0 FROM relations WHERE rel_type = 'm.thread' AND aggregated = 1
  GROUP BY room_id, sender, parent_id;
INSERT INTO thread_participants (room_id, user_id, root_id, replies, is_root)
  SELECT t.room_id, e.sender, t.root_id, 0, 1 FROM threads t JOIN events e ON e.event_id = t.root_id WHERE true
  ON CONFLICT (room_id, user_id, root_id) DO UPDATE SET is_root = 1;
)sql",
    // 11: server-side search and jump to date (client-server-api "Server Side Search",
    // GET /timestamp_to_event). event_search is the full-text index (FTS5), one row per indexed
    // event keyed by its position: `room` holds a token derived from the room ID (so a search
    // reads only the searcher's rooms), body/name/topic the text; new rows wait in
    // search_pending and move into it in bulk (sqlite/search.cc). Events stored before are
    // indexed here. Jump to date reads the timestamps from the room's index of positions, which
    // now holds them too: a second index of the events by room would cost every write a page per
    // active room (a quarter of the messages/s with 50 senders in their own rooms). OpenID tokens
    // by digest, with their expiry.
    R"sql(
CREATE VIRTUAL TABLE event_search USING fts5(room, body, name, topic, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE search_pending (pos INTEGER PRIMARY KEY, room TEXT NOT NULL, body TEXT, name TEXT, topic TEXT);
DROP INDEX events_by_room;
CREATE INDEX events_by_room ON events (room_id, pos, origin_server_ts);
CREATE TABLE openid_tokens (
  digest BLOB PRIMARY KEY, user_id TEXT NOT NULL, expires_ts INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX openid_tokens_by_user ON openid_tokens (user_id, expires_ts);
CREATE INDEX openid_tokens_by_expiry ON openid_tokens (expires_ts);
INSERT INTO event_search (rowid, room, body, name, topic)
  SELECT pos, 'r' || lower(hex(room_id)), body, name, topic FROM (
    SELECT e.pos, e.room_id,
      CASE WHEN e.type = 'm.room.message' AND e.state_key IS NULL AND json_type(e.json, '$.content.body') = 'text'
           THEN json_extract(e.json, '$.content.body') END AS body,
      CASE WHEN e.type = 'm.room.name' AND e.state_key = '' AND json_type(e.json, '$.content.name') = 'text'
           THEN json_extract(e.json, '$.content.name') END AS name,
      CASE WHEN e.type = 'm.room.topic' AND e.state_key = '' THEN
        trim(CASE WHEN json_type(e.json, '$.content.topic') = 'text' THEN json_extract(e.json, '$.content.topic')
                  ELSE '' END
             || ' ' || COALESCE((SELECT json_extract(t.value, '$.body')
                                 FROM json_each(e.json, '$.content."m.topic"."m.text"') AS t
                                 WHERE t.type = 'object' AND json_type(t.value, '$.body') = 'text'
                                   AND COALESCE(json_extract(t.value, '$.mimetype'), 'text/plain') = 'text/plain'
                                   AND json_extract(t.value, '$.body') IS NOT json_extract(e.json, '$.content.topic')
                                 LIMIT 1), '')) END AS topic
    FROM events AS e
    WHERE e.type IN ('m.room.message', 'm.room.name', 'm.room.topic') AND e.redacted_by IS NULL AND json_valid(e.json)
      AND e.room_id NOT IN (SELECT room_id FROM current_state WHERE type = 'm.room.encryption' AND state_key = ''))
  WHERE COALESCE(body, name, topic, '') <> '';
)sql",
    // 12: pushers (storage/pusher_store.h).
    R"sql(
CREATE TABLE pushers (
  user_id TEXT NOT NULL, app_id TEXT NOT NULL, pushkey TEXT NOT NULL, kind TEXT NOT NULL,
  app_display_name TEXT NOT NULL, device_display_name TEXT NOT NULL, profile_tag TEXT NOT NULL,
  lang TEXT NOT NULL, data TEXT NOT NULL, device_id TEXT NOT NULL, pushkey_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, app_id, pushkey)) WITHOUT ROWID;
CREATE INDEX pushers_by_key ON pushers (app_id, pushkey);
CREATE INDEX pushers_by_device ON pushers (user_id, device_id);
)sql",
    // 13: other servers' signing keys (storage/server_key_store.h).
    R"sql(
CREATE TABLE server_keys (
  server_name TEXT NOT NULL, key_id TEXT NOT NULL, public_key TEXT NOT NULL, valid_until_ts INTEGER NOT NULL,
  expired_ts INTEGER, PRIMARY KEY (server_name, key_id)) WITHOUT ROWID;
CREATE TABLE server_key_documents (
  server_name TEXT NOT NULL, key_id TEXT NOT NULL, json TEXT NOT NULL, valid_until_ts INTEGER NOT NULL,
  PRIMARY KEY (server_name, key_id)) WITHOUT ROWID;
)sql",
    // 14: outliers (storage/event_store.h), events known but not in the timeline, by ID; the
    // user directory's view of public rooms reads a current state event's JSON from either
    // table (a remote join's state is outliers).
    R"sql(
CREATE TABLE outliers (
  event_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, type TEXT NOT NULL, state_key TEXT, sender TEXT NOT NULL,
  depth INTEGER NOT NULL, origin_server_ts INTEGER NOT NULL, json TEXT NOT NULL, redacted_by TEXT) WITHOUT ROWID;
DROP VIEW user_directory_public_state;
CREATE VIEW user_directory_public_state AS
  SELECT room_id FROM (
    SELECT c.room_id, c.type, COALESCE((SELECT json FROM events WHERE event_id = c.event_id),
                                       (SELECT json FROM outliers WHERE event_id = c.event_id)) AS json
    FROM current_state c WHERE c.state_key = '' AND c.type IN ('m.room.join_rules', 'm.room.history_visibility'))
  WHERE json_valid(json)
    AND ((type = 'm.room.join_rules' AND json_extract(json, '$.content.join_rule') = 'public')
         OR (type = 'm.room.history_visibility'
             AND json_extract(json, '$.content.history_visibility') = 'world_readable'));
)sql",
    // 15: third-party identifiers bound at identity servers (storage/account_store.h).
    R"sql(
CREATE TABLE threepid_binds (
  user_id TEXT NOT NULL, medium TEXT NOT NULL, address TEXT NOT NULL, id_server TEXT NOT NULL,
  UNIQUE (user_id, medium, address, id_server));
)sql",
    // 16: transaction IDs keyed by two digests (txn_key_part: the device's, the request's) and
    // naming their event by its position: rows of ~45 bytes instead of ~200, compared in their
    // first bytes (storage/sqlite/txn_key.h).
    R"sql(
CREATE TABLE txn_ids_by_digest (
  day INTEGER NOT NULL, device BLOB NOT NULL, request BLOB NOT NULL, pos INTEGER NOT NULL,
  PRIMARY KEY (day, device, request)) WITHOUT ROWID;
INSERT INTO txn_ids_by_digest (day, device, request, pos)
  SELECT t.day, txn_key_part(t.user_id, t.device_id), txn_key_part(t.endpoint, t.txn_id),
         COALESCE((SELECT e.pos FROM events e WHERE e.event_id = t.event_id), 0)
  FROM txn_ids t;
DROP TABLE txn_ids;
ALTER TABLE txn_ids_by_digest RENAME TO txn_ids;
)sql",
};

std::int64_t user_version(Database& db) {
  auto statement = db.prepare("PRAGMA user_version");
  return statement.step() ? statement.integer(0) : 0;
}

}  // namespace

void migrate(Database& db, std::optional<std::int64_t> up_to) {
  const auto latest = up_to.value_or(static_cast<std::int64_t>(std::size(kMigrations)));
  std::int64_t version = user_version(db);
  if (version > latest)
    throw StorageError("database schema version " + std::to_string(version) + " is newer than this myelin (" +
                       std::to_string(latest) + ")");
  if (version == latest) return;
  register_txn_key_part(db);
  DbTransaction transaction(db);
  for (; version < latest; ++version) db.exec(kMigrations[version]);
  db.exec("PRAGMA user_version = " + std::to_string(latest));
  transaction.commit();
}

}  // namespace myelin::storage::sqlite
