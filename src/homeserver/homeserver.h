#pragma once
// The homeserver's behaviour (layer L3), wired together: one object per concern, each given
// only the collaborators it uses. Built once by app/ and handed to the API layer.
#include "core/crypto.h"
#include "homeserver/accounts/account_data.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/config.h"
#include "homeserver/e2ee/device_lists.h"
#include "homeserver/e2ee/key_backup.h"
#include "homeserver/e2ee/keys.h"
#include "homeserver/media/media.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/sync/presence.h"
#include "homeserver/membership/profiles.h"
#include "homeserver/membership/room_service.h"
#include "homeserver/membership/user_directory.h"
#include "homeserver/sync/ephemeral.h"
#include "homeserver/sync/sync.h"
#include "homeserver/timeline/event_sender.h"
#include "homeserver/timeline/filters.h"
#include "homeserver/timeline/room_reader.h"
#include "homeserver/timeline/timeline.h"
#include "homeserver/e2ee/to_device.h"
#include "homeserver/sync/typing.h"
#include "homeserver/accounts/uia.h"
#include "homeserver/media/url_preview.h"
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
        room_reader(timeline, store),
        event_sender(timeline, store),
        filters(config, store),
        device_lists(timeline, notifier),
        accounts(config, store, [this](const std::string& user_id) { device_lists.announce(user_id); }),
        account_data(config, store, [this](const std::string& user_id) { notifier.notify_user(user_id); }),
        keys(config, store, device_lists),
        to_device(config, store, notifier),
        key_backup(config, store),
        media(config, store, content, scheduler),
        url_previews(config, scheduler),
        rooms(timeline),
        profiles(config, store, rooms),
        user_directory(timeline, store),
        typing(timeline, notifier, scheduler),
        ephemeral(timeline, store, typing, notifier),
        presence(config, store, timeline, notifier),
        sync(timeline, typing, presence, notifier, scheduler, device_lists, keys, to_device) {}

  const Config& config;
  storage::Store& store;
  const core::SigningKey& key;
  http::Scheduler& scheduler;
  Notifier notifier;
  Timeline timeline;
  RoomReader room_reader;
  EventSender event_sender;
  Filters filters;
  DeviceLists device_lists;
  Accounts accounts;
  AccountData account_data;
  Keys keys;
  ToDevice to_device;
  KeyBackup key_backup;
  MediaRepository media;
  UrlPreviews url_previews;
  RoomService rooms;
  Profiles profiles;
  UserDirectory user_directory;
  Typing typing;
  Ephemeral ephemeral;
  Presence presence;
  SyncService sync;
  Uia uia;
};

}  // namespace myelin::homeserver
