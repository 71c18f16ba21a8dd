#pragma once
// JSON values are Boost.JSON values. This header adds the strict parser used for every
// incoming body and event, and the spec's canonical JSON encoding used for hashing and signing
// (appendices.md, "Canonical JSON").
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "core/error.h"

namespace myelin {
namespace json = boost::json;
}

namespace myelin::core {

// Parses untrusted text. Fails with M_NOT_JSON for anything that is not exactly one JSON
// value (syntax errors, trailing garbage, invalid UTF-8, nesting deeper than 64, an object
// with a key twice).
Result<json::value> parse_json(std::string_view text);

// Like parse_json, but the value must be an object (M_NOT_JSON otherwise; M_BAD_JSON would be
// wrong because it is not JSON of the right shape... the spec's servers answer M_NOT_JSON).
Result<json::object> parse_json_object(std::string_view text);

// Canonical JSON: keys sorted by code point, no insignificant white space, shortest escapes
// (only ", \\ and control characters escaped, \uXXXX lower-case hex except \b \f \n \r \t),
// UTF-8 output. Integral doubles (1e10, -0.0) are written as integers, other doubles in their
// shortest round-trip form; callers that must be canonical call check_event_numbers first.
std::string canonical_json(const json::value& v);
// The canonical JSON of `object` without its top-level members named in `skipped` (what is
// hashed and signed of an event), without copying it.
std::string canonical_json_without(const json::object& object, std::initializer_list<std::string_view> skipped);

// Room versions 6+: an event may only contain integers in [-(2^53)+1, (2^53)-1] and no
// floats. Fails with M_BAD_JSON naming the offending value's path.
Status check_event_numbers(const json::value& v);

// The object under `key`, created empty when absent (or replacing a non-object value), for
// building nested responses: child(child(root, "a"), "b")["c"] = 1.
json::object& child(json::object& parent, std::string_view key);

// Compact (non-canonical) serialisation for responses; just boost::json::serialize.
std::string to_string(const json::value& v);
std::string to_string(const json::object& o);  // without copying it into a value first

}  // namespace myelin::core
