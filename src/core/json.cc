#include "core/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

namespace myelin::core {
namespace {

constexpr int kMaxDepth = 64;
constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53) - 1;

// Runs of bytes that need no escape are appended whole.
void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[u >> 4]);
        out.push_back(kHex[u & 0xf]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

template <class N>
void append_integer(std::string& out, N n) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// Integral doubles (e.g. 1e10, -0) are written as integers, as the spec's examples require;
// anything else gets the shortest form that reads back to the same double.
void append_double(std::string& out, double d) {
  if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18) {
    append_integer(out, static_cast<std::int64_t>(d));
    return;
  }
  if (!std::isfinite(d)) {  // not representable in JSON; Boost writes these as 1e99999
    out += std::isnan(d) ? "null" : (d > 0 ? "1e99999" : "-1e99999");
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, end);
}

void append_object(std::string& out, const json::object& obj, std::initializer_list<std::string_view> skipped);

void append_value(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: append_integer(out, v.get_int64()); break;
    case json::kind::uint64: append_integer(out, v.get_uint64()); break;
    case json::kind::double_: append_double(out, v.get_double()); break;
    case json::kind::string: append_string(out, v.get_string()); break;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const json::value& item : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        append_value(out, item);
      }
      out.push_back(']');
      break;
    }
    case json::kind::object: append_object(out, v.get_object(), {}); break;
  }
}

void append_object(std::string& out, const json::object& obj, std::initializer_list<std::string_view> skipped) {
  std::vector<const json::key_value_pair*> members;
  members.reserve(obj.size());
  for (const auto& kv : obj)
    if (std::find(skipped.begin(), skipped.end(), std::string_view(kv.key())) == skipped.end()) members.push_back(&kv);
  // Byte-wise order of UTF-8 keys is code point order.
  std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->key() < b->key(); });
  out.push_back('{');
  bool first = true;
  for (const auto* kv : members) {
    if (!first) out.push_back(',');
    first = false;
    append_string(out, kv->key());
    out.push_back(':');
    append_value(out, kv->value());
  }
  out.push_back('}');
}

void append_path_key(std::string& path, std::string_view key) {
  if (!path.empty()) path.push_back('.');
  path += key;
}

Status check_numbers_at(const json::value& v, std::string& path) {
  auto bad = [&](std::string_view what) {
    return fail(Errc::kBadJson, std::string(what) + " at " + (path.empty() ? std::string("(root)") : path));
  };
  switch (v.kind()) {
    case json::kind::double_: return bad("float values are not allowed");
    case json::kind::int64: {
      const std::int64_t n = v.get_int64();
      if (n > kMaxSafeInteger || n < -kMaxSafeInteger) return bad("integer out of range");
      return {};
    }
    case json::kind::uint64:
      if (v.get_uint64() > static_cast<std::uint64_t>(kMaxSafeInteger)) {
        return bad("integer out of range");
      }
      return {};
    case json::kind::array: {
      std::size_t i = 0;
      for (const json::value& item : v.get_array()) {
        const std::size_t saved = path.size();
        path += "[" + std::to_string(i++) + "]";
        Status s = check_numbers_at(item, path);
        path.resize(saved);
        if (!s) return s;
      }
      return {};
    }
    case json::kind::object:
      for (const auto& kv : v.get_object()) {
        const std::size_t saved = path.size();
        append_path_key(path, kv.key());
        Status s = check_numbers_at(kv.value(), path);
        path.resize(saved);
        if (!s) return s;
      }
      return {};
    default: return {};
  }
}

// Builds the value as json::parser does, and counts the members the text's objects have.
// Boost.JSON keeps the last of duplicate keys, so a text with duplicates builds fewer members
// than it has: one counter here and one walk of the result find them.
struct CountingHandler {
  using error_code = boost::system::error_code;
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::size_t members = 0;

  CountingHandler(unsigned char* temp, std::size_t size) : st(json::storage_ptr(), temp, size) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) {
    members += n;
    st.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, error_code&) {
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }
};

std::size_t count_members(const json::value& v) {
  std::size_t n = 0;
  if (const json::object* object = v.if_object()) {
    n = object->size();
    for (const auto& kv : *object) n += count_members(kv.value());
  } else if (const json::array* array = v.if_array()) {
    for (const json::value& item : *array) n += count_members(item);
  }
  return n;
}

}  // namespace

Result<json::value> parse_json(std::string_view text) {
  json::parse_options options;
  options.max_depth = kMaxDepth;
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  options.allow_invalid_utf8 = false;
  unsigned char temp[BOOST_JSON_STACK_BUFFER_SIZE];  // the parse's scratch space, as json::parse has
  json::basic_parser<CountingHandler> parser(options, temp, sizeof temp);
  parser.handler().st.reset();
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec) return fail(Errc::kNotJson, "Content not JSON: " + ec.message());
  json::value v = parser.handler().st.release();
  // Duplicate keys make an object ambiguous (which value was signed?): refused.
  if (count_members(v) != parser.handler().members) return fail(Errc::kNotJson, "Content not JSON: duplicate key");
  return v;
}

Result<json::object> parse_json_object(std::string_view text) {
  Result<json::value> v = parse_json(text);
  if (!v) return std::unexpected(std::move(v.error()));
  if (!v->is_object()) return fail(Errc::kNotJson, "Content not a JSON object");
  return std::move(v->get_object());
}

std::string canonical_json(const json::value& v) {
  std::string out;
  append_value(out, v);
  return out;
}

std::string canonical_json_without(const json::object& object, std::initializer_list<std::string_view> skipped) {
  std::string out;
  append_object(out, object, skipped);
  return out;
}

Status check_event_numbers(const json::value& v) {
  std::string path;
  return check_numbers_at(v, path);
}

std::string to_string(const json::value& v) { return json::serialize(v); }

std::string to_string(const json::object& o) { return json::serialize(o); }

json::object& child(json::object& parent, std::string_view key) {
  json::value& value = parent[key];
  return value.is_object() ? value.get_object() : value.emplace_object();
}

}  // namespace myelin::core
