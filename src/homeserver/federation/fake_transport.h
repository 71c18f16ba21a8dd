#pragma once
// For tests: a Transport that records each request and answers when the test says.
#include <functional>
#include <string>
#include <vector>

#include "homeserver/federation/transport.h"

namespace myelin::homeserver {

struct FakeTransport final : Transport {
  struct Sent {
    OutgoingRequest request;
    std::function<void(IncomingResponse)> done;
  };
  void send(OutgoingRequest request, std::function<void(IncomingResponse)> done) override {
    sent.push_back({std::move(request), std::move(done)});
  }
  // Recorded as a GET with no destination and the URL as its target.
  void fetch_url(std::string url, std::size_t max_bytes, std::chrono::seconds timeout,
                 std::function<void(IncomingResponse)> done) override {
    sent.push_back(
        {OutgoingRequest{"", "GET", std::move(url), std::nullopt, false, max_bytes, timeout}, std::move(done)});
  }
  // Answers the oldest request not yet answered.
  void answer(int status, std::string body = "{}", std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto done = std::move(sent.at(answered++).done);
    done({status, std::move(body), "", std::move(headers)});
  }
  const json::object& body(std::size_t i) const { return sent.at(i).request.body->as_object(); }
  std::vector<Sent> sent;
  std::size_t answered = 0;
};

}  // namespace myelin::homeserver
