#include "core/error.h"

#include <array>
#include <utility>

namespace myelin::core {
namespace {

struct ErrcInfo {
  Errc code;
  std::string_view errcode;
  int status;
};

// One row per Errc, in declaration order (checked by the static_assert below).
constexpr std::array kErrcTable = {
    ErrcInfo{Errc::kForbidden, "M_FORBIDDEN", 403},
    ErrcInfo{Errc::kUnknownToken, "M_UNKNOWN_TOKEN", 401},
    ErrcInfo{Errc::kMissingToken, "M_MISSING_TOKEN", 401},
    ErrcInfo{Errc::kBadJson, "M_BAD_JSON", 400},
    ErrcInfo{Errc::kNotJson, "M_NOT_JSON", 400},
    ErrcInfo{Errc::kNotFound, "M_NOT_FOUND", 404},
    ErrcInfo{Errc::kLimitExceeded, "M_LIMIT_EXCEEDED", 429},
    ErrcInfo{Errc::kUnrecognized, "M_UNRECOGNIZED", 404},
    ErrcInfo{Errc::kUnknown, "M_UNKNOWN", 400},
    ErrcInfo{Errc::kUnauthorized, "M_UNAUTHORIZED", 401},
    ErrcInfo{Errc::kUserDeactivated, "M_USER_DEACTIVATED", 403},
    ErrcInfo{Errc::kUserInUse, "M_USER_IN_USE", 400},
    ErrcInfo{Errc::kInvalidUsername, "M_INVALID_USERNAME", 400},
    ErrcInfo{Errc::kRoomInUse, "M_ROOM_IN_USE", 400},
    ErrcInfo{Errc::kInvalidRoomState, "M_INVALID_ROOM_STATE", 400},
    ErrcInfo{Errc::kUnsupportedRoomVersion, "M_UNSUPPORTED_ROOM_VERSION", 400},
    ErrcInfo{Errc::kIncompatibleRoomVersion, "M_INCOMPATIBLE_ROOM_VERSION", 400},
    ErrcInfo{Errc::kBadState, "M_BAD_STATE", 400},
    ErrcInfo{Errc::kGuestAccessForbidden, "M_GUEST_ACCESS_FORBIDDEN", 403},
    ErrcInfo{Errc::kMissingParam, "M_MISSING_PARAM", 400},
    ErrcInfo{Errc::kInvalidParam, "M_INVALID_PARAM", 400},
    ErrcInfo{Errc::kTooLarge, "M_TOO_LARGE", 413},
    ErrcInfo{Errc::kExclusive, "M_EXCLUSIVE", 400},
    ErrcInfo{Errc::kThreepidDenied, "M_THREEPID_DENIED", 403},
    ErrcInfo{Errc::kServerNotTrusted, "M_SERVER_NOT_TRUSTED", 401},
    ErrcInfo{Errc::kWeakPassword, "M_WEAK_PASSWORD", 400},
    ErrcInfo{Errc::kUnableToAuthoriseJoin, "M_UNABLE_TO_AUTHORISE_JOIN", 400},
    ErrcInfo{Errc::kCannotLeaveServerNoticeRoom, "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM", 403},
    ErrcInfo{Errc::kResourceLimitExceeded, "M_RESOURCE_LIMIT_EXCEEDED", 403},
    ErrcInfo{Errc::kBadAlias, "M_BAD_ALIAS", 400},
    ErrcInfo{Errc::kInvalidSignature, "M_INVALID_SIGNATURE", 400},
    ErrcInfo{Errc::kWrongRoomKeysVersion, "M_WRONG_ROOM_KEYS_VERSION", 403},
    ErrcInfo{Errc::kNotYetUploaded, "M_NOT_YET_UPLOADED", 504},
    ErrcInfo{Errc::kCannotOverwriteMedia, "M_CANNOT_OVERWRITE_MEDIA", 409},
    ErrcInfo{Errc::kDuplicateAnnotation, "M_DUPLICATE_ANNOTATION", 400},
    ErrcInfo{Errc::kInternal, "M_UNKNOWN", 500},
};

constexpr bool table_in_order() {
  for (std::size_t i = 0; i < kErrcTable.size(); ++i) {
    if (static_cast<std::size_t>(kErrcTable[i].code) != i) return false;
  }
  return kErrcTable.back().code == Errc::kInternal;
}
static_assert(table_in_order(), "kErrcTable must list every Errc in declaration order");

}  // namespace

Error make_error(Errc code, std::string message, int status) {
  const ErrcInfo& info = kErrcTable[static_cast<std::size_t>(code)];
  Error error;
  error.http_status = status != 0 ? status : info.status;
  error.errcode = std::string(info.errcode);
  error.message = std::move(message);
  return error;
}

boost::json::object Error::to_json() const {
  boost::json::object body;
  body["errcode"] = errcode;
  body["error"] = message;
  for (const auto& [key, value] : extra) {
    if (key != "errcode" && key != "error") body[key] = value;
  }
  return body;
}

Status within_limit(std::int64_t wanted, std::int64_t limit, std::string_view what) {
  if (wanted <= limit) return {};
  return fail(Errc::kForbidden, "Too many " + std::string(what) + ", at most " + std::to_string(limit));
}

}  // namespace myelin::core
