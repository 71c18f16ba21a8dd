#include "homeserver/federation/options.h"

#include <algorithm>
#include <cctype>

namespace myelin::homeserver {
namespace {

std::string lower_host(std::string_view server_name) {
  std::string_view host = server_name;
  if (host.starts_with('[')) host = host.substr(0, host.find(']') + 1);
  else host = host.substr(0, host.find(':'));
  std::string out(host);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "example.org" matches itself; "*.example.org" every name ending in ".example.org".
bool matches(const std::string& host, const std::vector<std::string>& patterns) {
  return std::ranges::any_of(patterns, [&host](const std::string& pattern) {
    const std::string wanted = lower_host(pattern);
    if (wanted.starts_with("*.")) return host.ends_with(wanted.substr(1));
    return host == wanted;
  });
}

}  // namespace

bool FederationOptions::may_talk_to(std::string_view server_name) const {
  const std::string host = lower_host(server_name);
  if (host.empty() || matches(host, denied_servers)) return false;
  return allowed_servers.empty() || matches(host, allowed_servers);
}

}  // namespace myelin::homeserver
