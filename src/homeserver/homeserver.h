#pragma once
// The homeserver's behaviour (layer L3), wired together: one object per concern, each given
// only the collaborators it uses. Built once by app/ and handed to the API layer.
#include "core/crypto.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/config.h"
#include "homeserver/options.h"
#include "homeserver/e2ee/device_lists.h"
#include "homeserver/e2ee/key_backup.h"
#include "homeserver/e2ee/keys.h"
#include "homeserver/media/media.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/sync/presence.h"
#include "homeserver/membership/room_service.h"
#include "homeserver/sync/sync.h"
#include "homeserver/timeline/timeline.h"
#include "homeserver/e2ee/to_device.h"
#include "homeserver/sync/typing.h"
#include "homeserver/accounts/uia.h"
#include "homeserver/media/url_preview.h"
#include "http/http.h"
#include "storage/store.h"

namespace myelin::homeserver {

struct Homeserver {
  Homeserver(const Config& config, const DomainOptions& options, storage::Store& store,
             const core::SigningKey& key, http::Scheduler& scheduler, media::ContentStore& content)
      : config(config),
        options(options),
        store(store),
        key(key),
        scheduler(scheduler),
        notifier(scheduler),
        timeline(options.timeline, store, store, key, notifier),
        device_lists(store, store, timeline, notifier),
        accounts(options.accounts, store, [this](const std::string& user_id) { device_lists.announce(user_id); }),
        keys(options.e2ee, store, store, device_lists),
        to_device(options.e2ee, store, store, notifier),
        key_backup(options.e2ee, store),
        media(options.media, store, content, scheduler),
        url_previews(options.url_previews, scheduler),
        rooms(options.membership, options.push, store, store, store, store, timeline),
        typing(store, timeline, notifier, scheduler),
        presence(options.presence, store, timeline, notifier),
        sync(store, store, store, timeline, typing, presence, notifier, scheduler, device_lists, keys, to_device) {}

  const Config& config;        // the client API's settings (homeserver/config.h)
  const DomainOptions options;
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
};

}  // namespace myelin::homeserver
