#include <algorithm>
#include <cctype>

#include "http/http.h"

namespace myelin::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Query values are form-encoded: '+' stands for a space (as browsers and Synapse read them);
// a literal '+' arrives as %2B.
std::optional<std::string> decode_query_value(std::string_view text) {
  std::string spaced(text);
  for (auto& c : spaced)
    if (c == '+') c = ' ';
  return percent_decode(spaced);
}

// Calls fn(name, raw value) for each key=value pair of the query string.
template <class Fn>
void for_each_param(std::string_view query, Fn fn) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::size_t eq = pair.find('=');
    fn(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
}

// The path with the segments `pattern` captures in a parameter whose name is_secret replaced.
// The pattern matched the path, so their '/'-separated segments line up, up to a {name...}.
template <class IsSecret>
std::string loggable_path(std::string_view path, std::string_view pattern, IsSecret is_secret) {
  if (pattern.empty()) return std::string(path);
  std::string out;
  while (!path.empty()) {
    const std::size_t path_end = std::min(path.find('/', 1), path.size());
    const std::size_t pattern_end = std::min(pattern.find('/', 1), pattern.size());
    const std::string_view segment = pattern.substr(0, pattern_end);  // "/literal" or "/{name}"
    const bool param = segment.starts_with("/{") && segment.ends_with('}');
    const bool rest = param && segment.ends_with("...}");
    if (param && is_secret(segment.substr(2, segment.size() - (rest ? 6 : 3)))) {
      out += "/<redacted>";
      if (rest) return out;
    } else if (rest) {
      return out.append(path);
    } else {
      out.append(path.substr(0, path_end));
    }
    path.remove_prefix(path_end);
    pattern.remove_prefix(pattern_end);
  }
  return out;
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string_view Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return {};
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::optional<std::string> found;
  for_each_param(query, [&](std::string_view key, std::string_view value) {
    if (!found && percent_decode(key) == name) found = decode_query_value(value);
  });
  return found;
}

std::vector<std::string> Request::query_params(std::string_view name) const {
  std::vector<std::string> found;
  for_each_param(query, [&](std::string_view key, std::string_view value) {
    if (percent_decode(key) != name) return;
    if (auto decoded = decode_query_value(value)) found.push_back(std::move(*decoded));
  });
  return found;
}

std::string loggable_target(const Request& request, const std::vector<std::string>& secret_params,
                            std::string_view pattern) {
  constexpr std::size_t kMaxLogged = 1024;
  auto is_secret = [&](std::string_view name) {
    return std::find(secret_params.begin(), secret_params.end(), name) != secret_params.end();
  };
  std::string out = loggable_path(request.path, pattern, is_secret);
  char separator = '?';
  for_each_param(request.query, [&](std::string_view key, std::string_view value) {
    out += separator;
    separator = '&';
    out += key;
    const auto name = percent_decode(key);  // undecodable: redacted too
    if (!name || is_secret(*name)) out += "=<redacted>";
    else if (!value.empty()) out.append("=").append(value);
  });
  if (out.size() > kMaxLogged) out.replace(kMaxLogged, std::string::npos, "...");
  return out;
}

ByteRange parse_byte_range(std::string_view header, std::uint64_t size) {
  const ByteRange whole{ByteRange::kWhole, 0, size};
  if (!header.starts_with("bytes=")) return whole;
  header.remove_prefix(6);
  const std::size_t dash = header.find('-');
  if (dash == std::string_view::npos || header.find(',') != std::string_view::npos) return whole;
  auto number = [](std::string_view text) -> std::optional<std::uint64_t> {
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
  };
  const std::string_view first_text = header.substr(0, dash), last_text = header.substr(dash + 1);
  if (first_text.empty()) {  // "bytes=-N": the last N bytes
    auto suffix = number(last_text);
    if (!suffix) return whole;
    if (*suffix == 0 || size == 0) return ByteRange{ByteRange::kUnsatisfiable, 0, 0};
    const std::uint64_t length = std::min(*suffix, size);
    return ByteRange{ByteRange::kRange, size - length, length};
  }
  auto first = number(first_text);
  if (!first) return whole;
  if (*first >= size) return ByteRange{ByteRange::kUnsatisfiable, 0, 0};
  std::uint64_t last = size - 1;
  if (!last_text.empty()) {
    auto parsed = number(last_text);
    if (!parsed || *parsed < *first) return whole;
    last = std::min(*parsed, size - 1);
  }
  return ByteRange{ByteRange::kRange, *first, last - *first + 1};
}

}  // namespace myelin::http
