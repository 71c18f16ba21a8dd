// Identifier grammar: appendices.md "Server Name" and "Identifier Grammar".
#include "core/ids.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/sodium.h"

namespace myelin::core {
namespace {

constexpr std::size_t kMaxIdLength = 255;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// port = 1*5DIGIT, value 1..65535.
std::optional<int> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

// IPv4address = four 1*3DIGIT groups, each 0..255.
bool is_ipv4(std::string_view host) {
  int groups = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = host.find('.', start);
    std::string_view group = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (group.empty() || group.size() > 3) return false;
    int value = 0;
    for (char c : group) {
      if (!is_digit(c)) return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    ++groups;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return groups == 4;
}

bool looks_numeric_dotted(std::string_view host) {
  for (char c : host) {
    if (!is_digit(c) && c != '.') return false;
  }
  return true;
}

// dns-name: labels of [A-Za-z0-9-] separated by '.', 1..255 bytes, no empty label.
bool is_dns_name(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (is_alnum(c) || c == '-') {
      ++label;
    } else {
      return false;
    }
  }
  return label > 0;
}

// "[" IPv6address "]", the address per RFC 3513 section 2.2 (2..45 characters).
bool is_bracketed_ipv6(std::string_view host) {
  if (host.size() < 4 || host.front() != '[' || host.back() != ']') return false;
  std::string_view inner = host.substr(1, host.size() - 2);
  if (inner.size() < 2 || inner.size() > 45) return false;
  for (char c : inner) {
    const bool ok = is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    if (!ok) return false;
  }
  in6_addr address;
  return ::inet_pton(AF_INET6, std::string(inner).c_str(), &address) == 1;
}

bool is_valid_host(std::string_view host) {
  if (host.starts_with('[')) return is_bracketed_ipv6(host);
  if (looks_numeric_dotted(host)) return is_ipv4(host);
  return is_dns_name(host);
}

// Splits "<sigil><local>:<server>" at the first ':'. The server part must be a server name.
struct SigilParts {
  std::string_view local;
  std::string_view server;
  bool has_server = false;
};

std::optional<SigilParts> split_sigil(std::string_view text, char sigil) {
  if (text.size() < 2 || text.size() > kMaxIdLength || text.front() != sigil) {
    return std::nullopt;
  }
  text.remove_prefix(1);
  SigilParts parts;
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    parts.local = text;
    return parts;
  }
  parts.local = text.substr(0, colon);
  parts.server = text.substr(colon + 1);
  parts.has_server = true;
  if (!is_valid_server_name(parts.server)) return std::nullopt;
  return parts;
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

bool is_printable_ascii(char c) { return c >= 0x21 && c <= 0x7e; }

}  // namespace

std::optional<ServerName> ServerName::parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxIdLength) return std::nullopt;
  std::string_view host = text;
  std::optional<int> port;
  std::size_t port_colon = std::string_view::npos;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      port_colon = close + 1;
    }
  } else {
    port_colon = text.find(':');
  }
  if (port_colon != std::string_view::npos) {
    host = text.substr(0, port_colon);
    port = parse_port(text.substr(port_colon + 1));
    if (!port) return std::nullopt;
  }
  if (!is_valid_host(host)) return std::nullopt;
  return ServerName(text, host.size(), port);
}

bool is_valid_server_name(std::string_view text) { return ServerName::parse(text).has_value(); }

std::optional<UserId> UserId::parse(std::string_view text) {
  std::optional<SigilParts> parts = split_sigil(text, '@');
  if (!parts || !parts->has_server || parts->local.empty()) return std::nullopt;
  for (char c : parts->local) {
    if (!is_printable_ascii(c)) return std::nullopt;
  }
  return UserId(text, parts->local.size() + 1);
}

bool is_valid_localpart_strict(std::string_view localpart) {
  if (localpart.empty() || localpart.size() > kMaxIdLength) return false;
  for (char c : localpart) {
    const bool ok =
        is_digit(c) || (c >= 'a' && c <= 'z') || c == '.' || c == '_' || c == '=' || c == '-' || c == '/' || c == '+';
    if (!ok) return false;
  }
  return true;
}

// The checks allocate nothing (the route layer runs them on every path); parse() adds the copy.
bool is_valid_room_id(std::string_view text) {
  std::optional<SigilParts> parts = split_sigil(text, '!');
  return parts && !parts->local.empty() && !has_nul(parts->local);
}

std::optional<RoomId> RoomId::parse(std::string_view text) {
  if (!is_valid_room_id(text)) return std::nullopt;
  return RoomId(text, split_sigil(text, '!')->local.size());
}

bool is_valid_event_id(std::string_view text) {
  std::optional<SigilParts> parts = split_sigil(text, '$');
  return parts && !parts->local.empty() && !has_nul(parts->local);
}

std::optional<EventId> EventId::parse(std::string_view text) {
  if (!is_valid_event_id(text)) return std::nullopt;
  return EventId(text);
}

std::optional<RoomAlias> RoomAlias::parse(std::string_view text) {
  std::optional<SigilParts> parts = split_sigil(text, '#');
  if (!parts || !parts->has_server || parts->local.empty() || has_nul(parts->local)) {
    return std::nullopt;
  }
  return RoomAlias(text, parts->local.size() + 1);
}

bool is_valid_opaque_id(std::string_view text) {
  if (text.empty() || text.size() > kMaxIdLength) return false;
  for (char c : text) {
    if (!is_printable_ascii(c)) return false;
  }
  return true;
}

std::string random_string(std::size_t length) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  internal::ensure_sodium();
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))]);
  }
  return out;
}

}  // namespace myelin::core
