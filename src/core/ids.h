#pragma once
// Matrix identifiers (appendices.md, "Identifier Grammar"). parse() is lenient where the spec
// asks servers to accept historical identifiers; is_valid_*_strict() is what myelin itself
// generates and accepts for new local users. All functions are pure and total.
#include <optional>
#include <string>
#include <string_view>

namespace myelin::core {

// A server name: hostname, IPv4 literal or bracketed IPv6 literal, optional :port (1-65535).
struct ServerName {
  std::string host;            // as written, brackets kept for IPv6
  std::optional<int> port;
  static std::optional<ServerName> parse(std::string_view text);
  std::string str() const;     // host[:port]
};
bool is_valid_server_name(std::string_view text);

// @localpart:server. Lenient: localpart is any printable ASCII except ':' (historical),
// total length <= 255 bytes.
struct UserId {
  std::string localpart;
  std::string server;
  static std::optional<UserId> parse(std::string_view text);
  std::string str() const;
};
// The strict grammar for new user IDs: [a-z0-9._=\-/+]+ and the whole ID <= 255 bytes.
bool is_valid_localpart_strict(std::string_view localpart);

// !opaque:server for room versions 1-11; !opaque (no server) for v12 hash-derived IDs.
// Both forms are accepted; server is empty for the second.
struct RoomId {
  std::string opaque;
  std::string server;
  static std::optional<RoomId> parse(std::string_view text);
};
bool is_valid_room_id(std::string_view text);

// $opaque (v4+ event IDs; $opaque:server accepted as historical). <= 255 bytes.
bool is_valid_event_id(std::string_view text);

// #alias:server, <= 255 bytes.
struct RoomAlias {
  std::string localpart;
  std::string server;
  static std::optional<RoomAlias> parse(std::string_view text);
  std::string str() const;
};

// Device IDs, transaction IDs and other opaque client-chosen strings: 1-255 bytes of
// printable ASCII. (Clients use '-', '_', '.', '~'; anything printable is accepted.)
bool is_valid_opaque_id(std::string_view text);

// A random string of `length` characters from [A-Za-z0-9] (libsodium randombytes).
std::string random_string(std::size_t length);

}  // namespace myelin::core
