#pragma once
// The homeserver's behaviour (layer L3), wired together: one object per concern, each given
// only the collaborators, store interfaces and settings it uses. Built once by app/ and handed
// to the API layer, which sees the services and nothing else (no store, no settings, no timers).
// Room events are written only through `write_path` (persist → apply → announce); what reacts
// to them subscribes here, in order: the notifier (wakes syncs), push delivery (pushes to push
// gateways), the federation sender (when federation is on), then guest removal (which may send).
#include "core/clock.h"
#include "core/crypto.h"
#include "homeserver/accounts/account_data.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/accounts/credentials.h"
#include "homeserver/accounts/identity_servers.h"
#include "homeserver/accounts/openid.h"
#include "homeserver/accounts/registration.h"
#include "homeserver/accounts/uia.h"
#include "homeserver/e2ee/device_lists.h"
#include "homeserver/e2ee/key_backup.h"
#include "homeserver/e2ee/keys.h"
#include "homeserver/e2ee/to_device.h"
#include "homeserver/federation/https_transport.h"
#include "homeserver/federation/invites.h"
#include "homeserver/federation/joins.h"
#include "homeserver/federation/key_ring.h"
#include "homeserver/federation/pdu_intake.h"
#include "homeserver/federation/queries.h"
#include "homeserver/federation/reads.h"
#include "homeserver/federation/receiver.h"
#include "homeserver/federation/remote_backfill.h"
#include "homeserver/federation/remote_directory.h"
#include "homeserver/federation/remote_joins.h"
#include "homeserver/federation/remote_keys.h"
#include "homeserver/federation/remote_media.h"
#include "homeserver/federation/remote_memberships.h"
#include "homeserver/federation/remote_profiles.h"
#include "homeserver/federation/request_auth.h"
#include "homeserver/federation/sender.h"
#include "homeserver/federation/server_keys.h"
#include "homeserver/federation/x_matrix.h"
#include "homeserver/media/media.h"
#include "homeserver/media/remote_media.h"
#include "homeserver/media/url_preview.h"
#include "homeserver/membership/guest_removal.h"
#include "homeserver/membership/profiles.h"
#include "homeserver/membership/room_service.h"
#include "homeserver/membership/user_directory.h"
#include "homeserver/moderation/reports.h"
#include "homeserver/options.h"
#include "homeserver/push/notifications.h"
#include "homeserver/push/push_delivery.h"
#include "homeserver/push/push_rule_service.h"
#include "homeserver/push/push_sender.h"
#include "homeserver/push/pushers.h"
#include "homeserver/search/room_search.h"
#include "homeserver/sync/ephemeral.h"
#include "homeserver/sync/presence.h"
#include "homeserver/sync/sync.h"
#include "homeserver/sync/typing.h"
#include "homeserver/timeline/aggregations.h"
#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/event_sender.h"
#include "homeserver/timeline/filters.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/timeline/relation_reader.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/room_directory.h"
#include "homeserver/timeline/room_reader.h"
#include "homeserver/timeline/space_hierarchy.h"
#include "homeserver/timeline/timeline.h"
#include "homeserver/timeline/write_path.h"
#include "homeserver/voip/voip.h"
#include "http/http.h"
#include "media/content_store.h"
#include "storage/store.h"

