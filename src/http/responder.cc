// Responder: one answer per request, enforced here rather than by every handler.
#include <spdlog/spdlog.h>

#include "http/http.h"

namespace myelin::http {

struct Responder::State {
  Sink sink;
  Response fallback;
  bool answered = false;

  State(Sink s, Response f) : sink(std::move(s)), fallback(std::move(f)) {}
  ~State() {
    if (answered) return;
    spdlog::error("a request was left unanswered; it gets status {}", fallback.status);
    try {
      sink(std::move(fallback));
    } catch (const std::exception& e) {
      spdlog::error("answering an unanswered request failed: {}", e.what());
    }
  }
};

Responder::Responder(Sink sink, Response fallback)
    : state_(std::make_shared<State>(std::move(sink), std::move(fallback))) {}

void Responder::operator()(Response response) const {
  if (!state_) return;  // moved from
  if (state_->answered) {
    spdlog::warn("a request was answered twice; the second answer (status {}) is dropped", response.status);
    return;
  }
  state_->answered = true;
  state_->sink(std::move(response));
}

}  // namespace myelin::http
