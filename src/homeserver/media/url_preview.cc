#include "homeserver/media/url_preview.h"

#include <cctype>
#include <memory>

#include "core/clock.h"
#include "http/client.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

// A preview keeps at most kMaxProperties properties, each name at most kMaxName bytes and
// each value at most kMaxValue (a page has a handful of og: tags), so the cache holds at most
// about kMaxCached * 35 kB however hostile the pages.
constexpr std::size_t kMaxCached = 1000;
constexpr std::int64_t kCacheMs = 3600 * 1000;
constexpr std::size_t kMaxValue = 1000;
constexpr std::size_t kMaxName = 64;
constexpr std::size_t kMaxProperties = 32;

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// &amp; &lt; &gt; &quot; &#39; &apos; — the entities Open Graph values use in practice.
std::string decode_entities(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {{"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},
                                                                    {"&quot;", '"'}, {"&#39;", '\''}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [entity, c] : kEntities) {
      if (text.substr(i, entity.size()) == entity) {
        out += c;
        i += entity.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out.size() > kMaxValue ? out.substr(0, kMaxValue) : out;
}

// The attributes of one tag's text (after its name): name -> value, names lower-cased.
std::unordered_map<std::string, std::string> attributes(std::string_view tag) {
  std::unordered_map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < tag.size()) {
    while (i < tag.size() && (std::isspace(static_cast<unsigned char>(tag[i])) || tag[i] == '/')) ++i;
    const std::size_t name_start = i;
    while (i < tag.size() && tag[i] != '=' && !std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    std::string name = lower(tag.substr(name_start, i - name_start));
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    if (i >= tag.size() || tag[i] != '=') {
      if (name.empty()) ++i;
      continue;
    }
    ++i;
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    std::string value;
    if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
      const char quote = tag[i++];
      const std::size_t end = tag.find(quote, i);
      value = std::string(tag.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
      i = end == std::string_view::npos ? tag.size() : end + 1;
    } else {
      const std::size_t start = i;
      while (i < tag.size() && !std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
      value = std::string(tag.substr(start, i - start));
    }
    if (!name.empty()) out.emplace(std::move(name), decode_entities(value));
  }
  return out;
}

}  // namespace

json::object open_graph(std::string_view html) {
  json::object out;
  const std::string lowered = lower(html);
  for (std::size_t at = lowered.find("<meta"); at != std::string::npos; at = lowered.find("<meta", at + 5)) {
    const std::size_t end = lowered.find('>', at);
    if (end == std::string::npos) break;
    auto attrs = attributes(html.substr(at + 5, end - at - 5));
    std::string property = attrs.contains("property") ? attrs["property"] : attrs["name"];
    property = lower(property);
    if (!property.starts_with("og:") || property.starts_with("og:image") || property.size() > kMaxName ||
        !attrs.contains("content"))
      continue;
    if (!out.contains(property)) out[property] = attrs["content"];
    if (out.size() == kMaxProperties) break;
  }
  if (!out.contains("og:title")) {
    const std::size_t open = lowered.find("<title");
    const std::size_t start = open == std::string::npos ? open : lowered.find('>', open);
    const std::size_t close = start == std::string::npos ? start : lowered.find("</title", start);
    if (close != std::string::npos) {
      std::string title = decode_entities(html.substr(start + 1, close - start - 1));
      const auto first = title.find_first_not_of(" \t\r\n"), last = title.find_last_not_of(" \t\r\n");
      if (first != std::string::npos) out["og:title"] = title.substr(first, last - first + 1);
    }
  }
  return out;
}

bool UrlPreviews::may_connect(const std::string& ip) const {
  return http::is_allowed_address(ip, config_.url_preview_ip_allowlist);
}

void UrlPreviews::preview(const std::string& url, std::function<void(core::Result<json::object>)> done) {
  if (!config_.url_previews) return done(core::fail(Errc::kUnrecognized, "URL previews are turned off on this server"));
  const std::int64_t now = core::now_ms();
  if (auto cached = cache_.find(url); cached != cache_.end() && cached->second.expires_ms > now)
    return done(cached->second.preview);
  struct Outcome {
    std::optional<http::FetchResult> page;
    http::FetchError error{http::FetchError::kUnreachable, ""};
  };
  auto outcome = std::make_shared<Outcome>();
  http::FetchOptions options;
  options.may_connect = [this](const std::string& ip) { return may_connect(ip); };  // reads config only
  scheduler_.run_waiting(
      [url, options, outcome] { outcome->page = http::fetch(url, options, outcome->error); },
      [this, url, outcome, done = std::move(done)] {
        if (!outcome->page) {
          switch (outcome->error.kind) {
            case http::FetchError::kBadUrl: return done(core::fail(Errc::kInvalidParam, outcome->error.message));
            case http::FetchError::kBlocked: return done(core::fail(Errc::kForbidden, outcome->error.message));
            default: return done(core::fail(Errc::kUnknown, "Cannot fetch the page: " + outcome->error.message, 502));
          }
        }
        json::object preview;
        if (outcome->page->status == 200 && lower(outcome->page->content_type).find("html") != std::string::npos)
          preview = open_graph(outcome->page->body);
        const std::int64_t now = core::now_ms();
        if (cache_.size() >= kMaxCached)
          std::erase_if(cache_, [now](const auto& entry) { return entry.second.expires_ms <= now; });
        if (cache_.size() >= kMaxCached) cache_.clear();
        cache_[url] = Cached{preview, now + kCacheMs};
        done(std::move(preview));
      });
}

}  // namespace myelin::homeserver
