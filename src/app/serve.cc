// `myelin serve`: loads the config (writing a default one on first start), opens the store
// and the signing key, wires the homeserver to the HTTP server and runs until SIGTERM.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/routes.h"
#include "app/commands.h"
#include "app/config_file.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "homeserver/federation/server_keys.h"
#include "homeserver/homeserver.h"
#include "http/http.h"
#include "http/https_client.h"
#include "media/content_store.h"
#include "storage/group_commit.h"
#include "storage/store.h"

namespace myelin::app {
namespace {

// The homeserver's housekeeping now and every hour.
void schedule_housekeeping(homeserver::Homeserver& hs, http::Scheduler& scheduler,
                           std::shared_ptr<std::unique_ptr<http::Timer>> slot) {
  hs.housekeeping();
  *slot =
      scheduler.after(std::chrono::hours(1), [&hs, &scheduler, slot] { schedule_housekeeping(hs, scheduler, slot); });
}

// Memory that load freed goes back to the system every 30 s: glibc keeps freed heap pages
// (between live blocks, and in the arenas of idle threads) until asked. On the pool, so that
// the walk over the heap never holds up the loop.
void schedule_memory_release(http::Scheduler& scheduler, std::shared_ptr<std::unique_ptr<http::Timer>> slot) {
  *slot = scheduler.after(std::chrono::seconds(30), [&scheduler, slot] {
    scheduler.run_blocking([] { ::malloc_trim(0); }, [&scheduler, slot] { schedule_memory_release(scheduler, slot); });
  });
}

}  // namespace

int serve(const Args& args) {
  // Two malloc arenas, not eight per core: the loop and the connection thread each keep one,
  // and the other threads' few allocations do not leave memory stranded in arenas of their own.
  ::mallopt(M_ARENA_MAX, 2);
  const std::string path = arg_value(args, "--config", "data/myelin.yaml");
  if (!std::filesystem::exists(path)) {
    auto folder = std::filesystem::absolute(path).parent_path();
    std::filesystem::create_directories(folder);
    Config defaults;
    defaults.server.data_dir = std::string(".");  // not operator=(const char*): a GCC 12 -Wrestrict false positive
    std::ofstream(path) << render_config(defaults);
    std::cerr << "myelin: wrote a default config to " << path << "\n";
  }
  auto config = load_config(path);
  if (!config) {
    std::cerr << "myelin: " << config.error().message << "\n";
    return 1;
  }
  const ServerOptions& settings = config->server;
  spdlog::set_level(spdlog::level::from_str(settings.log_level));
  std::filesystem::create_directories(settings.data_dir);
  auto key = core::SigningKey::load_or_create(settings.data_dir + "/signing.key");
  if (!key) {
    std::cerr << "myelin: " << key.error().message << "\n";
    return 1;
  }
  auto old_keys = homeserver::load_old_keys(settings.data_dir + "/signing.key.old");
  if (!old_keys) {
    std::cerr << "myelin: " << old_keys.error().message << "\n";
    return 1;
  }
  config->federation.old_verify_keys = std::move(*old_keys);
  std::unique_ptr<storage::Store> store;
  try {
    store = storage::open_sqlite_store({settings.data_dir + "/myelin.db", settings.fsync_every_commit,
                                        static_cast<std::int64_t>(settings.page_cache_mb)});
  } catch (const storage::StorageError& e) {
    std::cerr << "myelin: cannot open the database: " << e.what() << "\n";
    return 1;
  }

  std::unique_ptr<media::ContentStore> content, remote_content;
  try {
    content = media::open_local_content_store(settings.data_dir + "/media");
    content->clean_temp();
    // Other servers' media: a cache whose index is in memory, so it starts empty.
    std::filesystem::remove_all(settings.data_dir + "/remote_media");
    remote_content = media::open_local_content_store(settings.data_dir + "/remote_media");
  } catch (const std::exception& e) {
    std::cerr << "myelin: " << e.what() << "\n";
    return 1;
  }

  http::Router router;
  http::ServerOptions options;
  options.address = settings.listen_address;
  options.port = settings.listen_port;
  options.max_body_bytes = settings.max_request_bytes;
  options.max_connections = settings.max_connections;
  options.max_connections_per_address = settings.max_connections_per_address;
  options.header_timeout = std::chrono::seconds(settings.header_timeout_seconds);
  options.error_body = api::http_error_body;
  options.upload_dir = content->temp_dir();
  options.secret_params = api::secret_params();
  // Answers wait for the writes before them (storage/group_commit.h). A failed commit leaves
  // memory ahead of the disk: the server stops, and restarts consistent with the disk.
  std::unique_ptr<storage::GroupCommit> group_commit;
  bool storage_failed = false;
  options.hold_answer = [&group_commit](std::function<void(bool)> send) {
    group_commit->after_writes(std::move(send));
  };
  if (config->federation_listener())
    options.tls = http::ServerOptions::TlsListener{settings.federation_listen_address, settings.federation_listen_port,
                                                   settings.tls_certificate, settings.tls_private_key};
  else if (config->federation.enabled)
    spdlog::warn(
        "federation is enabled without federation.tls_certificate and tls_private_key: no federation "
        "listener, so other servers cannot reach this one");
  http::Server server(options, router);
  group_commit = std::make_unique<storage::GroupCommit>(
      *store, settings.fsync_every_commit,
      [&server](std::function<void()> fn) { server.scheduler().post(std::move(fn)); },
      [&server, &storage_failed](const std::string& why) {
        spdlog::critical("storage: {}; stopping, so that nothing more is acknowledged", why);
        storage_failed = true;
        server.stop();
      });
  // Destroyed after the homeserver, which holds it, and before the server, whose loops it uses.
  std::unique_ptr<http::HttpsClient> federation_client;
  try {
    http::HttpsClientOptions client_options;
    client_options.ca_file = config->federation.ca_file;
    client_options.verify_certificates = config->federation.verify_certificates;
    if (!client_options.verify_certificates)
      spdlog::warn("federation.verify_certificates is off: other servers' certificates are not checked");
    federation_client = server.https_client(client_options);
  } catch (const std::exception& e) {
    std::cerr << "myelin: federation.ca_file: " << e.what() << "\n";
    return 1;
  }
  homeserver::Homeserver hs(config->domain_options(), *store, *key, server.scheduler(), *content, *remote_content,
                            *federation_client);
  api::install_routes(router, hs, config->client_api);
  // Long-polling syncs are answered (with what is new, usually nothing) before the drain.
  server.on_stop([&hs] { hs.sync.stop_waiting(); });
  auto housekeeping_timer = std::make_shared<std::unique_ptr<http::Timer>>();
  schedule_housekeeping(hs, server.scheduler(), housekeeping_timer);
  auto memory_timer = std::make_shared<std::unique_ptr<http::Timer>>();
  schedule_memory_release(server.scheduler(), memory_timer);

  std::uint16_t port = 0;
  try {
    port = server.listen();
  } catch (const std::exception& e) {
    std::cerr << "myelin: cannot listen on " << options.address << ":" << options.port << ": " << e.what() << "\n";
    return 1;
  }
  auto url = [](const std::string& scheme, const std::string& address, std::uint16_t bound) {
    const bool v6 = address.find(':') != std::string::npos;
    return scheme + "://" + (v6 ? "[" + address + "]" : address) + ":" + std::to_string(bound);
  };
  std::cout << "myelin: listening on " << url("http", options.address, port) << std::endl;
  if (options.tls)
    std::cout << "myelin: federation listening on " << url("https", options.tls->address, server.tls_port())
              << std::endl;
  spdlog::info("server {} ready, data in {}", config->server_name, settings.data_dir);
  server.run();
  // Before the server (whose loop its threads post to) goes: the last batch committed and synced.
  group_commit.reset();
  spdlog::info("stopped");
  return storage_failed ? 1 : 0;
}

}  // namespace myelin::app
