#pragma once
// Each domain's settings together, as app/ assembles them from the config file (app/config.h)
// and hands them to Homeserver, which gives every service only its own.
#include "homeserver/accounts/options.h"
#include "homeserver/e2ee/options.h"
#include "homeserver/federation/options.h"
#include "homeserver/media/options.h"
#include "homeserver/membership/options.h"
#include "homeserver/moderation/options.h"
#include "homeserver/push/options.h"
#include "homeserver/sync/options.h"
#include "homeserver/timeline/options.h"
#include "homeserver/voip/options.h"

namespace myelin::homeserver {

struct DomainOptions {
  const TimelineOptions& timeline;
  const AccountsOptions& accounts;
  const PushOptions& push;
  const VoipOptions& voip;
  const MediaOptions& media;
  const UrlPreviewOptions& url_previews;
  const E2eeOptions& e2ee;
  const MembershipOptions& membership;
  const PresenceOptions& presence;
  const ModerationOptions& moderation;
  const FederationOptions& federation;
};

}  // namespace myelin::homeserver
