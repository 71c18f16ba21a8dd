#pragma once
// The homeserver's behaviour (layer L3), wired together: one object per concern, each given
// only the collaborators it uses. Built once by app/ and handed to the API layer.
#include "core/crypto.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/accounts/credentials.h"
#include "homeserver/accounts/registration.h"
#include "homeserver/config.h"
#include "homeserver/e2ee/device_lists.h"
#include "homeserver/e2ee/key_backup.h"
#include "homeserver/e2ee/keys.h"
#include "homeserver/media/media.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/sync/presence.h"
#include "homeserver/membership/room_service.h"
#include "homeserver/moderation/reports.h"
#include "homeserver/push/push_rule_service.h"
#include "homeserver/sync/sync.h"
#include "homeserver/timeline/room_directory.h"
#include "homeserver/timeline/timeline.h"
#include "homeserver/e2ee/to_device.h"
#include "homeserver/sync/typing.h"
#include "homeserver/accounts/uia.h"
#include "homeserver/media/url_preview.h"
#include "homeserver/voip/voip.h"
#include "http/http.h"
#include "storage/store.h"

namespace myelin::homeserver {

struct Homeserver {
  Homeserver(const Config& config, storage::Store& store, const core::SigningKey& key,
             http::Scheduler& scheduler, media::ContentStore& content)
      : config(config),
        store(store),
        key(key),
        scheduler(scheduler),
        notifier(scheduler),
        timeline(config, store, key, notifier),
        device_lists(timeline, notifier),
        accounts(
            config, store, [this](const std::string& user_id) { device_lists.announce(user_id); },
            [this](const std::string& user_id) { rooms.leave_all(user_id); }),
        keys(config, store, device_lists),
        to_device(config, store, notifier),
        key_backup(config, store),
        media(config, store, content, scheduler),
        url_previews(config, scheduler),
        rooms(timeline),
        typing(timeline, notifier, scheduler),
        presence(config, timeline, notifier),
        sync(timeline, typing, presence, notifier, scheduler, device_lists, keys, to_device),
        registration(config, store, accounts, uia, scheduler),
        credentials(config, accounts, uia, scheduler,
                    [this](const std::string& user_id, const std::string& device_id) {
                      return keys.is_cross_signing_key(user_id, device_id);
                    }),
        directory(config, store, timeline),
        push_rules(config, store, [this](const std::string& user_id) { notifier.notify_user(user_id); }),
        reports(config, store, timeline),
        voip(config) {}

  const Config& config;
  storage::Store& store;
  const core::SigningKey& key;
  http::Scheduler& scheduler;
  Notifier notifier;
  Timeline timeline;
  DeviceLists device_lists;
  Accounts accounts;
  Keys keys;
  ToDevice to_device;
  KeyBackup key_backup;
  MediaRepository media;
  UrlPreviews url_previews;
  RoomService rooms;
  Typing typing;
  Presence presence;
  SyncService sync;
  Uia uia;
  Registration registration;
  Credentials credentials;
  RoomDirectory directory;
  PushRuleService push_rules;
  Reports reports;
  Voip voip;
};

}  // namespace myelin::homeserver
