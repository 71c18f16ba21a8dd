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
  // Answers the oldest request not yet answered.
  void answer(int status, std::string body = "{}") {
    auto done = std::move(sent.at(answered++).done);
    done({status, std::move(body), ""});
  }
  const json::object& body(std::size_t i) const { return sent.at(i).request.body->as_object(); }
  std::vector<Sent> sent;
  std::size_t answered = 0;
};

}  // namespace myelin::homeserver
