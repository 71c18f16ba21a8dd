// `myelin serve`: loads the config (writing a default one on first start), opens the store
// and the signing key, wires the homeserver to the HTTP server and runs until SIGTERM.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/clock.h"
#include "api/routes.h"
#include "app/commands.h"
#include "app/config_file.h"
#include "core/crypto.h"
#include "homeserver/homeserver.h"
#include "http/http.h"
#include "media/content_store.h"
#include "storage/store.h"

namespace myelin::app {
namespace {

// How long a transaction ID is remembered: a client retries a request within minutes (a day
// also covers a phone that lost the answer and was offline overnight).
constexpr std::int64_t kTransactionRetentionMs = 86'400'000;

// Hourly housekeeping, now and every hour: client IP records older than the retention period,
// async-upload media IDs never used, transaction IDs older than a day, the to-device inboxes
// of idle devices.
void schedule_housekeeping(homeserver::Homeserver& hs, std::shared_ptr<std::unique_ptr<http::Timer>> slot) {
  const std::int64_t retention_ms = std::int64_t{hs.config.client_ip_retention_days} * 86'400'000;
  hs.store.purge_client_ips(core::now_ms() - retention_ms);
  hs.media.expire_pending();
  hs.store.purge_transactions(core::now_ms() - kTransactionRetentionMs);
  hs.to_device.expire_idle();
  *slot = hs.scheduler.after(std::chrono::hours(1), [&hs, slot] { schedule_housekeeping(hs, slot); });
}

// The client API's own settings (api/options.h) from the config file.
api::ClientApiOptions client_api_options(const homeserver::Config& config) {
  return {config.rate_limits_enabled, config.rate_per_second,   config.rate_burst,
          config.login_per_second,    config.login_burst,       config.public_baseurl,
          config.public_rooms_without_auth};
}

}  // namespace

int serve(const Args& args) {
  const std::string path = arg_value(args, "--config", "data/myelin.yaml");
  if (!std::filesystem::exists(path)) {
    auto folder = std::filesystem::absolute(path).parent_path();
    std::filesystem::create_directories(folder);
    homeserver::Config defaults;
    defaults.data_dir = std::string(".");   // not operator=(const char*): a GCC 12 -Wrestrict false positive
    std::ofstream(path) << render_config(defaults);
    std::cerr << "myelin: wrote a default config to " << path << "\n";
  }
  auto config = load_config(path);
  if (!config) {
    std::cerr << "myelin: " << config.error().message << "\n";
    return 1;
  }
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  std::filesystem::create_directories(config->data_dir);
  auto key = core::SigningKey::load_or_create(config->data_dir + "/signing.key");
  if (!key) {
    std::cerr << "myelin: " << key.error().message << "\n";
    return 1;
  }
  std::unique_ptr<storage::Store> store;
  try {
    store = storage::open_sqlite_store({config->data_dir + "/myelin.db", config->fsync_every_commit});
  } catch (const storage::StorageError& e) {
    std::cerr << "myelin: cannot open the database: " << e.what() << "\n";
    return 1;
  }

  std::unique_ptr<media::ContentStore> content;
  try {
    content = media::open_local_content_store(config->data_dir + "/media");
    content->clean_temp();
  } catch (const std::exception& e) {
    std::cerr << "myelin: " << e.what() << "\n";
    return 1;
  }

  http::Router router;
  http::ServerOptions options;
  options.address = config->listen_address;
  options.port = config->listen_port;
  options.max_body_bytes = config->max_request_bytes;
  options.max_connections = config->max_connections;
  options.max_connections_per_address = config->max_connections_per_address;
  options.header_timeout = std::chrono::seconds(config->header_timeout_seconds);
  options.error_body = api::http_error_body;
  options.upload_dir = content->temp_dir();
  options.secret_params = api::secret_params();
  http::Server server(options, router);
  homeserver::Homeserver hs(*config, *store, *key, server.scheduler(), *content);
  api::install_routes(router, hs, client_api_options(*config));
  // Long-polling syncs are answered (with what is new, usually nothing) before the drain.
  server.on_stop([&hs] { hs.sync.stop_waiting(); });
  auto housekeeping_timer = std::make_shared<std::unique_ptr<http::Timer>>();
  schedule_housekeeping(hs, housekeeping_timer);

  std::uint16_t port = 0;
  try {
    port = server.listen();
  } catch (const std::exception& e) {
    std::cerr << "myelin: cannot listen on " << options.address << ":" << options.port << ": " << e.what() << "\n";
    return 1;
  }
  const bool v6 = options.address.find(':') != std::string::npos;
  std::cout << "myelin: listening on http://" << (v6 ? "[" + options.address + "]" : options.address) << ":"
            << port << std::endl;
  spdlog::info("server {} ready, data in {}", config->server_name, config->data_dir);
  server.run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace myelin::app
