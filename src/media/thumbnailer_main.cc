// myelin-thumbnailer SOURCE OUTPUT WIDTH HEIGHT crop|scale animated|still MAX_PIXELS MAX_DIMENSION
// The child process of media/thumbnail_process.h: makes one thumbnail with libvips and writes it
// to OUTPUT; the exit code is the verdict (kThumbnailDone or exit_code_of(error)).
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string_view>

#include "media/thumbnail.h"
#include "media/thumbnail_process.h"

namespace {

template <class T>
bool parse(std::string_view text, T& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace myelin::media;
  if (argc != 9) return exit_code_of(ThumbnailError::kMalformed);
  ThumbnailSpec spec;
  ImageLimits limits;
  const std::string_view method = argv[5], animation = argv[6];
  if (!parse(argv[3], spec.width) || !parse(argv[4], spec.height) || !parse(argv[7], limits.max_pixels) ||
      !parse(argv[8], limits.max_dimension) || (method != "crop" && method != "scale"))
    return exit_code_of(ThumbnailError::kMalformed);
  // libvips finds its optional loader modules (ImageMagick, poppler, HEIF, ...) under
  // VIPSHOME: pointing it nowhere skips them, for a faster start and fewer decoders exposed.
  ::setenv("VIPSHOME", "/nonexistent", 1);
  spec.crop = method == "crop";
  spec.animated = animation == "animated";
  auto thumbnail = make_thumbnail(argv[1], spec, limits);
  if (!thumbnail) return exit_code_of(thumbnail.error());
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out.write(thumbnail->bytes.data(), static_cast<std::streamsize>(thumbnail->bytes.size()));
  return out ? kThumbnailDone : exit_code_of(ThumbnailError::kMalformed);
}
