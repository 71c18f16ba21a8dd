#pragma once
// Expected failures as values. An Error carries the Matrix errcode and the HTTP status the
// client API answers with; every layer returns Result<T> instead of throwing, and nothing
// that comes from the network throws past its parser.
#include <boost/json/object.hpp>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace myelin::core {

// The spec's error codes that myelin uses, each with its default HTTP status (one table:
// kErrcTable in error.cc).
enum class Errc {
  kForbidden,                    // M_FORBIDDEN 403
  kUnknownToken,                 // M_UNKNOWN_TOKEN 401
  kMissingToken,                 // M_MISSING_TOKEN 401
  kBadJson,                      // M_BAD_JSON 400
  kNotJson,                      // M_NOT_JSON 400
  kNotFound,                     // M_NOT_FOUND 404
  kLimitExceeded,                // M_LIMIT_EXCEEDED 429
  kUnrecognized,                 // M_UNRECOGNIZED 404 (405 for a known path with the wrong method)
  kUnknown,                      // M_UNKNOWN 400
  kUnauthorized,                 // M_UNAUTHORIZED 401
  kUserDeactivated,              // M_USER_DEACTIVATED 403
  kUserInUse,                    // M_USER_IN_USE 400
  kInvalidUsername,              // M_INVALID_USERNAME 400
  kRoomInUse,                    // M_ROOM_IN_USE 400
  kInvalidRoomState,             // M_INVALID_ROOM_STATE 400
  kUnsupportedRoomVersion,       // M_UNSUPPORTED_ROOM_VERSION 400
  kIncompatibleRoomVersion,      // M_INCOMPATIBLE_ROOM_VERSION 400
  kBadState,                     // M_BAD_STATE 400
  kGuestAccessForbidden,         // M_GUEST_ACCESS_FORBIDDEN 403
  kMissingParam,                 // M_MISSING_PARAM 400
  kInvalidParam,                 // M_INVALID_PARAM 400
  kTooLarge,                     // M_TOO_LARGE 413
  kExclusive,                    // M_EXCLUSIVE 400
  kThreepidDenied,               // M_THREEPID_DENIED 403
  kServerNotTrusted,             // M_SERVER_NOT_TRUSTED 401
  kWeakPassword,                 // M_WEAK_PASSWORD 400
  kUnableToAuthoriseJoin,        // M_UNABLE_TO_AUTHORISE_JOIN 400
  kCannotLeaveServerNoticeRoom,  // M_CANNOT_LEAVE_SERVER_NOTICE_ROOM 403
  kResourceLimitExceeded,        // M_RESOURCE_LIMIT_EXCEEDED 403
  kBadAlias,                     // M_BAD_ALIAS 400
  kInvalidSignature,             // M_INVALID_SIGNATURE 400
  kWrongRoomKeysVersion,         // M_WRONG_ROOM_KEYS_VERSION 403
  kNotYetUploaded,               // M_NOT_YET_UPLOADED 504
  kCannotOverwriteMedia,         // M_CANNOT_OVERWRITE_MEDIA 409
  kDuplicateAnnotation,          // M_DUPLICATE_ANNOTATION 400
  kInternal,                     // M_UNKNOWN 500
};

struct Error {
  int http_status = 500;
  std::string errcode;        // "M_FORBIDDEN"
  std::string message;        // human-readable, never contains secrets
  boost::json::object extra;  // extra body fields, e.g. retry_after_ms

  // The client-API body: {"errcode": ..., "error": ..., ...extra}.
  boost::json::object to_json() const;
};

// An Error with the errcode's default status; `status` overrides it when the spec asks for
// another (e.g. 405 for M_UNRECOGNIZED).
Error make_error(Errc code, std::string message, int status = 0);

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Errc code, std::string message, int status = 0) {
  return std::unexpected(make_error(code, std::move(message), status));
}

// A bound on what one user or device can make the server keep: 403 M_FORBIDDEN ("Too many
// <what>, at most <limit>") when `wanted`, the count the change would leave, is above `limit`.
Status within_limit(std::int64_t wanted, std::int64_t limit, std::string_view what);

}  // namespace myelin::core
