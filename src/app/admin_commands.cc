// `myelin generate-config`, `user create`, `registration-token ...`, `reports list` and
// `media purge|delete`: offline administration against the same data folder the server uses.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/commands.h"
#include "app/config_file.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/federation/server_keys.h"
#include "homeserver/media/media.h"
#include "media/content_store.h"
#include "storage/store.h"

namespace myelin::app {

std::string arg_value(const Args& args, const std::string& name, const std::string& fallback) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == name) return args[i + 1];
  return fallback;
}

bool flag(const Args& args, const std::string& name) {
  for (const auto& arg : args)
    if (arg == name) return true;
  return false;
}

namespace {

struct Opened {
  Config config;
  std::unique_ptr<storage::Store> store;
};

std::optional<Opened> open(const Args& args) {
  const std::string path = arg_value(args, "--config", "data/myelin.yaml");
  auto config = load_config(path);
  if (!config) {
    std::cerr << "myelin: " << config.error().message << "\n";
    return std::nullopt;
  }
  const ServerOptions& server = config->server;
  std::filesystem::create_directories(server.data_dir);
  Opened opened{*config, storage::open_sqlite_store({server.data_dir + "/myelin.db", server.fsync_every_commit,
                                                     static_cast<std::int64_t>(server.page_cache_mb)})};
  return opened;
}

}  // namespace

int generate_config(const Args& args) {
  Config config;
  config.server_name = arg_value(args, "--server-name", config.server_name);
  config.server.data_dir = arg_value(args, "--data-dir", ".");
  if (flag(args, "--markdown")) {
    std::cout << render_config_markdown();
    return 0;
  }
  const std::string output = arg_value(args, "--output");
  if (output.empty()) {
    std::cout << render_config(config);
    return 0;
  }
  std::ofstream file(output);
  file << render_config(config);
  return file ? 0 : 1;
}

int user_command(const Args& args) {
  if (args.empty() || args.front() != "create") {
    std::cerr << "usage: myelin user create --config FILE --user LOCALPART --password PW [--admin]\n";
    return 2;
  }
  auto opened = open(args);
  if (!opened) return 1;
  const std::string localpart = arg_value(args, "--user");
  const std::string password = arg_value(args, "--password");
  if (localpart.empty() || password.empty()) {
    std::cerr << "myelin: --user and --password are required\n";
    return 2;
  }
  // A new account has no devices and no rooms: nothing to announce or leave.
  homeserver::Accounts accounts(
      opened->config.accounts, *opened->store, [](const std::string&) {}, [](const core::UserId&) {});
  auto user_id = accounts.register_user(localpart, core::hash_password(password), flag(args, "--admin"));
  if (!user_id) {
    std::cerr << "myelin: " << user_id.error().message << "\n";
    return 1;
  }
  std::cout << *user_id << "\n";
  return 0;
}

int registration_token_command(const Args& args) {
  const std::string action = args.empty() ? "" : args.front();
  auto opened = action.empty() ? std::nullopt : open(args);
  if (!opened) {
    if (action.empty()) std::cerr << "usage: myelin registration-token create|list|delete --config FILE\n";
    return action.empty() ? 2 : 1;
  }
  storage::AccountStore& store = *opened->store;
  if (action == "create") {
    storage::RegistrationToken token;
    token.token = core::random_string(24);
    if (auto uses = arg_value(args, "--uses-allowed"); !uses.empty()) token.uses_allowed = std::stoll(uses);
    if (auto days = arg_value(args, "--expiry-days"); !days.empty())
      token.expiry_time = core::now_ms() + std::stoll(days) * 86'400'000;
    store.add_registration_token(token);
    std::cout << token.token << "\n";
    return 0;
  }
  if (action == "list") {
    for (const auto& token : store.registration_tokens()) {
      std::cout << token.token << " completed=" << token.completed
                << " uses_allowed=" << (token.uses_allowed ? std::to_string(*token.uses_allowed) : "unlimited")
                << " expiry=" << (token.expiry_time ? std::to_string(*token.expiry_time) : "never") << "\n";
    }
    return 0;
  }
  if (action == "delete") {
    if (!store.delete_registration_token(arg_value(args, "--token"))) {
      std::cerr << "myelin: no such token\n";
      return 1;
    }
    return 0;
  }
  std::cerr << "usage: myelin registration-token create|list|delete --config FILE\n";
  return 2;
}