namespace myelin::homeserver {

class Homeserver {
 public:
  // `store` is every store interface at once (storage::Store); each service is handed only
  // the ones it uses.
  // `federation_client`: the outgoing HTTPS client federation's transport sends with.
  // `remote_content`: where other servers' media is cached (not `content`: the cache evicts).
  Homeserver(const DomainOptions& options, storage::Store& store, const core::SigningKey& key,
             http::Scheduler& scheduler, media::ContentStore& content, media::ContentStore& remote_content,
             http::HttpsClient& federation_client)
      : federation_(options.federation),
        notifier_(scheduler),
        room_cache_(store, options.timeline.room_cache_state_events),
        event_builder_(options.timeline, store, store, key),
        write_path_(store, room_cache_),
        timeline_(store, room_cache_, event_builder_, write_path_),
        typing_(store, room_cache_, notifier_, scheduler),
        guest_removal_(store, timeline_),
        aggregations_(store, store),
        push_sender_(
            options.push, scheduler,
            [this](const storage::PusherRecord& p) { return pushers.find(p.user_id, p.app_id, p.pushkey); },
            [this](const storage::PusherRecord& p) { pushers.remove(p.user_id, p.app_id, p.pushkey); }),
        push_delivery_(options.push, store, pushers, push_sender_,
                       [this](const std::string& user_id) { return sync.badge(user_id); }),
        federation_transport_(options.federation, key, scheduler, federation_client),
        key_ring_(options.federation, key, store, federation_transport_),
        remote_profiles_(options.federation, federation_transport_),
        remote_keys_(options.federation, federation_transport_),
        remote_media_client_(options.federation, federation_transport_),
        remote_joins_(options.timeline, store, write_path_, federation_transport_, key_ring_, key, scheduler),
        remote_memberships_(options.timeline, room_cache_, write_path_, federation_transport_, key_ring_, key),
        federation_intake_(options.federation.server_name, store, store, room_cache_, write_path_, key_ring_,
                           federation_transport_),
        remote_backfill_(options.federation.server_name, store, room_cache_, federation_transport_, key_ring_,
                         scheduler),
        room_reader(room_cache_, store, store, store, aggregations_,
                    [this](const std::string& room_id, std::function<void()> done) {
                      if (!federation_.enabled) return done();
                      remote_backfill_.backfill(room_id, std::move(done));
                    }),
        relations(room_cache_, store, store, store, aggregations_),
        event_sender(timeline_, store),
        filters(options.timeline, store),
        directory(options.timeline, store, store, timeline_),
        remote_directory(options.federation, federation_transport_),
        spaces(room_cache_, store),
        device_lists(store, store, store, store, room_cache_, notifier_,
                     [this](const std::string& user_id, const std::string& device_id, storage::StreamPos stream_id,
                            const std::set<std::string>& servers) {
                       for (const std::string& server : servers)
                         share(server, "m.device_list_update",
                               json::object{{"user_id", user_id},
                                            {"device_id", device_id},
                                            {"stream_id", stream_id},
                                            {"prev_id", json::array{}},
                                            {"deleted", false}});
                     }),
        accounts(
            options.accounts, store, [this](const std::string& user_id) { device_lists.announce(user_id); },
            [this](const core::UserId& user_id) { rooms.leave_all(user_id); }),
        account_data(options.accounts, store, [this](const std::string& user_id) { notifier_.notify_user(user_id); }),
        registration(options.accounts, store, accounts, uia_, scheduler),
        credentials(options.accounts, accounts, uia_, scheduler,
                    [this](const std::string& user_id, const std::string& device_id) {
                      return keys.is_cross_signing_key(user_id, device_id);
                    }),
        keys(options.e2ee, store, store, device_lists,
             [this](const std::string& server, std::string_view what, json::object body,
                    std::chrono::milliseconds timeout, Keys::Done done) {
               remote_keys_.request(server, what, std::move(body), timeout, std::move(done));
             }),
        to_device(options.e2ee, store, store, notifier_,
                  [this](const std::string& server, json::object content) {
                    share(server, "m.direct_to_device", std::move(content));
                  }),
        key_backup(options.e2ee, store),
        media(options.media, store, content, scheduler),
        remote_media(
            options.media, remote_content, scheduler,
            [this](const std::string& server, const std::string& media_id,
                   const std::optional<media::ThumbnailSpec>& thumbnail, std::uint64_t max_bytes,
                   RemoteMedia::FetchDone done) {
              std::optional<RemoteThumbnail> size;
              if (thumbnail)
                size = RemoteThumbnail{thumbnail->width, thumbnail->height, thumbnail->crop, thumbnail->animated};
              remote_media_client_.fetch(server, media_id, size, max_bytes,
                                         [done = std::move(done)](core::Result<RemoteMediaFile> file) {
                                           if (!file) return done(std::unexpected(file.error()));
                                           done(FetchedMedia{std::move(file->bytes), std::move(file->content_type),
                                                             std::move(file->upload_name)});
                                         });
            }),
        url_previews(options.url_previews, scheduler),
        push_rules(options.push, store, [this](const std::string& user_id) { notifier_.notify_user(user_id); }),
        pushers(options.push, store),
        notifications(store, store, room_cache_),
        rooms(
            options.membership, options.timeline, options.push, store, store, store, store, room_cache_, event_builder_,
            write_path_, timeline_,
            [this](const core::UserId& user_id, const core::RoomId& room_id, std::vector<std::string> servers,
                   json::object content, std::function<void(core::Result<std::string>)> done) {
              remote_joins_.join(user_id, room_id, std::move(servers), std::move(content), std::move(done));
            },
            [this](const core::RoomAlias& alias, std::function<void(core::Result<ResolvedAlias>)> done) {
              remote_joins_.query_alias(alias, std::move(done));
            },
            [this](const rooms::RoomVersionRules& rules, json::object pdu, json::array invite_room_state,
                   std::function<void(core::Result<json::object>)> done) {
              if (!federation_.enabled)
                return done(core::fail(core::Errc::kForbidden, "Federation is disabled on this server"));
              remote_memberships_.invite(rules, std::move(pdu), std::move(invite_room_state), std::move(done));
            },
            [this](const core::UserId& user_id, const core::RoomId& room_id, const std::string& server,
                   const std::string& reason, std::function<void(core::Status)> done) {
              remote_memberships_.leave(user_id, room_id, server, reason, std::move(done));
            },
            [this](const core::UserId& user_id, const core::RoomId& room_id, std::vector<std::string> servers,
                   json::object content, std::function<void(core::Result<std::string>)> done) {
              remote_memberships_.knock(user_id, room_id, std::move(servers), std::move(content), std::move(done));
            }),
        profiles(options.membership, store, store, rooms,
                 [this](const core::UserId& user_id, Profiles::Done done) {
                   remote_profiles_.lookup(user_id, std::move(done));
                 }),
        user_directory(options.membership, store),
        reports(options.moderation, store, store, store, room_cache_),
        voip(options.voip),
        ephemeral(
            room_cache_, store, store, typing_, notifier_,
            [this](const std::string& user_id) { push_delivery_.on_read(user_id); },
            [this](const std::string& user_id, const RoomState& room, const std::string& edu_type,
                   json::object content) {
              // Only our users' news: a remote user's came from their server.
              auto user = core::UserId::parse(user_id);
              if (federation_.enabled && user && user->server() == federation_.server_name)
                federation_sender.send_room_edu(room, edu_type, content);
            }),
        presence(options.presence, options.federation.server_name, store, store, room_cache_, notifier_,
                 [this](const std::set<std::string>& servers, json::object update) {
                   for (const std::string& server : servers)
                     share(server, "m.presence", json::object{{"push", json::array{update}}});
                 }),
        sync(store, store, store, store, room_cache_, typing_, presence, notifier_, scheduler, device_lists, keys,
             to_device, aggregations_, options.timeline.server_name, key),
        search(room_cache_, store, store, store, store),
        openid(store),
        identity_servers(
            options.accounts, store, scheduler,
            [this, &key](const std::string& method, const std::string& target, const std::string& destination,
                         const json::object& body) {
              const json::value content(body);
              return x_matrix_authorization({method, target, federation_.server_name, destination, &content}, key);
            }),
        key_server(options.federation, key, key_ring_),
        federation_auth(options.federation, key_ring_),
        federation_queries(options.federation, store, store, directory),
        federation_joins(options.timeline, store, room_cache_, event_builder_, write_path_, key_ring_, key),
        federation_invites(options.timeline, store, room_cache_, write_path_, key_ring_, key),
        federation_sender(options.federation.server_name, federation_transport_, scheduler, key),
        federation_receiver(
            federation_intake_,
            {[this](const core::UserId& user, const core::RoomId& room, bool typing) {
               (void)ephemeral.set_typing(user, room, typing, std::nullopt);
             },
             [this](const core::UserId& user, const core::RoomId& room, const core::EventId& event,
                    const std::string& thread_id) {
               (void)ephemeral.set_receipt(user, room, "m.read", event, thread_id);
             },
             [this](const std::string& origin, const json::object& content) {
               (void)to_device.receive(origin, content);
             },
             [this](const std::string& origin, const std::string& user_id) {
               device_lists.remote_changed(origin, user_id);
             },
             [this](const std::string& origin, const json::object& content) { presence.receive(origin, content); }}),
        federation_reads(options.federation.server_name, store, room_cache_, key) {
    write_path_.subscribe([this](const Written& written) { notifier_.on_written(written); });
    write_path_.subscribe([this](const Written& written) { push_delivery_.on_written(written); });
    // Federation off: not subscribed at all, so the write path pays nothing for it.
    if (options.federation.enabled)
      write_path_.subscribe([this](const Written& written) { federation_sender.on_written(written); });
    write_path_.subscribe([this](const Written& written) { guest_removal_.on_written(written); });
  }

