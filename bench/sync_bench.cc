// sync_bench: what wrk cannot measure. N members of a room each hold a long-polling /sync open
// (one connection each, N up to thousands); one sender then sends messages into the room, one
// at a time, and for each the tool takes the time to each sync's answer that carries the
// message, from the moment the send request is written ("write") and from the send's answer
// ("answer"; negative when a sync is answered before the sender). Printed as one JSON line:
// for each origin the first and the last sync answer per message (p50/p99 over the messages)
// and every answer pooled (p50/p99/max); and the send's own time. With one member this is the
// /sync wake-up latency.
//
//   sync_bench --port P --room ROOM_ID --sender TOKEN --members FILE (one access token a line)
//              [--messages K] [--pause-ms MS] [--address 127.0.0.1] [--server-pid PID]
//
// With --server-pid the line also has server_cpu_ms: the server's utime+stime over the messages
// (the initial syncs left out), from /proc/PID/stat.
//
// Before each message every sync is parked and the tool waits --pause-ms so that the server
// has them all waiting. A sync answered without the message (another event woke it) is parked
// again and counted as "spurious".
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "http_connection.h"

namespace myelin::bench {
namespace {

struct Options {
  std::string address = "127.0.0.1";
  int port = 0;
  std::string room, sender;
  std::vector<std::string> members;
  int messages = 5;
  int pause_ms = 50;
  int server_pid = 0;
};

// Lazy-loaded members and a one-event timeline, as clients ask in large rooms: the answers
// stay small, so the figure is about waking the syncs, not about serialising room state.
constexpr std::string_view kFilter = R"({"room":{"timeline":{"limit":1},"state":{"lazy_load_members":true}}})";
constexpr int kMessageTimeoutMs = 30000;

std::string percent_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// next_batch of a sync answer (an opaque token: it never needs JSON unescaping in myelin).
std::string next_batch(const std::string& body) {
  constexpr std::string_view key = R"("next_batch":")";
  std::size_t at = body.find(key);
  std::size_t end = at == std::string::npos ? at : body.find('"', at + key.size());
  if (end == std::string::npos) throw std::runtime_error("a sync answer without next_batch: " + body.substr(0, 200));
  return body.substr(at + key.size(), end - at - key.size());
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// Nearest-rank percentile of an unsorted sample.
double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

class FanOut {
 public:
  explicit FanOut(const Options& options) : options_(options), sender_(options.address, options.port) {
    poller_.add(sender_, 0);
    for (std::size_t i = 0; i < options.members.size(); ++i) {
      Member member;
      member.connection = std::make_unique<Connection>(options.address, options.port);
      member.token = options.members[i];
      members_.push_back(std::move(member));
      poller_.add(*members_.back().connection, static_cast<int>(i) + 1);
    }
  }

  // Every member's first sync (timeout 0), for its since token.
  void initial_syncs() {
    for (std::size_t i = 0; i < members_.size(); ++i) send_sync(i, "timeout=0");
    pump(Clock::now() + std::chrono::milliseconds(kMessageTimeoutMs), [&] { return idle(); });
    if (!idle()) throw std::runtime_error("initial syncs timed out");
  }

  void message(int index) {
    marker_ = "fanout-" + run_ + "-" + std::to_string(index);
    for (auto& member : members_) member.seen = false;
    for (std::size_t i = 0; i < members_.size(); ++i) park(i);
    pump(Clock::now() + std::chrono::milliseconds(options_.pause_ms), [] { return false; });
    waiting_ = true;
    std::string body = R"({"msgtype":"m.text","body":")" + marker_ + R"("})";
    sender_answered_ = false;
    sent_ = Clock::now();
    sender_.send(http_request(
        "PUT", "/_matrix/client/v3/rooms/" + percent_encoded(options_.room) + "/send/m.room.message/" + marker_,
        options_.sender, body));
    poller_.update(sender_, 0);
    auto all_seen = [&] {
      return sender_answered_ && std::all_of(members_.begin(), members_.end(), [](auto& m) { return m.seen; });
    };
    pump(sent_ + std::chrono::milliseconds(kMessageTimeoutMs), all_seen);
    if (!all_seen()) throw std::runtime_error("a message did not reach every sync in time");
    waiting_ = false;
    from_write_.add(sent_, members_);
    from_answer_.add(send_answered_, members_);
  }

  void print(double server_cpu_ms) const {
    std::printf(
        "{\"members\":%zu,\"messages\":%zu,\"write\":%s,\"answer\":%s,\"send_p50\":%.3f,\"send_p99\":%.3f,"
        "\"spurious\":%d,\"server_cpu_ms\":%.0f}\n",
        members_.size(), from_write_.first.size(), from_write_.json().c_str(), from_answer_.json().c_str(),
        percentile(send_, 50), percentile(send_, 99), spurious_, server_cpu_ms);
  }

 private:
  struct Member {
    std::unique_ptr<Connection> connection;
    std::string token, since;
    bool seen = false;
    Clock::time_point arrived;
  };

  // Sync answer times after one origin: per message the first and the last, and every one.
  struct Series {
    std::vector<double> first, last, each;

