#pragma once
// User-interactive authentication (client-server-api "User-Interactive Authentication API").
// Sessions are kept in memory for ten minutes; a session records the stages already completed.
// Bounded: a request whose body (without auth) is over 64 kB is refused (M_TOO_LARGE), and
// beyond 100,000 sessions or 16 MB of kept first requests every session is forgotten (abuse).
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace myelin::homeserver {

class Uia {
 public:
  using Flows = std::vector<std::vector<std::string>>;
  // Verifies one stage's auth dict; an error fails the stage (reported in the 401 body).
  using StageCheck = std::function<core::Status(std::string_view type, const json::object& auth)>;

  // Succeeds once the request's session has completed every stage of one flow. Otherwise the
  // error is the 401 UIA response: extra holds flows, params, session and completed; errcode
  // is empty when no stage was attempted (the spec's first response carries none).
  // A completed session cannot authorise a second operation: presenting it again starts over.
  // `operation` names what the request does (method and path), kept with a new session.
  core::Status check(const json::object& request, const Flows& flows, const StageCheck& verify,
                     std::string operation = {});
  // M_FORBIDDEN when the request names a known session that was opened for another operation
  // or with another body (without "auth"): a session authorises the one API call it began with.
  core::Status same_operation(const json::object& request, std::string_view operation) const;

  // The session named by request["auth"]["session"], or "".
  static std::string session_of(const json::object& request);
  // The body of the request that opened the session (without "auth"), so that later requests
  // of the same session may leave out what they already said (registration remembers
  // parameters); nullptr for an unknown session.
  const json::object* first_request(const std::string& session_id) const;
  // What a completed session produced (the registered user), for idempotent retries.
  std::optional<std::string> result(const std::string& session_id) const;
  void set_result(const std::string& session_id, std::string value);

 private:
  struct Session {
    std::set<std::string> completed;
    std::int64_t expires_ms = 0;
    json::object first_request;
    std::string operation;
    bool done = false;
    std::optional<std::string> result;
    std::size_t bytes = 0;  // of the first request as JSON, and the session ID
  };
  core::Error challenge(const std::string& session_id, const Flows& flows, core::Error base) const;
  std::unordered_map<std::string, Session> sessions_;
  std::size_t bytes_ = 0;  // over all sessions
};

}  // namespace myelin::homeserver
