#include "rooms/server_acl.h"

#include "core/glob.h"

namespace myelin::rooms {
namespace {

// The host part: "[v6]" kept whole, a trailing ":port" dropped.
std::string_view host_of(std::string_view server_name) {
  if (server_name.starts_with('[')) {
    const std::size_t close = server_name.find(']');
    return close == std::string_view::npos ? server_name : server_name.substr(0, close + 1);
  }
  return server_name.substr(0, server_name.find(':'));
}

bool is_ip_literal(std::string_view host) {
  if (host.starts_with('[')) return true;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

bool matches_any(const json::object& acl, std::string_view list, std::string_view host) {
  const json::value* patterns = acl.if_contains(list);
  if (!patterns || !patterns->is_array()) return false;
  for (const json::value& pattern : patterns->get_array())
    if (pattern.is_string() && core::glob_match(pattern.get_string(), host)) return true;
  return false;
}

}  // namespace

bool server_allowed_by_acl(const json::object* acl, std::string_view server_name) {
  if (!acl) return true;
  const std::string_view host = host_of(server_name);
  const json::value* ip_literals = acl->if_contains("allow_ip_literals");
  if (ip_literals && ip_literals->is_bool() && !ip_literals->get_bool() && is_ip_literal(host)) return false;
  if (matches_any(*acl, "deny", host)) return false;
  return matches_any(*acl, "allow", host);
}

}  // namespace myelin::rooms
