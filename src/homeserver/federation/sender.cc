#include "homeserver/federation/sender.h"

#include <spdlog/spdlog.h>

#include <set>

#include "core/clock.h"
#include "rooms/event_format.h"
#include "rooms/server_acl.h"

namespace myelin::homeserver {
namespace {

bool retryable(int status) { return status == 0 || status == 401 || status == 429 || status >= 500; }

template <class T>
void push_bounded(std::deque<T>& queue, T item, std::size_t bound, std::size_t in_flight) {
  // The oldest not in flight go (those in flight stay until their answer).
  if (queue.size() >= bound && queue.size() > in_flight) queue.erase(queue.begin() + static_cast<long>(in_flight));
  queue.push_back(std::move(item));
}

}  // namespace

FederationSender::FederationSender(std::string server_name, Transport& transport, http::Scheduler& scheduler,
                                   const core::SigningKey& key)
    : server_name_(std::move(server_name)),
      transport_(transport),
      scheduler_(scheduler),
      key_(key),
      started_ms_(core::now_ms()) {}

std::chrono::milliseconds FederationSender::backoff(int failures) {
  if (failures <= 0) return std::chrono::milliseconds(0);
  const int exponent = std::min(failures - 1, 16);
  return std::min<std::chrono::milliseconds>(std::chrono::seconds(1) * (1 << exponent), kMaxBackoff);
}

void FederationSender::on_written(const Written& written) {
  const BuiltEvent& event = written.event;
  if (server_of_user(event.row.sender) != server_name_) return;  // only events that start here
  const auto& joined = written.room.joined_servers;
  const bool member_event = event.row.type == "m.room.member" && event.row.state_key;
  // The common case, a room of this server's users alone, costs two lookups.
  if (!member_event && joined.size() == (joined.contains(server_name_) ? 1u : 0u)) return;
  std::set<std::string, std::less<>> servers;
  for (const auto& [server, count] : joined) servers.emplace(server);
  // The server of a user who left, was kicked or banned hears of it; an invitee's server had
  // the invite through /invite (remote_memberships.h), and is not in the room.
  if (member_event) {
    const json::value* content = event.pdu.if_contains("content");
    const bool invite =
        content && content->is_object() && string_field(content->get_object(), "membership") == "invite";
    if (!invite) servers.emplace(server_of_user(*event.row.state_key));
  }
  servers.erase(server_name_);
  servers.erase("");
  // The room's server ACL holds outgoing too: a denied server is sent none of the room.
  const json::object* acl = written.room.content("m.room.server_acl", "");
  std::erase_if(servers, [&](const std::string& server) { return !rooms::server_allowed_by_acl(acl, server); });
  if (servers.empty()) return;
  if (waiting_.size() >= kMaxQueuedPdus) waiting_.pop_front();  // as a destination's queue drops them
  waiting_.push_back({{servers.begin(), servers.end()}, event.pdu, written.room.rules});
  sign_waiting();
}

void FederationSender::sign_waiting() {
  if (signing_ || waiting_.empty()) return;
  signing_ = true;
  auto batch = std::make_shared<std::deque<Unsigned>>(std::exchange(waiting_, {}));
  // The worker touches only the batch; the key is immutable.
  scheduler_.run_blocking(
      [batch, server = server_name_, &key = key_] {
        for (Unsigned& event : *batch) rooms::sign_own_event(event.pdu, *event.rules, server, key);
      },
      [this, batch] {
        for (const Unsigned& event : *batch) send_pdu(event.destinations, event.pdu);
        signing_ = false;  // only now: an event written while these were sent comes after them
        sign_waiting();
      });
}

void FederationSender::send_pdu(const std::vector<std::string>& destinations, const json::object& pdu) {
  for (const std::string& destination : destinations) {
    Queue& queue = queues_[destination];
    push_bounded(queue.pdus, pdu, kMaxQueuedPdus, queue.in_flight_pdus);
    pump(destination);
  }
}

void FederationSender::send_edu(const std::string& destination, json::object edu) {
  Queue& queue = queues_[destination];
  push_bounded(queue.edus, std::move(edu), kMaxQueuedEdus, queue.in_flight_edus);
  pump(destination);
}

void FederationSender::send_room_edu(const RoomState& room, std::string_view edu_type, const json::object& content) {
  const json::object* acl = room.content("m.room.server_acl", "");
  for (const auto& [server, members] : room.joined_servers)
    if (server != server_name_ && rooms::server_allowed_by_acl(acl, server))
      send_edu(server, json::object{{"edu_type", edu_type}, {"content", content}});
}

void FederationSender::heard_from(const std::string& destination) {
  const auto it = queues_.find(destination);
  if (it == queues_.end() || !it->second.retry) return;
  it->second.retry.reset();
  it->second.failures = 0;
  pump(destination);
}

std::size_t FederationSender::queued(const std::string& destination) const {
  const auto it = queues_.find(destination);
  return it == queues_.end() ? 0 : it->second.pdus.size() + it->second.edus.size();
}

void FederationSender::pump(const std::string& destination) {
  Queue& queue = queues_.at(destination);
  if (queue.sending || queue.retry) return;
  if (queue.pdus.empty() && queue.edus.empty()) {
    queues_.erase(destination);
    return;
  }
  if (queue.txn_id.empty()) {  // a new transaction; a retried one keeps its ID and contents
    queue.txn_id = std::to_string(started_ms_) + "_" + std::to_string(next_txn_++);
    queue.in_flight_pdus = std::min(queue.pdus.size(), kMaxPdusPerTransaction);
    queue.in_flight_edus = std::min(queue.edus.size(), kMaxEdusPerTransaction);
  }
  json::array pdus, edus;
  for (std::size_t i = 0; i < queue.in_flight_pdus; ++i) pdus.push_back(queue.pdus[i]);
  for (std::size_t i = 0; i < queue.in_flight_edus; ++i) edus.push_back(queue.edus[i]);
  OutgoingRequest request;
  request.destination = destination;
  request.method = "PUT";
  request.target = "/_matrix/federation/v1/send/" + queue.txn_id;
  request.body = json::object{{"origin", server_name_},
                              {"origin_server_ts", core::now_ms()},
                              {"pdus", std::move(pdus)},
                              {"edus", std::move(edus)}};
  queue.sending = true;
  transport_.send(std::move(request),
                  [this, destination](IncomingResponse response) { finish(destination, response); });
}

void FederationSender::finish(const std::string& destination, const IncomingResponse& response) {
  Queue& queue = queues_.at(destination);
  queue.sending = false;
  if (retryable(response.status)) {
    ++queue.failures;
    const auto wait = backoff(queue.failures);
    spdlog::info("federation: {} did not take transaction {} ({}{}); again in {} s", destination, queue.txn_id,
                 response.status, response.error.empty() ? "" : ", " + response.error, wait.count() / 1000);
    queue.retry = scheduler_.after(wait, [this, destination] {
      queues_.at(destination).retry.reset();
      pump(destination);
    });
    return;
  }
  if (response.status != 200) {
    spdlog::warn("federation: {} refused transaction {} with {}", destination, queue.txn_id, response.status);
  }
  queue.failures = 0;
  queue.pdus.erase(queue.pdus.begin(), queue.pdus.begin() + static_cast<long>(queue.in_flight_pdus));
  queue.edus.erase(queue.edus.begin(), queue.edus.begin() + static_cast<long>(queue.in_flight_edus));
  queue.in_flight_pdus = queue.in_flight_edus = 0;
  queue.txn_id.clear();
  pump(destination);
}

}  // namespace myelin::homeserver
