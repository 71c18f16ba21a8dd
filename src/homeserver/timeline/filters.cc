// Kept filters (homeserver/timeline/filters.h).
#include "homeserver/timeline/filters.h"

#include "core/clock.h"
#include "core/crypto.h"

namespace myelin::homeserver {

using core::Errc;

std::optional<std::string> Filters::kept(const std::string& user_id, const std::string& filter_id) {
  try {
    return store_.filter(user_id, std::stoll(filter_id), core::now_ms());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

core::Result<std::string> Filters::create(const std::string& user_id, const json::object& definition) {
  if (auto valid = Filter::parse(definition); !valid) return std::unexpected(valid.error());
  // Clients post the same filter at every start: an identical one (as canonical JSON) is kept once.
  std::string canonical = core::canonical_json(definition);
  if (canonical.size() > kMaxFilterBytes)
    return core::fail(Errc::kTooLarge, "A filter is at most " + std::to_string(kMaxFilterBytes) + " bytes");
  std::int64_t id =
      store_.add_filter(user_id, canonical, core::sha256(canonical), core::now_ms(), config_.filters_per_user);
  return std::to_string(id);
}

core::Result<json::value> Filters::definition(const std::string& user_id, const std::string& filter_id) {
  auto text = kept(user_id, filter_id);
  if (!text) return core::fail(Errc::kNotFound, "Unknown filter");
  auto parsed = core::parse_json(*text);
  if (!parsed) return core::fail(Errc::kInternal, "Stored filter is not JSON");
  return std::move(*parsed);
}

core::Result<Filter> Filters::for_sync(const std::string& user_id, const std::optional<std::string>& param) {
  if (!param) return Filter{};
  std::optional<std::string> text = param->starts_with("{") ? param : kept(user_id, *param);
  if (!text) return core::fail(Errc::kNotFound, "Unknown filter");
  auto parsed = core::parse_json_object(*text);
  if (!parsed) return core::fail(Errc::kBadJson, "Filter is not a JSON object");
  return Filter::parse(*parsed);
}

}  // namespace myelin::homeserver
