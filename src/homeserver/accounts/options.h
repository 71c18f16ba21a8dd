#pragma once
// The settings of accounts: who may register, and what one user can make the server keep
// (app/ fills them from the config file).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct AccountsOptions {
  std::string server_name = "localhost";
  bool registration_open = false;          // m.login.dummy registration for anyone
  bool guest_access = false;               // POST /register?kind=guest
  std::string registration_shared_secret;  // enables /_synapse/admin/v1/register when set
  int client_ip_retention_days = 7;
  std::int64_t devices_per_user = 1000;  // a new one logs out the least recently seen
  std::uint64_t account_data_value_bytes = 65536;
  std::int64_t account_data_entries = 2000;  // per user
  // Identity servers (identity_servers.h): contacted only when this is on, and then only at
  // public addresses or those in the allowlist (comma-separated ranges).
  bool identity_servers = false;
  std::string identity_server_ip_allowlist;
  std::string identity_server_ca_file;  // PEM, trusted besides the system's ("": none)
};

}  // namespace myelin::homeserver
