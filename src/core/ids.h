#pragma once
// Matrix identifiers (appendices.md, "Identifier Grammar") as typed values. parse() is lenient
// where the spec asks servers to accept historical identifiers; is_valid_*_strict() is what
// myelin itself generates and accepts for new local users. All functions are pure and total.
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace myelin::core {

// An identifier checked once, where it enters (a request, another server's event), against its
// grammar, and then passed around typed. It keeps the text the protocol and the store use, and
// converts to it implicitly, so reading one never allocates; only parse() makes one, and a value
// read back from the server's own store is remade with parse() too (it was checked on the way in).
template <class Self>
class Identifier {
 public:
  const std::string& str() const { return text_; }
  operator const std::string&() const { return text_; }
  friend bool operator==(const Self& a, const Self& b) { return a.text_ == b.text_; }
  friend auto operator<=>(const Self& a, const Self& b) { return a.text_ <=> b.text_; }
  friend bool operator==(const Self& a, std::string_view b) { return a.text_ == b; }

 protected:
  explicit Identifier(std::string_view text) : text_(text) {}
  std::string text_;
};

// A server name: hostname, IPv4 literal or bracketed IPv6 literal, optional :port (1-65535).
class ServerName : public Identifier<ServerName> {
 public:
  static std::optional<ServerName> parse(std::string_view text);
  std::string_view host() const { return std::string_view(text_).substr(0, host_size_); }  // brackets kept for IPv6
  std::optional<int> port() const { return port_; }

 private:
  ServerName(std::string_view text, std::size_t host_size, std::optional<int> port)
      : Identifier(text), host_size_(host_size), port_(port) {}
  std::size_t host_size_;
  std::optional<int> port_;
};
bool is_valid_server_name(std::string_view text);

// @localpart:server. Lenient: localpart is any printable ASCII except ':' (historical),
// total length <= 255 bytes.
class UserId : public Identifier<UserId> {
 public:
  static std::optional<UserId> parse(std::string_view text);
  std::string_view localpart() const { return std::string_view(text_).substr(1, colon_ - 1); }
  std::string_view server() const { return std::string_view(text_).substr(colon_ + 1); }

 private:
  UserId(std::string_view text, std::size_t colon) : Identifier(text), colon_(colon) {}
  std::size_t colon_;
};
// The strict grammar for new user IDs: [a-z0-9._=\-/+]+ and the whole ID <= 255 bytes.
bool is_valid_localpart_strict(std::string_view localpart);

// !opaque:server for room versions 1-11; !opaque (no server) for v12 hash-derived IDs.
// Both forms are accepted; server() is empty for the second.
class RoomId : public Identifier<RoomId> {
 public:
  static std::optional<RoomId> parse(std::string_view text);
  std::string_view opaque() const { return std::string_view(text_).substr(1, opaque_size_); }
  std::string_view server() const {
    return opaque_size_ + 1 < text_.size() ? std::string_view(text_).substr(opaque_size_ + 2) : std::string_view();
  }

 private:
  RoomId(std::string_view text, std::size_t opaque_size) : Identifier(text), opaque_size_(opaque_size) {}
  std::size_t opaque_size_;
};
bool is_valid_room_id(std::string_view text);

// $opaque (v4+ event IDs; $opaque:server accepted as historical). <= 255 bytes.
class EventId : public Identifier<EventId> {
 public:
  static std::optional<EventId> parse(std::string_view text);

 private:
  explicit EventId(std::string_view text) : Identifier(text) {}
};
bool is_valid_event_id(std::string_view text);

// #alias:server, <= 255 bytes.
class RoomAlias : public Identifier<RoomAlias> {
 public:
  static std::optional<RoomAlias> parse(std::string_view text);
  std::string_view localpart() const { return std::string_view(text_).substr(1, colon_ - 1); }
  std::string_view server() const { return std::string_view(text_).substr(colon_ + 1); }

 private:
  RoomAlias(std::string_view text, std::size_t colon) : Identifier(text), colon_(colon) {}
  std::size_t colon_;
};

// Device IDs, transaction IDs and other opaque client-chosen strings: 1-255 bytes of
// printable ASCII. (Clients use '-', '_', '.', '~'; anything printable is accepted.)
bool is_valid_opaque_id(std::string_view text);

// A random string of `length` characters from [A-Za-z0-9] (libsodium randombytes).
std::string random_string(std::size_t length);

}  // namespace myelin::core