  // The hourly chores (app/ runs them): client IP records past their retention, async-upload
  // media IDs never used, old transaction IDs, the to-device inboxes of idle devices, expired
  // OpenID tokens, other servers' keys that expired a week ago.
  void housekeeping() {
    accounts.expire_client_ips();
    media.expire_pending();
    timeline_.expire_transactions();
    to_device.expire_idle();
    openid.expire();
    key_ring_.purge(core::now_ms());
  }

 private:
  // An EDU for `server`, while federation is on.
  void share(const std::string& server, std::string_view edu_type, json::object content) {
    if (federation_.enabled)
      federation_sender.send_edu(server, json::object{{"edu_type", edu_type}, {"content", std::move(content)}});
  }

  // What the services are built on; the API layer reaches none of it.
  const FederationOptions& federation_;
  Notifier notifier_;
  RoomCache room_cache_;
  EventBuilder event_builder_;
  WritePath write_path_;
  Timeline timeline_;
  Uia uia_;
  Typing typing_;
  GuestRemoval guest_removal_;
  Aggregations aggregations_;
  PushSender push_sender_;
  PushDelivery push_delivery_;
  HttpsTransport federation_transport_;    // requests to other servers
  KeyRing key_ring_;                       // their keys
  RemoteProfiles remote_profiles_;         // their users' profiles
  RemoteKeys remote_keys_;                 // and end-to-end encryption keys
  RemoteMediaClient remote_media_client_;  // and media
  RemoteJoins remote_joins_;               // our users' joins to their rooms
  RemoteMemberships remote_memberships_;   // our invites of their users, our knocks, our rejections of theirs
  PduIntake federation_intake_;            // the checks of their events
  RemoteBackfill remote_backfill_;         // older history of their rooms, for /messages

