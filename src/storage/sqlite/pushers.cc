// PusherStore (storage/pusher_store.h) over the `pushers` table: primary key (user_id, app_id,
// pushkey), with an index on (app_id, pushkey) for append=false.
#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {

void SqliteStore::put_pusher(const PusherRecord& p) {
  db_.prepare(
         "INSERT OR REPLACE INTO pushers (user_id, app_id, pushkey, kind, app_display_name, device_display_name, "
         "profile_tag, lang, data, device_id, pushkey_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(p.user_id)
      .bind(p.app_id)
      .bind(p.pushkey)
      .bind(p.kind)
      .bind(p.app_display_name)
      .bind(p.device_display_name)
      .bind(p.profile_tag)
      .bind(p.lang)
      .bind(p.data)
      .bind(p.device_id)
      .bind(p.pushkey_ts)
      .run();
}

bool SqliteStore::delete_pusher(const std::string& user_id, const std::string& app_id, const std::string& pushkey) {
  db_.prepare("DELETE FROM pushers WHERE user_id = ? AND app_id = ? AND pushkey = ?")
      .bind(user_id)
      .bind(app_id)
      .bind(pushkey)
      .run();
  return db_.changes() > 0;
}

void SqliteStore::delete_pushers_of_others(const std::string& app_id, const std::string& pushkey,
                                           const std::string& keep_user) {
  db_.prepare("DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id <> ?")
      .bind(app_id)
      .bind(pushkey)
      .bind(keep_user)
      .run();
}

std::vector<PusherRecord> SqliteStore::pushers(const std::string& user_id) {
  std::vector<PusherRecord> out;
  auto s = db_.prepare(
      "SELECT app_id, pushkey, kind, app_display_name, device_display_name, profile_tag, lang, data, device_id, "
      "pushkey_ts FROM pushers WHERE user_id = ? ORDER BY pushkey_ts, app_id, pushkey");
  s.bind(user_id);
  while (s.step())
    out.push_back({user_id, s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.text(7),
                   s.text(8), s.integer(9)});
  return out;
}

std::vector<std::string> SqliteStore::users_with_pushers() {
  std::vector<std::string> out;
  auto s = db_.prepare("SELECT DISTINCT user_id FROM pushers");
  while (s.step()) out.push_back(s.text(0));
  return out;
}

}  // namespace myelin::storage::sqlite
