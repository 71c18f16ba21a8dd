#include "homeserver/federation/receiver.h"

#include "homeserver/timeline/room_state.h"

namespace myelin::homeserver {
namespace {

// An array field that must be there (or may be absent, `optional`), of at most `max` items.
core::Result<const json::array*> bounded_array(const json::object& body, std::string_view key, std::size_t max,
                                               bool optional) {
  static const json::array kEmpty;
  const json::value* value = body.if_contains(key);
  if (!value && optional) return &kEmpty;
  if (!value || !value->is_array()) return core::fail(core::Errc::kBadJson, std::string(key) + " must be an array");
  if (value->get_array().size() > max)
    return core::fail(core::Errc::kTooLarge, "At most " + std::to_string(max) + " " + std::string(key), 400);
  return &value->get_array();
}

const json::object* object_field(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_object() ? &value->get_object() : nullptr;
}

constexpr std::size_t kMaxReceiptsPerTransaction = 1000;

}  // namespace

void Receiver::receive(const std::string& origin, const std::string& txn_id, const json::value& body, Answer done) {
  std::string key = origin + '\n' + txn_id;
  if (auto it = answered_index_.find(key); it != answered_index_.end()) {
    answered_.splice(answered_.begin(), answered_, it->second);
    return done(it->second->second);
  }
  if (auto it = in_progress_.find(key); it != in_progress_.end()) return it->second->waiting.push_back(std::move(done));

  if (!body.is_object()) return done(core::fail(core::Errc::kBadJson, "A transaction must be an object"));
  const json::object& transaction = body.get_object();
  const json::value* claimed = transaction.if_contains("origin");
  if (!claimed || !claimed->is_string() || claimed->get_string() != origin)
    return done(core::fail(core::Errc::kBadJson, "origin must be the server that sent the request"));
  const json::value* ts = transaction.if_contains("origin_server_ts");
  if (!ts || !ts->is_int64()) return done(core::fail(core::Errc::kBadJson, "origin_server_ts must be an integer"));
  auto pdus = bounded_array(transaction, "pdus", kMaxPdus, false);
  if (!pdus) return done(std::unexpected(pdus.error()));
  auto edus = bounded_array(transaction, "edus", kMaxEdus, true);
  if (!edus) return done(std::unexpected(edus.error()));
  if (queued_ + (*pdus)->size() > kMaxQueuedPdus)
    return done(core::fail(core::Errc::kLimitExceeded, "Too many events waiting to be checked; retry later"));

  take_edus(origin, **edus);
  auto pending = std::make_shared<Transaction>();
  pending->key = key;
  pending->outstanding = (*pdus)->size() + 1;  // + 1 until every PDU is queued
  pending->waiting.push_back(std::move(done));
  in_progress_.emplace(std::move(key), pending);
  for (const json::value& pdu : **pdus) {
    const std::string room_id(pdu.is_object() ? string_field(pdu.get_object(), "room_id") : "");
    enqueue(room_id, Job{origin, pdu, pending});
  }
  finished(pending);
}

void Receiver::enqueue(const std::string& room_id, Job job) {
  ++queued_;
  rooms_[room_id].jobs.push_back(std::move(job));
  run(room_id);
}

void Receiver::run(const std::string& room_id) {
  RoomQueue& queue = rooms_.at(room_id);
  // A loop, not recursion: most PDUs are done before receive() returns.
  while (!queue.busy && !queue.jobs.empty()) {
    queue.busy = true;
    Job job = std::move(queue.jobs.front());
    queue.jobs.pop_front();
    auto returned = std::make_shared<bool>(false);
    intake_.receive(
        job.origin, job.pdu, [this, room_id, returned, transaction = job.transaction](const PduOutcome& outcome) {
          if (!outcome.event_id.empty()) {
            transaction->results[outcome.event_id] =
                outcome.error.empty() || outcome.rejected ? json::object() : json::object{{"error", outcome.error}};
          }
          --queued_;
          finished(transaction);  // an answer may enqueue (the room is still busy: it waits)
          rooms_.at(room_id).busy = false;
          if (*returned) run(room_id);  // done later: go on with the room's next PDU
        });
    *returned = true;
  }
  if (!queue.busy) rooms_.erase(room_id);
}

void Receiver::finished(const std::shared_ptr<Transaction>& transaction) {
  if (--transaction->outstanding > 0) return;
  json::object answer{{"pdus", std::move(transaction->results)}};
  remember(transaction->key, answer);
  in_progress_.erase(transaction->key);
  for (const Answer& waiting : transaction->waiting) waiting(answer);
}

void Receiver::remember(const std::string& key, const json::object& answer) {
  answered_.emplace_front(key, answer);
  answered_index_[key] = answered_.begin();
  if (answered_.size() > kRememberedTransactions) {
    answered_index_.erase(answered_.back().first);
    answered_.pop_back();
  }
}

void Receiver::take_edus(const std::string& origin, const json::array& edus) {
  for (const json::value& edu : edus) {
    if (!edu.is_object()) continue;
    const json::object* content = object_field(edu.get_object(), "content");
    if (!content) continue;
    const std::string_view type = string_field(edu.get_object(), "edu_type");
    if (type == "m.receipt") receipts(origin, *content);
    if (type == "m.direct_to_device") edus_.to_device(origin, *content);
    if (type == "m.presence") edus_.presence(origin, *content);
    if (type == "m.device_list_update" || type == "m.signing_key_update")
      edus_.keys_changed(origin, std::string(string_field(*content, "user_id")));
    if (type != "m.typing") continue;
    auto user = core::UserId::parse(string_field(*content, "user_id"));
    auto room = core::RoomId::parse(string_field(*content, "room_id"));
    const json::value* typing = content->if_contains("typing");
    if (user && room && user->server() == origin && typing && typing->is_bool() && intake_.acl_allows(*room, origin))
      edus_.typing(*user, *room, typing->get_bool());
  }
}

void Receiver::receipts(const std::string& origin, const json::object& content) {
  // {room_id: {"m.read": {user_id: {"event_ids": [...], "data": {"thread_id": ...}}}}}
  std::size_t taken = 0;
  for (const auto& [room_key, by_type] : content) {
    auto room = core::RoomId::parse(room_key);
    const json::object* read = by_type.is_object() ? object_field(by_type.get_object(), "m.read") : nullptr;
    if (!room || !read || !intake_.acl_allows(*room, origin)) continue;
    for (const auto& [user_key, receipt] : *read) {
      if (++taken > kMaxReceiptsPerTransaction) return;
      auto user = core::UserId::parse(user_key);
      if (!user || user->server() != origin || !receipt.is_object()) continue;
      const json::value* ids = receipt.get_object().if_contains("event_ids");
      if (!ids || !ids->is_array() || ids->get_array().empty() || !ids->get_array().front().is_string()) continue;
      auto event = core::EventId::parse(ids->get_array().front().get_string());
      const json::object* data = object_field(receipt.get_object(), "data");
      if (event) edus_.read_receipt(*user, *room, *event, data ? std::string(string_field(*data, "thread_id")) : "");
    }
  }
}

}  // namespace myelin::homeserver