    void add(Clock::time_point origin, const std::vector<Member>& members) {
      double earliest = 1e300, latest = -1e300;
      for (auto& member : members) {
        double ms = ms_between(origin, member.arrived);
        earliest = std::min(earliest, ms);
        latest = std::max(latest, ms);
        each.push_back(ms);
      }
      first.push_back(earliest);
      last.push_back(latest);
    }

    std::string json() const {
      char out[512];
      std::snprintf(out, sizeof out,
                    "{\"first_p50\":%.3f,\"first_p99\":%.3f,\"last_p50\":%.3f,\"last_p99\":%.3f,\"each_p50\":%.3f,"
                    "\"each_p99\":%.3f,\"each_max\":%.3f}",
                    percentile(first, 50), percentile(first, 99), percentile(last, 50), percentile(last, 99),
                    percentile(each, 50), percentile(each, 99), percentile(each, 100));
      return out;
    }
  };

  bool idle() const {
    return std::none_of(members_.begin(), members_.end(), [](auto& m) { return m.connection->busy(); });
  }

  void send_sync(std::size_t i, const std::string& query) {
    auto& member = members_[i];
    std::string target = "/_matrix/client/v3/sync?" + query + "&filter=" + percent_encoded(kFilter);
    member.connection->send(http_request("GET", target, member.token));
    poller_.update(*member.connection, static_cast<int>(i) + 1);
  }

  void park(std::size_t i) { send_sync(i, "timeout=60000&since=" + percent_encoded(members_[i].since)); }

  // Runs the event loop until `done()` or the deadline.
  template <typename Done>
  void pump(Clock::time_point deadline, Done done) {
    while (!done()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return;
      for (int index : poller_.wait(static_cast<int>(std::min<long>(left, 1000)))) {
        Connection& connection = index == 0 ? sender_ : *members_[index - 1].connection;
        auto response = connection.on_ready();
        poller_.update(connection, index);
        if (response) answered(index, *response);
      }
    }
  }

  void answered(int index, const Response& response) {
    if (response.status != 200)
      throw std::runtime_error("HTTP " + std::to_string(response.status) + ": " + response.body.substr(0, 300));
    if (index == 0) {
      sender_answered_ = true;
      send_answered_ = response.arrived;
      send_.push_back(ms_between(sent_, response.arrived));
      return;
    }
    auto i = static_cast<std::size_t>(index - 1);
    auto& member = members_[i];
    member.since = next_batch(response.body);
    if (marker_.empty()) return;  // an initial sync
    if (waiting_ && response.body.find(marker_ + '"') != std::string::npos) {
      member.seen = true;
      member.arrived = response.arrived;
      return;
    }
    ++spurious_;
    park(i);
  }

  const Options& options_;
  Poller poller_;
  Connection sender_;
  std::vector<Member> members_;
  // The run's mark in transaction IDs and bodies: unique per run, as a txnId must be per device.
  const std::string run_ = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  std::string marker_;
  bool waiting_ = false, sender_answered_ = false;
  Clock::time_point sent_, send_answered_;
  Series from_write_, from_answer_;
  std::vector<double> send_;
  int spurious_ = 0;
};

Options parse(int argc, char** argv) {
  Options options;
  std::string members_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view name = argv[i];
    std::string value = argv[i + 1];
    if (name == "--address") options.address = value;
    else if (name == "--port") options.port = std::stoi(value);
    else if (name == "--room") options.room = value;
    else if (name == "--sender") options.sender = value;
    else if (name == "--members") members_file = value;
    else if (name == "--messages") options.messages = std::stoi(value);
    else if (name == "--pause-ms") options.pause_ms = std::stoi(value);
    else if (name == "--server-pid") options.server_pid = std::stoi(value);
    else throw std::runtime_error("unknown option " + std::string(name));
  }
  std::ifstream file(members_file);
  for (std::string line; std::getline(file, line);)
    if (!line.empty()) options.members.push_back(line);
  if (!options.port || options.room.empty() || options.sender.empty() || options.members.empty())
    throw std::runtime_error("usage: sync_bench --port P --room ROOM --sender TOKEN --members FILE");
  return options;
}

// utime+stime of a process in milliseconds (fields 14 and 15 of /proc/PID/stat), 0 without a pid.
double cpu_ms(int pid) {
  if (!pid) return 0;
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i)
    if (i >= 14) ticks += std::stol(field);
  return 1000.0 * static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// One connection per member: lift the soft descriptor limit to the hard one.
void allow_many_connections() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace
}  // namespace myelin::bench

int main(int argc, char** argv) {
  using namespace myelin::bench;
  try {
    Options options = parse(argc, argv);
    allow_many_connections();
    FanOut fan_out(options);
    fan_out.initial_syncs();
    double cpu_before = cpu_ms(options.server_pid);
    for (int i = 0; i < options.messages; ++i) fan_out.message(i);
    fan_out.print(cpu_ms(options.server_pid) - cpu_before);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "sync_bench: %s\n", error.what());
    return 1;
  }
}
