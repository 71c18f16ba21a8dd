#include "homeserver/federation/x_matrix.h"

namespace myelin::homeserver {

json::object request_json(const SignedRequest& request) {
  json::object object{{"method", request.method},
                      {"uri", request.target},
                      {"origin", request.origin},
                      {"destination", request.destination}};
  if (request.content != nullptr) object["content"] = *request.content;
  return object;
}

std::string x_matrix_authorization(const SignedRequest& request, const core::SigningKey& key) {
  json::object object = request_json(request);
  core::sign_json(object, request.origin, key);
  const std::string_view signature =
      object["signatures"].as_object()[request.origin].as_object()[key.key_id()].as_string();
  std::string header = "X-Matrix origin=\"";
  header.append(request.origin).append("\",destination=\"").append(request.destination);
  header.append("\",key=\"").append(key.key_id()).append("\",sig=\"").append(signature).append("\"");
  return header;
}

}  // namespace myelin::homeserver

namespace myelin::homeserver {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// RFC 9110 tchar, plus ':' (the spec asks recipients to allow colons in bare values).
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~:").find(c) != std::string_view::npos;
}

void skip_spaces(std::string_view text, std::size_t& i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
}

}  // namespace

std::optional<XMatrix> parse_x_matrix(std::string_view header) {
  constexpr std::string_view kScheme = "X-Matrix";
  if (header.size() <= kScheme.size() || !equals_ignoring_case(header.substr(0, kScheme.size()), kScheme) ||
      header[kScheme.size()] != ' ')
    return std::nullopt;
  XMatrix parsed;
  std::size_t i = kScheme.size();
  skip_spaces(header, i);
  while (i < header.size()) {
    const std::size_t name_start = i;
    while (i < header.size() && is_token_char(header[i]) && header[i] != ':') ++i;
    const std::string_view name = header.substr(name_start, i - name_start);
    skip_spaces(header, i);
    if (name.empty() || i >= header.size() || header[i] != '=') return std::nullopt;
    ++i;
    skip_spaces(header, i);
    std::string value;
    if (i < header.size() && header[i] == '"') {
      for (++i;; ++i) {
        if (i >= header.size()) return std::nullopt;  // unterminated
        if (header[i] == '"') break;
        if (header[i] == '\\' && ++i >= header.size()) return std::nullopt;
        value.push_back(header[i]);
      }
      ++i;
    } else {
      const std::size_t start = i;
      while (i < header.size() && is_token_char(header[i])) ++i;
      value = header.substr(start, i - start);
      if (value.empty()) return std::nullopt;
    }
    std::string key;
    for (char c : name) key.push_back(lower(c));
    if (key == "origin") parsed.origin = std::move(value);
    else if (key == "destination") parsed.destination = std::move(value);
    else if (key == "key") parsed.key = std::move(value);
    else if (key == "sig") parsed.sig = std::move(value);
    skip_spaces(header, i);
    if (i < header.size() && header[i] != ',') return std::nullopt;
    ++i;
    skip_spaces(header, i);
  }
  if (parsed.origin.empty() || parsed.key.empty() || parsed.sig.empty()) return std::nullopt;
  return parsed;
}

}  // namespace myelin::homeserver
