#pragma once
// Thumbnails are made in a child process (the myelin-thumbnailer program beside the myelin
// binary) under memory and CPU limits: image decoders never run inside the server, so a
// hostile image can at worst end the child, and the server does not carry libvips' memory.
// Blocking: call it off the event loop.
#include <expected>
#include <string>

#include "media/thumbnail.h"

namespace myelin::media {

// The thumbnailer beside the running executable.
std::string default_thumbnailer_path();

// Runs `program` on `source_path`, which writes the thumbnail to `output_path`. The
// ThumbnailError of the child's verdict; kMalformed when it crashed, ran out of its limits
// or could not be started.
std::expected<void, ThumbnailError> thumbnail_in_child(const std::string& program, const std::string& source_path,
                                                       const std::string& output_path, const ThumbnailSpec& spec,
                                                       const ImageLimits& limits);

// The thumbnailer program's exit codes.
inline constexpr int kThumbnailDone = 0;
int exit_code_of(ThumbnailError error);

}  // namespace myelin::media
