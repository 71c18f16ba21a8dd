#pragma once
// Thumbnails with libvips (client-server-api "Thumbnails"): scale keeps the aspect ratio and
// covers the box (both sides at least as asked, unless the source is smaller), crop fills the
// box exactly and cuts the rest; never upscaled. The source's header is
// read first and images over the pixel or dimension limits are refused before any decoding,
// so a decompression bomb costs nothing. Thread-safe (run it off the event loop).
#include <cstdint>
#include <expected>
#include <string>

namespace myelin::media {

struct ThumbnailSpec {
  int width = 0;
  int height = 0;
  bool crop = false;      // "crop" rather than "scale"
  bool animated = false;  // keep animation (GIF/WebP sources give animated WebP)
};

struct ImageLimits {
  std::uint64_t max_pixels = 64'000'000;  // width * height of the source
  int max_dimension = 16384;              // either side
};

struct Thumbnail {
  std::string bytes;
  std::string content_type;  // image/jpeg, image/png or image/webp
  int width = 0;
  int height = 0;
};

enum class ThumbnailError {
  kUnsupported,    // not an image libvips reads (or a format myelin does not thumbnail)
  kTooLarge,       // over the limits: refused before decoding
  kMalformed,      // the image could not be decoded
  kServeOriginal,  // the source is no larger than asked: serve it as it is
};

// Starts libvips (with small cache and concurrency bounds) once; make_thumbnail calls it, so
// the server only pays libvips' memory (about 25 MB of its modules) once it thumbnails.
void init_thumbnailer();

std::expected<Thumbnail, ThumbnailError> make_thumbnail(const std::string& source_path, const ThumbnailSpec& spec,
                                                        const ImageLimits& limits);

}  // namespace myelin::media
