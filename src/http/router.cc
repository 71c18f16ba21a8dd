#include <map>

#include "http/http.h"

namespace myelin::http {

namespace {

struct Segment {
  std::string literal;  // empty for a parameter
  bool param = false;
  bool rest = false;  // {name...}: the rest of the path, '/' included
};

}  // namespace

struct Router::Route {
  std::string method;
  std::string pattern;
  std::vector<Segment> segments;
  Handler handler;
  std::optional<StreamedBody> streamed;
  std::uint64_t body_limit = 0;
};

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (true) {
    std::size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// Matches and fills `params` (percent-decoded). False on mismatch or a malformed escape.
bool match(const std::vector<Segment>& pattern, const std::vector<std::string_view>& parts, std::string_view path,
           std::vector<std::string>& params) {
  params.clear();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const auto& segment = pattern[i];
    if (segment.rest) {
      if (i >= parts.size()) return false;
      // The remainder of the raw path from this segment on.
      std::size_t offset = static_cast<std::size_t>(parts[i].data() - path.data());
      auto decoded = percent_decode(path.substr(offset));
      if (!decoded) return false;  // may be empty: "/state/m.room.name/" names state key ""
      params.push_back(std::move(*decoded));
      return true;
    }
    if (i >= parts.size()) return false;
    if (segment.param) {
      if (parts[i].empty()) return false;
      auto decoded = percent_decode(parts[i]);
      if (!decoded) return false;
      params.push_back(std::move(*decoded));
    } else if (parts[i] != segment.literal) {
      return false;
    }
  }
  return parts.size() == pattern.size();
}

}  // namespace

void Router::add(std::string_view method, std::string_view pattern, Handler handler,
                 std::optional<StreamedBody> streamed, std::uint64_t body_limit) {
  auto route = std::make_shared<Route>();
  route->method = std::string(method);
  route->pattern = std::string(pattern);
  route->handler = std::move(handler);
  route->streamed = std::move(streamed);
  route->body_limit = body_limit;
  for (std::string_view part : split_path(pattern)) {
    Segment segment;
    if (part.starts_with('{') && part.ends_with('}')) {
      segment.param = true;
      segment.rest = part.ends_with("...}");
    } else {
      segment.literal = std::string(part);
    }
    route->segments.push_back(std::move(segment));
  }
  routes_.push_back(std::move(route));
}

void Router::set_fallbacks(Handler not_found, Handler wrong_method) {
  not_found_ = std::move(not_found);
  wrong_method_ = std::move(wrong_method);
}

const Router::Route* Router::find(std::string_view method, std::string_view path) const {
  if (method == "HEAD") method = "GET";
  const auto parts = split_path(path);
  std::vector<std::string> params;
  for (const auto& route : routes_)
    if (route->method == method && match(route->segments, parts, path, params)) return route.get();
  return nullptr;
}

const StreamedBody* Router::streamed_body(std::string_view method, std::string_view path) const {
  const Route* route = find(method, path);
  return route && route->streamed ? &*route->streamed : nullptr;
}

std::uint64_t Router::body_limit(std::string_view method, std::string_view path) const {
  const Route* route = find(method, path);
  return route ? route->body_limit : 0;
}

std::string_view Router::pattern(std::string_view method, std::string_view path) const {
  const Route* route = find(method, path);
  return route ? std::string_view(route->pattern) : std::string_view();
}

void Router::dispatch(Request& request, Responder respond) const {
  const auto parts = split_path(request.path);
  std::string_view method = request.method;
  if (method == "HEAD") method = "GET";
  std::vector<std::string> params;
  bool path_known = false;
  for (const auto& route : routes_) {
    if (!match(route->segments, parts, request.path, params)) continue;
    if (route->method != method) {
      path_known = true;
      continue;
    }
    request.params = std::move(params);
    route->handler(request, std::move(respond));
    return;
  }
  const Handler& fallback = path_known ? wrong_method_ : not_found_;
  if (fallback) {
    fallback(request, std::move(respond));
  } else {
    respond(Response{path_known ? 405 : 404, "application/json", "{}", {}, {}});
  }
}

}  // namespace myelin::http
