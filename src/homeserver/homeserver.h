#pragma once
// The homeserver's behaviour (layer L3), wired together: one object per concern, each given
// only the collaborators it uses. Built once by app/ and handed to the API layer. Room events
// are written only through `write_path` (persist → apply → announce); what reacts to them
// subscribes here, in order: the notifier (wakes syncs), then guest removal (which may send).
#include "core/crypto.h"
#include "homeserver/accounts/account_data.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/config.h"
#include "homeserver/options.h"
#include "homeserver/e2ee/device_lists.h"
#include "homeserver/e2ee/key_backup.h"
#include "homeserver/e2ee/keys.h"
#include "homeserver/media/media.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/sync/presence.h"
#include "homeserver/membership/guest_removal.h"
#include "homeserver/membership/profiles.h"
#include "homeserver/membership/room_service.h"
#include "homeserver/membership/user_directory.h"
#include "homeserver/sync/ephemeral.h"
#include "homeserver/sync/sync.h"
#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/event_sender.h"
#include "homeserver/timeline/filters.h"
#include "homeserver/timeline/room_reader.h"
#include "homeserver/timeline/timeline.h"
#include "homeserver/timeline/write_path.h"
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
        room_cache(store),
        event_builder(options.timeline, store, key),
        write_path(store, room_cache),
        timeline(store, room_cache, event_builder, write_path),
        room_reader(timeline, store, store, store),
        event_sender(timeline, store),
        filters(options.timeline, store),
        device_lists(store, store, room_cache, notifier),
        accounts(options.accounts, store, [this](const std::string& user_id) { device_lists.announce(user_id); }),
        account_data(options.accounts, store, [this](const std::string& user_id) { notifier.notify_user(user_id); }),
        keys(options.e2ee, store, store, device_lists),
        to_device(options.e2ee, store, store, notifier),
        key_backup(options.e2ee, store),
        media(options.media, store, content, scheduler),
        url_previews(options.url_previews, scheduler),
        rooms(options.membership, options.push, store, store, store, store, room_cache, event_builder, write_path,
              timeline),
        profiles(options.membership, store, store, rooms),
        user_directory(timeline, store),
        guest_removal(store, timeline),
        typing(store, room_cache, notifier, scheduler),
        ephemeral(timeline, store, store, typing, notifier),
        presence(options.presence, store, store, room_cache, notifier),
        sync(store, store, store, room_cache, typing, presence, notifier, scheduler, device_lists, keys, to_device) {
    write_path.subscribe([this](const Written& written) { notifier.on_written(written); });
    write_path.subscribe([this](const Written& written) { guest_removal.on_written(written); });
  }

  const Config& config;        // the client API's settings (homeserver/config.h)
  const DomainOptions options;
  storage::Store& store;
  const core::SigningKey& key;
  http::Scheduler& scheduler;
  Notifier notifier;
  RoomCache room_cache;
  EventBuilder event_builder;
  WritePath write_path;
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
  GuestRemoval guest_removal;
  Typing typing;
  Ephemeral ephemeral;
  Presence presence;
  SyncService sync;
  Uia uia;
};

}  // namespace myelin::homeserver
