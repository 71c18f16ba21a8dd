// Media metadata: one row per media ID; the content itself is in the content store.
#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {
namespace {

constexpr const char* kColumns =
    "media_id, uploader, sha256, size, content_type, upload_name, created_ts, pending_until";

MediaRecord read_media(const Statement& s) {
  return MediaRecord{s.text(0), s.text(1), s.text(2),    s.integer(3),
                     s.text(4), s.text(5), s.integer(6), s.optional_integer(7)};
}

}  // namespace

bool SqliteStore::add_media(const MediaRecord& r) {
  db_.prepare(std::string("INSERT OR IGNORE INTO media (") + kColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(r.media_id)
      .bind(r.uploader)
      .bind(r.sha256)
      .bind(r.size)
      .bind(r.content_type)
      .bind(r.upload_name)
      .bind(r.created_ts)
      .bind(r.pending_until)
      .run();
  return db_.changes() > 0;
}

std::optional<MediaRecord> SqliteStore::media(const std::string& media_id) {
  auto s = db_.prepare(std::string("SELECT ") + kColumns + " FROM media WHERE media_id = ?");
  s.bind(media_id);
  return s.step() ? std::optional(read_media(s)) : std::nullopt;
}

bool SqliteStore::complete_media(const MediaRecord& r) {
  db_.prepare(
         "UPDATE media SET sha256 = ?, size = ?, content_type = ?, upload_name = ?, pending_until = NULL"
         " WHERE media_id = ? AND pending_until IS NOT NULL")
      .bind(r.sha256)
      .bind(r.size)
      .bind(r.content_type)
      .bind(r.upload_name)
      .bind(r.media_id)
      .run();
  return db_.changes() > 0;
}

std::vector<MediaRecord> SqliteStore::user_media(const std::string& uploader,
                                                 const std::optional<std::pair<std::int64_t, std::string>>& after,
                                                 std::size_t limit) {
  std::vector<MediaRecord> out;
  auto s = db_.prepare(std::string("SELECT ") + kColumns + " FROM media WHERE uploader = ?" +
                       (after ? " AND (created_ts, media_id) < (?, ?)" : "") +
                       " ORDER BY created_ts DESC, media_id DESC LIMIT ?");
  s.bind(uploader);
  if (after) s.bind(after->first).bind(after->second);
  s.bind(static_cast<std::int64_t>(limit));
  while (s.step()) out.push_back(read_media(s));
  return out;
}

std::int64_t SqliteStore::user_media_bytes(const std::string& uploader) {
  auto s = db_.prepare("SELECT coalesce(sum(size), 0) FROM media WHERE uploader = ?");
  s.bind(uploader);
  return s.step() ? s.integer(0) : 0;
}

std::int64_t SqliteStore::pending_media_count(const std::string& uploader, std::int64_t now_ms) {
  auto s = db_.prepare("SELECT count(*) FROM media WHERE uploader = ? AND pending_until >= ?");
  s.bind(uploader).bind(now_ms);
  return s.step() ? s.integer(0) : 0;
}

std::optional<MediaRecord> SqliteStore::delete_media(const std::string& media_id) {
  auto record = media(media_id);
  if (record) db_.prepare("DELETE FROM media WHERE media_id = ?").bind(media_id).run();
  return record;
}

std::int64_t SqliteStore::media_using_content(const std::string& sha256) {
  auto s = db_.prepare("SELECT count(*) FROM media WHERE sha256 = ?");
  s.bind(sha256);
  return s.step() ? s.integer(0) : 0;
}

std::vector<MediaRecord> SqliteStore::media_created_before(std::int64_t ts, std::size_t limit) {
  std::vector<MediaRecord> out;
  auto s = db_.prepare(std::string("SELECT ") + kColumns +
                       " FROM media WHERE created_ts < ? AND pending_until IS NULL ORDER BY created_ts LIMIT ?");
  s.bind(ts).bind(static_cast<std::int64_t>(limit));
  while (s.step()) out.push_back(read_media(s));
  return out;
}

std::int64_t SqliteStore::delete_expired_pending_media(std::int64_t now_ms) {
  db_.prepare("DELETE FROM media WHERE pending_until IS NOT NULL AND pending_until < ?").bind(now_ms).run();
  return db_.changes();
}

}  // namespace myelin::storage::sqlite
