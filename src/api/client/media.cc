// The content repository (client-server-api "Content repository"):
// POST /_matrix/media/v3/upload, POST /_matrix/media/v1/create,
// PUT  /_matrix/media/v3/upload/{serverName}/{mediaId},
// GET  /_matrix/client/v1/media/config, .../download/{serverName}/{mediaId}[/{fileName}],
//      .../thumbnail/{serverName}/{mediaId};
// for another server's media, homeserver/media/remote_media.h (fetched over federation);
// the frozen unauthenticated GET /_matrix/media/v3/download|thumbnail (off unless configured;
// local media only, never fetched from another server);
// GET /_matrix/client/v1/media/preview_url (homeserver/url_preview.h);
// and myelin's own GET /_myelin/media/v1/uploads, DELETE /_myelin/media/v1/uploads/{mediaId}
// (docs/media.md).
#include <algorithm>

#include "api/client/media.h"

#include "api/handlers.h"
#include "homeserver/media/media.h"

namespace myelin::api {
namespace {

using core::Errc;

constexpr const char* kContentSecurityPolicy =
    "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; "
    "object-src 'self';";

// Sends a file with the spec's safe-serving headers, honouring a single byte range.
void serve(Call& call, const homeserver::Servable& file, std::string_view file_name) {
  http::Response response;
  response.content_type = served_type(file);
  response.headers = {{"Content-Disposition", content_disposition(file, file_name)},
                      {"Content-Security-Policy", kContentSecurityPolicy},
                      {"X-Content-Type-Options", "nosniff"},
                      {"Cross-Origin-Resource-Policy", "cross-origin"},
                      {"Accept-Ranges", "bytes"},
                      {"Cache-Control", "private, max-age=86400"}};
  const http::ByteRange range = http::parse_byte_range(call.request.header("Range"), file.size);
  if (range.kind == http::ByteRange::kUnsatisfiable) {
    response.status = 416;
    response.headers.emplace_back("Content-Range", "bytes */" + std::to_string(file.size));
    return call.respond(std::move(response));
  }
  if (range.kind == http::ByteRange::kRange) {
    response.status = 206;
    response.headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                       std::to_string(range.first + range.length - 1) + "/" +
                                                       std::to_string(file.size));
  }
  response.file = http::Response::FileRange{file.path, range.first, range.length, "", ""};
  call.respond(std::move(response));
}

// The declared type of an upload (application/octet-stream when absent or unreasonable).
std::string upload_type(const Call& call) {
  std::string_view type = call.request.header("Content-Type");
  if (type.empty() || type.size() > 255) return "application/octet-stream";
  for (char c : type)
    if (c < 0x20 || c > 0x7e) return "application/octet-stream";
  return std::string(type);
}

core::Result<std::string> upload_name(const Call& call) {
  std::string name = call.request.query_param("filename").value_or("");
  if (name.size() > 255) return core::fail(Errc::kInvalidParam, "filename is too long");
  return name;
}

homeserver::MediaRepository::UploadDone answer(Call& call) {
  return [call](core::Result<json::object> result) {
    if (!result) return call.fail(result.error());
    call.reply(*result);
  };
}

// `allow_remote`: another server's media is fetched from it (the authenticated endpoints only).
void download(Call& call, bool allow_remote) {
  const std::string file_name = call.request.params.size() > 2 ? call.param(2) : "";
  if (allow_remote && call.param(0) != call.hs.media.server_name())
    return call.hs.remote_media.download(call.param(0), call.param(1),
                                         [call, file_name](core::Result<homeserver::Servable> file) mutable {
                                           if (!file) return call.fail(file.error());
                                           serve(call, *file, file_name);
                                         });
  auto file = call.hs.media.download(call.param(0), call.param(1));
  if (!file) return call.fail(file.error());
  serve(call, *file, file_name);
}

void thumbnail(Call& call, bool allow_remote) {
  auto spec = thumbnail_spec(call.request);
  if (!spec) return call.fail(spec.error());
  auto answer = [call](core::Result<homeserver::Servable> file) mutable {
    if (!file) return call.fail(file.error());
    serve(call, *file, "");
  };
  if (allow_remote && call.param(0) != call.hs.media.server_name())
    return call.hs.remote_media.thumbnail(call.param(0), call.param(1), *spec, std::move(answer));
  call.hs.media.thumbnail(call.param(0), call.param(1), *spec, std::move(answer));
}

bool legacy_allowed(Call& call) {
  if (call.hs.media.serves_legacy_downloads()) return true;
  // Frozen (client-server-api "Content repository"): media is only served with authentication.
  call.fail(core::make_error(Errc::kNotFound, "Media is only served through the authenticated endpoints"));
  return false;
}

}  // namespace