 public:
  // The services the API layer calls.
  RoomReader room_reader;
  RelationReader relations;
  EventSender event_sender;
  Filters filters;
  RoomDirectory directory;
  RemoteDirectory remote_directory;  // other servers' directories (/publicRooms?server=)
  SpaceHierarchy spaces;
  DeviceLists device_lists;
  Accounts accounts;
  AccountData account_data;
  Registration registration;
  Credentials credentials;
  Keys keys;
  ToDevice to_device;
  KeyBackup key_backup;
  MediaRepository media;
  RemoteMedia remote_media;  // other servers' media, cached
  UrlPreviews url_previews;
  PushRuleService push_rules;
  Pushers pushers;
  Notifications notifications;
  RoomService rooms;
  Profiles profiles;
  UserDirectory user_directory;
  Reports reports;
  Voip voip;
  Ephemeral ephemeral;
  Presence presence;
  SyncService sync;
  RoomSearch search;
  OpenId openid;
  IdentityServers identity_servers;  // on a user's request: 3PID binds and lookups
  // Federation: what other servers call.
  KeyServer key_server;
  RequestAuthenticator federation_auth;
  FederationQueries federation_queries;
  FederationJoins federation_joins;      // make_join, send_join, make_leave, send_leave, make_knock, send_knock
  FederationInvites federation_invites;  // v1 and v2 invite
  // The sender of this server's events (told of every authenticated request from another
  // server: heard_from), the receiver of theirs (/send) and what they read of rooms.
  FederationSender federation_sender;
  Receiver federation_receiver;
  FederationReads federation_reads;
};

}  // namespace myelin::homeserver
