#pragma once
// The whole configuration, as read from the config file (config_file.h): the process and its
// HTTP server, the client API's settings, and each domain's own settings, which app/ hands to
// the homeserver piece by piece (domain_options()).
#include <cstdint>
#include <string>

#include "api/options.h"
#include "homeserver/options.h"

namespace myelin::app {

// The process and its HTTP server.
struct ServerOptions {
  std::string data_dir = "./data";
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 8008;
  std::string log_level = "info";
  std::uint64_t max_request_bytes = 1 << 20;
  std::uint64_t max_connections = 10000;
  std::uint64_t max_connections_per_address = 100;  // an IPv6 address counts by its /64; 0 = no limit
  std::uint64_t header_timeout_seconds = 10;        // for a new connection's first request headers
  bool fsync_every_commit = true;
  std::uint64_t page_cache_mb = 4;  // SQLite's page cache
  // The federation listener (TLS): started when federation is enabled and both PEM files are set.
  std::string federation_listen_address = "0.0.0.0";
  std::uint16_t federation_listen_port = 8448;
  std::string tls_certificate;  // the chain, the server's certificate first
  std::string tls_private_key;
};

struct Config {
  // The domain of the server's IDs; load_config() copies it into the domains that use it.
  std::string server_name = "localhost";
  ServerOptions server;
  api::ClientApiOptions client_api;
  homeserver::TimelineOptions timeline;
  homeserver::AccountsOptions accounts;
  homeserver::PushOptions push;
  homeserver::VoipOptions voip;
  homeserver::MediaOptions media;
  homeserver::UrlPreviewOptions url_previews;
  homeserver::E2eeOptions e2ee;
  homeserver::MembershipOptions membership;
  homeserver::PresenceOptions presence;
  homeserver::ModerationOptions moderation;
  homeserver::FederationOptions federation;

  homeserver::DomainOptions domain_options() const {
    return {timeline, accounts, push, voip, media, url_previews, e2ee, membership, presence, moderation, federation};
  }
  // Whether `serve` opens the federation listener.
  bool federation_listener() const {
    return federation.enabled && !server.tls_certificate.empty() && !server.tls_private_key.empty();
  }
};

}  // namespace myelin::app
