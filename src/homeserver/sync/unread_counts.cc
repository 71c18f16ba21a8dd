#include "homeserver/sync/unread_counts.h"

namespace myelin::homeserver {

NotificationCounts UnreadCounts::get(const std::string& user, const std::string& room, storage::StreamPos read_up_to,
                                     storage::StreamPos now, const Evaluate& evaluate) {
  const std::string key = user + '|' + room;
  auto it = kept_.find(key);
  if (it != kept_.end() && it->second.read_up_to == read_up_to && it->second.counted_up_to <= now) {
    Kept& kept = it->second;
    if (kept.counted_up_to < now) {
      const NotificationCounts more = evaluate(kept.counted_up_to, now);
      kept.counts.notifications += more.notifications;
      kept.counts.highlights += more.highlights;
      kept.counted_up_to = now;
    }
    return kept.counts;
  }
  const NotificationCounts counts = evaluate(read_up_to, now);
  if (it == kept_.end() && kept_.size() >= kMaxKept) kept_.clear();
  kept_[key] = Kept{read_up_to, now, counts};
  return counts;
}

}  // namespace myelin::homeserver
