#pragma once
// Profiles of other servers' users (client-server-api GET /profile/{userId} for a remote user),
// asked of their server (GET /_matrix/federation/v1/query/profile) and kept for kCacheMs, at
// most kMaxCached of them; concurrent lookups of one user share one request.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/ids.h"
#include "homeserver/federation/options.h"
#include "homeserver/federation/transport.h"
#include "homeserver/membership/profiles.h"

namespace myelin::homeserver {

class RemoteProfiles {
 public:
  RemoteProfiles(const FederationOptions& options, Transport& transport) : options_(options), transport_(transport) {}

  // M_NOT_FOUND when the server has no such profile (or will not say) and while federation is
  // disabled, 502 M_UNKNOWN when it did not answer or answered something else.
  void lookup(const core::UserId& user_id, Profiles::Done done);

  static constexpr std::int64_t kCacheMs = 60'000;
  static constexpr std::size_t kMaxCached = 10'000;

 private:
  struct Cached {
    core::Result<Profile> profile;
    std::int64_t fetched_at = 0;
  };
  void finish(const std::string& user_id, const IncomingResponse& response);

  const FederationOptions& options_;
  Transport& transport_;
  std::map<std::string, Cached> cache_;
  std::map<std::string, std::vector<Profiles::Done>> waiting_;
};

}  // namespace myelin::homeserver
