#pragma once
// What the client's media endpoints (media.cc) and the federation media API
// (api/federation/media.cc) share: the type and Content-Disposition a file is served with
// (the spec's inline rule, the file name as filename*) and the thumbnail query parameters.
#include <string>
#include <string_view>

#include "core/error.h"
#include "homeserver/media/media.h"
#include "http/http.h"

namespace myelin::api {

std::string served_type(const homeserver::Servable& file);
// `file_name` ("": the upload's name) replaces the stored name.
std::string content_disposition(const homeserver::Servable& file, std::string_view file_name);
// width, height (positive integers), method (crop or scale; scale when absent) and animated:
// M_INVALID_PARAM otherwise.
core::Result<media::ThumbnailSpec> thumbnail_spec(const http::Request& request);

}  // namespace myelin::api
