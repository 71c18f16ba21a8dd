#include "homeserver/push/push_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "http/client.h"

namespace myelin::homeserver {
namespace {

std::string url_of(const storage::PusherRecord& pusher) {
  auto data = core::parse_json_object(pusher.data);
  const json::value* url = data ? data->if_contains("url") : nullptr;
  return url && url->is_string() ? std::string(url->get_string()) : std::string();
}

PushSender::Transport fetch_transport(const PushOptions& config, http::Scheduler& scheduler) {
  return [&config, &scheduler](const std::string& url, std::string body, std::function<void(GatewayAnswer)> done) {
    http::FetchOptions options;
    const std::string allowlist = config.gateway_ip_allowlist;
    options.may_connect = [allowlist](const std::string& ip) { return http::is_allowed_address(ip, allowlist); };
    options.method = "POST";
    options.body = std::move(body);
    options.ca_file = config.gateway_ca_file;
    options.max_redirects = 0;
    options.max_body_bytes = 64 << 10;
    options.timeout = std::chrono::seconds(5);
    http::fetch_waiting(scheduler, url, std::move(options), std::move(done));
  };
}

}  // namespace

PushSender::PushSender(const PushOptions& config, http::Scheduler& scheduler, Current current, Rejected rejected)
    : PushSender(scheduler, fetch_transport(config, scheduler), std::move(current), std::move(rejected)) {}

std::chrono::milliseconds PushSender::backoff(int failures) {
  return std::chrono::milliseconds(1000LL << std::clamp(failures - 1, 0, 6));
}

std::vector<std::string> PushSender::rejected_pushkeys(const std::string& body) {
  std::vector<std::string> out;
  auto answer = core::parse_json_object(body);
  const json::value* rejected = answer ? answer->if_contains("rejected") : nullptr;
  if (!rejected || !rejected->is_array()) return out;
  for (const auto& key : rejected->get_array())
    if (key.is_string()) out.emplace_back(key.get_string());
  return out;
}

std::size_t PushSender::queued() const {
  std::size_t total = 0;
  for (const auto& [key, queue] : queues_) total += queue.bodies.size();
  return total;
}

void PushSender::send(const storage::PusherRecord& pusher, const json::object& body) {
  const std::string key = pusher.user_id + '\n' + pusher.app_id + '\n' + pusher.pushkey;
  Queue& queue = queues_[key];
  queue.pusher = pusher;
  // Full: the oldest waiting push goes (not the front, which is in flight or being retried).
  if (queue.bodies.size() >= kQueueBound) queue.bodies.erase(queue.bodies.begin() + 1);
  queue.bodies.push_back(core::to_string(body));
  if (!queue.busy) {
    queue.busy = true;
    ready_.push_back(key);
    pump();
  }
}

void PushSender::pump() {
  while (in_flight_ < kInFlight && !ready_.empty()) {
    std::string key = std::move(ready_.front());
    ready_.pop_front();
    start(key);
  }
}

void PushSender::start(const std::string& key) {
  auto it = queues_.find(key);
  if (it == queues_.end() || it->second.bodies.empty()) return;
  std::optional<storage::PusherRecord> current = current_(it->second.pusher);
  if (!current) {
    queues_.erase(it);
    return;
  }
  it->second.pusher = std::move(*current);
  ++in_flight_;
  transport_(url_of(it->second.pusher), it->second.bodies.front(), [this, key](GatewayAnswer answer) {
    --in_flight_;
    finish(key, answer);
    pump();
  });
}

void PushSender::finish(const std::string& key, const GatewayAnswer& answer) {
  auto it = queues_.find(key);
  if (it == queues_.end()) return;
  Queue& queue = it->second;
  const bool retry = answer.status == 0 || answer.status == 429 || answer.status >= 500;
  if (retry && ++queue.failures < kMaxAttempts) {
    spdlog::debug("push gateway of {} failed ({}), retrying", queue.pusher.app_id, answer.status);
    queue.retry = scheduler_.after(backoff(queue.failures), [this, key] {
      ready_.push_back(key);
      pump();
    });
    if (queue.retry) return;
  }
  if (retry || answer.status >= 300)
    spdlog::info("push to the gateway of {} dropped ({})", queue.pusher.app_id, answer.status);
  queue.bodies.pop_front();
  queue.failures = 0;
  if (answer.status >= 200 && answer.status < 300) {
    const auto rejected = rejected_pushkeys(answer.body);
    if (std::find(rejected.begin(), rejected.end(), queue.pusher.pushkey) != rejected.end()) {
      const storage::PusherRecord pusher = queue.pusher;
      queues_.erase(it);
      rejected_(pusher);
      return;
    }
  }
  if (queue.bodies.empty()) {
    queues_.erase(it);
  } else {
    ready_.push_back(key);
  }
}

}  // namespace myelin::homeserver