int reports_command(const Args& args) {
  if (args.empty() || args.front() != "list") {
    std::cerr << "usage: myelin reports list --config FILE\n";
    return 2;
  }
  auto opened = open(args);
  if (!opened) return 1;
  for (const auto& report : opened->store->reports()) {
    json::object line{{"reporter", report.reporter}, {"reason", report.reason}, {"ts", report.ts}};
    if (!report.room_id.empty()) line["room_id"] = report.room_id;
    if (!report.event_id.empty()) line["event_id"] = report.event_id;
    if (!report.user_id.empty()) line["user_id"] = report.user_id;
    if (report.score) line["score"] = *report.score;
    std::cout << core::to_string(line) << "\n";
  }
  return 0;
}

namespace {

// "2026-01-31" (UTC midnight) or milliseconds since the epoch; nullopt when neither.
std::optional<std::int64_t> parse_date(const std::string& text) {
  int year = 0, month = 0, day = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &year, &month, &day, &tail) == 3 && month >= 1 && month <= 12 &&
      day >= 1 && day <= 31) {
    const auto date =
        std::chrono::year_month_day(std::chrono::year(year), std::chrono::month(month), std::chrono::day(day));
    if (!date.ok()) return std::nullopt;
    return std::chrono::sys_days(date).time_since_epoch() / std::chrono::milliseconds(1);
  }
  try {
    std::size_t used = 0;
    const std::int64_t ms = std::stoll(text, &used);
    if (used == text.size() && ms >= 0) return ms;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace

int media_command(const Args& args) {
  const std::string action = args.empty() ? "" : args.front();
  if (action != "purge" && action != "delete") {
    std::cerr << "usage: myelin media purge --before DATE | media delete MXC_URI  --config FILE\n";
    return 2;
  }
  auto opened = open(args);
  if (!opened) return 1;
  auto content = media::open_local_content_store(opened->config.server.data_dir + "/media");
  http::InlineScheduler scheduler;
  homeserver::MediaRepository repository(opened->config.media, *opened->store, *content, scheduler);
  if (action == "purge") {
    auto before = parse_date(arg_value(args, "--before"));
    if (!before) {
      std::cerr << "myelin: --before needs a date (YYYY-MM-DD, UTC) or milliseconds since the epoch\n";
      return 2;
    }
    std::cout << repository.purge_before(*before) << " media deleted\n";
    return 0;
  }
  auto mxc = homeserver::parse_mxc(args.size() > 1 ? args[1] : "");
  if (!mxc || mxc->first != opened->config.server_name) {
    std::cerr << "myelin: give an mxc:// URI of this server's media\n";
    return 2;
  }
  if (!repository.remove("", true, mxc->second)) {
    std::cerr << "myelin: no such media\n";
    return 1;
  }
  return 0;
}

// signing-key rotate: a new signing key; the old one joins signing.key.old, published as an
// old_verify_key so that what it signed still verifies. The server must be restarted.
int signing_key_command(const Args& args) {
  if (args.empty() || args[0] != "rotate") {
    std::cerr << "usage: myelin signing-key rotate --config FILE\n";
    return 2;
  }
  auto config = load_config(arg_value(args, "--config", "data/myelin.yaml"));
  if (!config) {
    std::cerr << "myelin: " << config.error().message << "\n";
    return 1;
  }
  const std::string path = config->server.data_dir + "/signing.key";
  if (!std::filesystem::exists(path)) {
    std::cerr << "myelin: no signing key at " << path << "\n";
    return 1;
  }
  auto current = core::SigningKey::load_or_create(path);
  auto old_keys = homeserver::load_old_keys(path + ".old");
  if (!current || !old_keys) {
    std::cerr << "myelin: " << (current ? old_keys.error().message : current.error().message) << "\n";
    return 1;
  }
  core::SigningKey next = core::SigningKey::generate("");
  while (next.key_id() == current->key_id()) next = core::SigningKey::generate("");
  old_keys->push_back({current->key_id(), current->public_key_base64(), core::now_ms()});
  // The old key is listed before the new one replaces it: a crash in between leaves it both
  // current and old, never lost.
  if (auto saved = homeserver::save_old_keys(path + ".old", std::move(*old_keys)); !saved) {
    std::cerr << "myelin: " << saved.error().message << "\n";
    return 1;
  }
  if (auto saved = next.save(path); !saved) {
    std::cerr << "myelin: " << saved.error().message << "\n";
    return 1;
  }
  std::cout << "signing key " << current->key_id() << " replaced by " << next.key_id()
            << "; restart the server to use it\n";
  return 0;
}

}  // namespace myelin::app
