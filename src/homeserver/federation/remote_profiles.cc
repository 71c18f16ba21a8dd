#include "homeserver/federation/remote_profiles.h"

#include "core/clock.h"
#include "http/http.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

// The answer's profile: its string fields within the lengths we keep ourselves.
core::Result<Profile> parse_profile(const IncomingResponse& response) {
  if (response.status == 404) return core::fail(Errc::kNotFound, "Profile not found");
  if (response.status != 200) return core::fail(Errc::kUnknown, "The user's server did not answer", 502);
  auto body = core::parse_json_object(response.body);
  if (!body) return core::fail(Errc::kUnknown, "The user's server answered no profile", 502);
  Profile profile;
  auto field = [&body](std::string_view key, std::size_t max) {
    const json::value* value = body->if_contains(key);
    return value && value->is_string() && value->get_string().size() <= max ? std::string(value->get_string())
                                                                            : std::string();
  };
  profile.displayname = field("displayname", kMaxDisplaynameBytes);
  profile.avatar_url = field("avatar_url", kMaxAvatarUrlBytes);
  return profile;
}

}  // namespace

void RemoteProfiles::lookup(const core::UserId& user_id, Profiles::Done done) {
  if (!options_.enabled) return done(core::fail(Errc::kNotFound, "Profile not found"));
  const std::int64_t now = core::now_ms();
  if (auto it = cache_.find(user_id); it != cache_.end()) {
    if (now - it->second.fetched_at < kCacheMs) return done(it->second.profile);
    cache_.erase(it);
  }
  auto& waiting = waiting_[user_id];
  waiting.push_back(std::move(done));
  if (waiting.size() > 1) return;
  OutgoingRequest request{std::string(user_id.server()),
                          "GET",
                          "/_matrix/federation/v1/query/profile?user_id=" + http::percent_encode(user_id.str()),
                          std::nullopt,
                          true,
                          64 * 1024,
                          std::chrono::seconds(10)};
  transport_.send(std::move(request), [this, id = user_id.str()](IncomingResponse response) { finish(id, response); });
}

void RemoteProfiles::finish(const std::string& user_id, const IncomingResponse& response) {
  core::Result<Profile> profile = parse_profile(response);
  // A server that did not answer is asked again next time; its answers are kept a while.
  if (profile || profile.error().http_status == 404) {
    if (cache_.size() >= kMaxCached) cache_.erase(cache_.begin());
    cache_.insert_or_assign(user_id, Cached{profile, core::now_ms()});
  }
  auto waiting = std::move(waiting_[user_id]);
  waiting_.erase(user_id);
  for (auto& done : waiting) done(profile);
}

}  // namespace myelin::homeserver
