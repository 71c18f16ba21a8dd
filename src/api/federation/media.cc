// GET /_matrix/federation/v1/media/download/{mediaId}   — server-server-api "Content Repository"
// GET /_matrix/federation/v1/media/thumbnail/{mediaId}
// Our own media only, exactly as our clients get it (deleted, pending and unknown media alike;
// thumbnails at the same standard sizes), as multipart/mixed: `{}` metadata, then the bytes.
#include "api/client/media.h"
#include "api/handlers.h"
#include "homeserver/federation/media_multipart.h"

namespace myelin::api {
namespace {

void serve_multipart(Call& call, const homeserver::Servable& file) {
  auto frame = homeserver::media_multipart_frame(served_type(file), content_disposition(file, ""));
  http::Response response;
  response.content_type = std::move(frame.content_type);
  response.headers = {{"Cache-Control", "private, max-age=86400"}};
  response.file = http::Response::FileRange{file.path, 0, file.size, std::move(frame.before), std::move(frame.after)};
  call.respond(std::move(response));
}

}  // namespace

void get_federation_media_download(Call& call) {
  auto file = call.hs.media.download(call.hs.media.server_name(), call.param(0));
  if (!file) return call.fail(file.error());
  serve_multipart(call, *file);
}

void get_federation_media_thumbnail(Call& call) {
  auto spec = thumbnail_spec(call.request);
  if (!spec) return call.fail(spec.error());
  call.hs.media.thumbnail(call.hs.media.server_name(), call.param(0), *spec,
                          [call](core::Result<homeserver::Servable> file) mutable {
                            if (!file) return call.fail(file.error());
                            serve_multipart(call, *file);
                          });
}

}  // namespace myelin::api