std::string served_type(const homeserver::Servable& file) {
  return file.content_type.empty() ? "application/octet-stream" : file.content_type;
}

namespace {

// RFC 7230's token characters: such a name goes as a bare filename= (RFC 6266), which every
// client reads; any other in filename*, percent-encoded UTF-8.
bool is_token(std::string_view name) {
  return std::ranges::all_of(name, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

}  // namespace

std::string content_disposition(const homeserver::Servable& file, std::string_view file_name) {
  std::string disposition = homeserver::servable_inline(served_type(file)) ? "inline" : "attachment";
  const std::string_view name = file_name.empty() ? std::string_view(file.upload_name) : file_name;
  if (name.empty()) return disposition;
  if (is_token(name)) return disposition + "; filename=" + std::string(name);
  return disposition + "; filename*=utf-8''" + http::percent_encode(name);
}

core::Result<media::ThumbnailSpec> thumbnail_spec(const http::Request& request) {
  auto width = int_query_param(request, "width", -1);
  auto height = int_query_param(request, "height", -1);
  if (!width) return std::unexpected(width.error());
  if (!height) return std::unexpected(height.error());
  if (*width <= 0 || *height <= 0) return core::fail(Errc::kInvalidParam, "width and height must be positive integers");
  // The sizes asked for are minimums: anything beyond the largest standard thumbnail gets that
  // one (or the original when it is smaller), so a huge size costs nothing more (Quaternion
  // asks for height=65535).
  auto side = [](std::int64_t value) { return static_cast<int>(std::min<std::int64_t>(value, 1 << 20)); };
  const std::string method = request.query_param("method").value_or("scale");
  if (method != "scale" && method != "crop") return core::fail(Errc::kInvalidParam, "method must be crop or scale");
  return media::ThumbnailSpec{side(*width), side(*height), method == "crop",
                              request.query_param("animated").value_or("false") == "true"};
}

void post_media_upload(Call& call) {
  auto name = upload_name(call);
  if (!name) return call.fail(name.error());
  call.hs.media.upload(call.user(), call.request.body_file, upload_type(call), *name, answer(call));
}

void post_media_create(Call& call) {
  auto created = call.hs.media.create(call.user());
  if (!created) return call.fail(created.error());
  call.reply(*created);
}

void put_media_upload(Call& call) {
  auto name = upload_name(call);
  if (!name) return call.fail(name.error());
  call.hs.media.upload_to(call.user(), call.param(0), call.param(1), call.request.body_file, upload_type(call), *name,
                          answer(call));
}

void get_media_config(Call& call) { call.reply(json::object{{"m.upload.size", call.hs.media.max_upload_bytes()}}); }

void get_media_download(Call& call) { download(call, true); }

void get_media_thumbnail(Call& call) { thumbnail(call, true); }

void get_legacy_media_download(Call& call) {
  if (legacy_allowed(call)) download(call, false);
}

void get_legacy_media_thumbnail(Call& call) {
  if (legacy_allowed(call)) thumbnail(call, false);
}

void get_own_media(Call& call) {
  auto limit = int_query_param(call.request, "limit", 100);
  if (!limit) return call.fail(limit.error());
  const auto bounded = static_cast<std::size_t>(std::clamp<std::int64_t>(*limit, 1, 1000));
  auto page = call.hs.media.list(call.user().user_id, call.request.query_param("from").value_or(""), bounded);
  if (!page) return call.fail(page.error());
  call.reply(*page);
}

void delete_own_media(Call& call) {
  if (auto removed = call.hs.media.remove(call.user().user_id, call.user().admin, call.param(0)); !removed)
    return call.fail(removed.error());
  call.reply(json::object{});
}

void get_preview_url(Call& call) {
  auto url = call.request.query_param("url");
  if (!url) return call.fail(core::make_error(Errc::kMissingParam, "Missing url"));
  call.hs.url_previews.preview(*url, [call](core::Result<json::object> preview) {
    if (!preview) return call.fail(preview.error());
    call.reply(*preview);
  });
}

}  // namespace myelin::api
