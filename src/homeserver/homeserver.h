#pragma once
// The homeserver's behaviour (layer L3), wired together: one object per concern, each given
// only the collaborators it uses. Built once by app/ and handed to the API layer.
#include "core/crypto.h"
#include "homeserver/accounts.h"
#include "homeserver/config.h"
#include "homeserver/notifier.h"
#include "homeserver/presence.h"
#include "homeserver/room_service.h"
#include "homeserver/sync.h"
#include "homeserver/timeline.h"
#include "homeserver/typing.h"
#include "homeserver/uia.h"
#include "http/http.h"
#include "storage/store.h"

namespace myelin::homeserver {

struct Homeserver {
  Homeserver(const Config& config, storage::Store& store, const core::SigningKey& key,
             http::Scheduler& scheduler)
      : config(config),
        store(store),
        key(key),
        scheduler(scheduler),
        notifier(scheduler),
        accounts(config, store),
        timeline(config, store, key, notifier),
        rooms(timeline),
        typing(timeline, notifier, scheduler),
        presence(config, timeline, notifier),
        sync(timeline, typing, presence, notifier, scheduler) {}

  const Config& config;
  storage::Store& store;
  const core::SigningKey& key;
  http::Scheduler& scheduler;
  Notifier notifier;
  Accounts accounts;
  Timeline timeline;
  RoomService rooms;
  Typing typing;
  Presence presence;
  SyncService sync;
  Uia uia;
};

}  // namespace myelin::homeserver
