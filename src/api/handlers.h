#pragma once
// Declarations of every client-API handler, grouped by the spec section (and file) that
// defines them. Each file under client/ starts with the methods and paths it serves.
#include "api/call.h"

namespace myelin::api {

// client/versions.cc
void get_versions(Call&);
void get_well_known_client(Call&);
void get_capabilities(Call&);
void get_federation_version(Call&);
// client/registration.cc
void post_register(Call&);
void get_register_available(Call&);
void get_registration_token_validity(Call&);
void get_admin_register_nonce(Call&);
void post_admin_register(Call&);
// client/login.cc
void get_login(Call&);
void post_login(Call&);
void post_logout(Call&);
void post_logout_all(Call&);
void get_whoami(Call&);
// client/account.cc
void post_password(Call&);
void post_deactivate(Call&);
// client/devices.cc
void get_devices(Call&);
void get_device(Call&);
void put_device(Call&);
void delete_device(Call&);
void post_delete_devices(Call&);
// client/profile.cc
void get_profile(Call&);
void get_profile_field(Call&);
void put_profile_field(Call&);
void delete_profile_field(Call&);
// client/room_creation.cc
void post_create_room(Call&);
void post_upgrade_room(Call&);
// client/membership.cc
void post_join(Call&);  // /join/{roomIdOrAlias} and /rooms/{roomId}/join
void post_knock(Call&);
void post_leave(Call&);
void post_forget(Call&);
void post_invite(Call&);
void post_kick(Call&);
void post_ban(Call&);
void post_unban(Call&);
void get_joined_rooms(Call&);
void get_members(Call&);
void get_joined_members(Call&);
// client/relations.cc
void get_relations(Call&);  // with and without {relType} and {eventType}
void get_threads(Call&);
// client/events.cc
void put_send(Call&);
void put_state(Call&);  // with and without a state key
void get_state_event(Call&);
void get_state(Call&);
void put_redact(Call&);
void get_event(Call&);
void get_room_initial_sync(Call&);
void get_initial_sync(Call&);
// client/history.cc
void get_messages(Call&);
void get_context(Call&);
// client/sync.cc
void get_sync(Call&);
void get_events(Call&);
void post_filter(Call&);
void get_filter(Call&);
// client/ephemeral.cc
void put_typing(Call&);
void post_receipt(Call&);
void post_read_markers(Call&);
// client/account_data.cc
void put_account_data(Call&);
void get_account_data(Call&);
void put_room_account_data(Call&);
void get_room_account_data(Call&);
void get_tags(Call&);
void put_tag(Call&);
void delete_tag(Call&);
// client/directory.cc
void put_alias(Call&);
void get_alias(Call&);
void delete_alias(Call&);
void get_room_aliases(Call&);
void get_room_visibility(Call&);
void put_room_visibility(Call&);
void get_public_rooms(Call&);
void post_public_rooms(Call&);
void get_room_summary(Call&);
// client/spaces.cc
void get_hierarchy(Call&);
// client/presence.cc
void get_presence(Call&);
void put_presence(Call&);
// client/push_rules.cc (the last path segment, enabled or actions, picks the attribute)
void get_push_rules(Call&);
void get_push_rules_global(Call&);
void get_push_rules_of_kind(Call&);
void get_push_rule(Call&);
void put_push_rule(Call&);
void delete_push_rule(Call&);
void get_push_rule_attribute(Call&);
void put_push_rule_attribute(Call&);
void push_rules_malformed(Call&);  // any other path under /pushrules
// client/push.cc
void get_pushers(Call&);
void post_pushers_set(Call&);
void get_notifications(Call&);
// client/user_directory.cc
void post_user_directory_search(Call&);
void get_thirdparty_protocols(Call&);
void get_account_3pids(Call&);
void post_3pid_bind(Call&);
void post_3pid_unbind(Call&);
void post_3pid_delete(Call&);
// client/keys.cc
void post_keys_upload(Call&);
void post_keys_query(Call&);
void post_keys_claim(Call&);
void get_keys_changes(Call&);
void post_device_signing_upload(Call&);
void post_signatures_upload(Call&);
// client/to_device.cc
void put_send_to_device(Call&);
// client/key_backup.cc (the keys routes name a room, a room and a session, or neither)
void post_backup_version(Call&);
void get_backup_version(Call&);  // with or without {version}
void put_backup_version(Call&);
void delete_backup_version(Call&);
void put_backup_keys(Call&);
void get_backup_keys(Call&);
void delete_backup_keys(Call&);
// client/media.cc
void post_media_upload(Call&);  // streamed body
void post_media_create(Call&);
void put_media_upload(Call&);  // streamed body
void get_media_config(Call&);
void get_media_download(Call&);  // with or without {fileName}
void get_media_thumbnail(Call&);
void get_legacy_media_download(Call&);
void get_legacy_media_thumbnail(Call&);
void get_own_media(Call&);
void delete_own_media(Call&);
void get_preview_url(Call&);
// client/reporting.cc
void post_report_event(Call&);
void post_report_room(Call&);
void post_report_user(Call&);
// client/voip.cc
void get_turn_server(Call&);

// client/search.cc
void post_search(Call&);
void get_timestamp_to_event(Call&);
// client/openid.cc
void post_openid_request_token(Call&);
void get_openid_userinfo(Call&);

// The server-server API (files under federation/; their routes are marked kServer unless public).
// federation/keys.cc
void get_server_keys(Call&);
void get_key_query(Call&);
void post_key_query(Call&);
// federation/keys_e2ee.cc
void post_federation_keys_query(Call&);
void post_federation_keys_claim(Call&);
void get_federation_user_devices(Call&);
// federation/queries.cc
void get_federation_query_profile(Call&);
void get_federation_query_directory(Call&);
void get_federation_public_rooms(Call&);
void post_federation_public_rooms(Call&);
// federation/joins.cc
void get_federation_make_join(Call&);
void put_federation_send_join_v1(Call&);
void put_federation_send_join(Call&);  // v2
void get_federation_make_leave(Call&);
void put_federation_send_leave_v1(Call&);
void put_federation_send_leave(Call&);  // v2
void get_federation_make_knock(Call&);
void put_federation_send_knock(Call&);
// federation/invites.cc
void put_federation_invite_v1(Call&);
void put_federation_invite(Call&);
void put_3pid_onbind(Call&);  // v2
// federation/transactions.cc
void put_federation_send(Call&);
// federation/events.cc
void get_federation_event(Call&);
void get_federation_state(Call&);
void get_federation_state_ids(Call&);
void get_federation_event_auth(Call&);
void post_federation_get_missing_events(Call&);
void get_federation_backfill(Call&);
// federation/media.cc
void get_federation_media_download(Call&);
void get_federation_media_thumbnail(Call&);

}  // namespace myelin::api
