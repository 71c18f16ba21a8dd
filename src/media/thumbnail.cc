#include "media/thumbnail.h"

#include <vips/vips.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace myelin::media {
namespace {

struct Unref {
  void operator()(gpointer object) const { g_object_unref(object); }
};
struct Free {
  void operator()(void* memory) const { g_free(memory); }
};
using Image = std::unique_ptr<VipsImage, Unref>;
using Source = std::unique_ptr<VipsSource, Unref>;
using Buffer = std::unique_ptr<void, Free>;

constexpr int kQuality = 80;

// libvips' base loader classes (GType names) for the formats myelin thumbnails; all other loaders are blocked.
constexpr const char* kLoaderFamilies[] = {"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp",
                                           "VipsForeignLoadNsgif"};
// The loaders libvips may pick for a file source of those formats.
constexpr std::string_view kSourceLoaders[] = {"jpegload_source", "pngload_source", "webpload_source",
                                               "gifload_source"};

// The source's dimensions as read from its header; `page_height` is one frame of an animation.
struct Geometry {
  int width = 0;
  int page_height = 0;
  int pages = 1;
  bool rotated = false;  // an orientation tag swaps width and height when displayed

  int display_width() const { return rotated ? page_height : width; }
  int display_height() const { return rotated ? width : page_height; }
};

// libvips reports failures in a process-wide buffer; only the verdict matters here.
std::unexpected<ThumbnailError> failure(ThumbnailError error) {
  vips_error_clear();
  return std::unexpected(error);
}

void start_libvips() {
  if (VIPS_INIT("myelin") != 0) throw std::runtime_error(std::string("libvips: ") + vips_error_buffer());
  vips_cache_set_max(0);  // thumbnails are computed once; a cache would only hold memory and stale files
  vips_concurrency_set(1);
  vips_block_untrusted_set(TRUE);
  // Hostile uploads make decoders warn ("premature end of JPEG file"): the caller reports the
  // failure, so the warnings need not flood stderr.
  g_log_set_handler(
      "VIPS", G_LOG_LEVEL_WARNING, [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
  vips_operation_block_set("VipsForeignLoad", TRUE);
  for (const char* family : kLoaderFamilies) vips_operation_block_set(family, FALSE);
}

// True when libvips would read the source with one of the loaders myelin accepts (from its first bytes).
bool thumbnailed_format(VipsSource* source) {
  const char* loader = vips_foreign_find_load_source(source);
  if (loader == nullptr) return false;
  const char* nickname = vips_nickname_find(g_type_from_name(loader));
  return nickname != nullptr &&
         std::ranges::find(kSourceLoaders, std::string_view(nickname)) != std::end(kSourceLoaders);
}

// Reads the header only: no pixel is decoded.
std::optional<Geometry> read_geometry(VipsSource* source) {
  const Image header(vips_image_new_from_source(source, "", "access", VIPS_ACCESS_SEQUENTIAL, nullptr));
  if (!header) return std::nullopt;
  return Geometry{vips_image_get_width(header.get()), vips_image_get_page_height(header.get()),
                  vips_image_get_n_pages(header.get()), vips_image_get_orientation_swap(header.get()) != FALSE};
}

bool over_limits(const Geometry& source, const ImageLimits& limits) {
  return source.width > limits.max_dimension || source.page_height > limits.max_dimension ||
         static_cast<std::uint64_t>(source.width) * static_cast<std::uint64_t>(source.page_height) > limits.max_pixels;
}

// Scale covers the box, so it shrinks only when both sides are larger; crop also cuts a single side.
bool fits_as_is(const Geometry& source, int width, int height, bool crop) {
  const bool narrower = source.display_width() <= width;
  const bool shorter = source.display_height() <= height;
  return crop ? narrower && shorter : narrower || shorter;
}

// Animations are kept only when every frame together stays within the pixel limit.
bool keep_animation(const Geometry& source, const ThumbnailSpec& spec, const ImageLimits& limits) {
  return spec.animated && source.pages > 1 &&
         static_cast<std::uint64_t>(source.width) * static_cast<std::uint64_t>(source.page_height) *
                 static_cast<std::uint64_t>(source.pages) <=
             limits.max_pixels;
}

// Shrinks (shrink-on-load where the format has it, never enlarging) so that both sides are at least the
// box's: vips_thumbnail fits inside its box, so the side that must not be cut is left unbounded.
Image shrink_to_cover(VipsSource* source, const Geometry& geometry, int width, int height, bool animated) {
  const bool by_width = static_cast<std::int64_t>(width) * geometry.display_height() >=
                        static_cast<std::int64_t>(height) * geometry.display_width();
  VipsImage* out = nullptr;
  if (vips_thumbnail_source(source, &out, by_width ? width : VIPS_MAX_COORD, "height",
                            by_width ? VIPS_MAX_COORD : height, "size", VIPS_SIZE_DOWN, "option_string",
                            animated ? "n=-1" : "", nullptr) != 0) {
    return nullptr;
  }
  return Image(out);
}

// Joins the pages of an animation again, with their new height.
Image join_pages(std::vector<Image>& pages, int page_height) {
  std::vector<VipsImage*> raw;
  for (auto& page : pages) raw.push_back(page.get());
  VipsImage* joined = nullptr;
  if (vips_arrayjoin(raw.data(), &joined, static_cast<int>(raw.size()), "across", 1, nullptr) != 0) return nullptr;
  Image owned_joined(joined);
  VipsImage* out = nullptr;
  if (vips_copy(joined, &out, nullptr) != 0) return nullptr;
  vips_image_set_int(out, VIPS_META_PAGE_HEIGHT, page_height);
  return Image(out);
}

// Cuts the centre width x height (less where the image is smaller) out of every page.
Image crop_centre(Image image, int width, int height) {
  const int page_height = vips_image_get_page_height(image.get());
  const int pages = vips_image_get_height(image.get()) / page_height;
  const int crop_width = std::min(width, vips_image_get_width(image.get()));
  const int crop_height = std::min(height, page_height);
  const int left = (vips_image_get_width(image.get()) - crop_width) / 2;
  const int top = (page_height - crop_height) / 2;
  std::vector<Image> cropped;
  for (int page = 0; page < pages; ++page) {
    VipsImage* out = nullptr;
    if (vips_crop(image.get(), &out, left, page * page_height + top, crop_width, crop_height, nullptr) != 0) {
      return nullptr;
    }
    cropped.emplace_back(out);
  }
  return pages == 1 ? std::move(cropped.front()) : join_pages(cropped, crop_height);
}

// Encodes (and so decodes the source): animated WebP, PNG when there is alpha, JPEG otherwise; no metadata.
std::expected<Thumbnail, ThumbnailError> encode(VipsImage* image, bool animated) {
  Thumbnail thumbnail;
  void* data = nullptr;
  std::size_t size = 0;
  int status = 0;
  if (animated) {
    thumbnail.content_type = "image/webp";
    status = vips_webpsave_buffer(image, &data, &size, "Q", kQuality, "strip", TRUE, nullptr);
  } else if (vips_image_hasalpha(image)) {
    thumbnail.content_type = "image/png";
    status = vips_pngsave_buffer(image, &data, &size, "strip", TRUE, nullptr);
  } else {
    thumbnail.content_type = "image/jpeg";
    status = vips_jpegsave_buffer(image, &data, &size, "Q", kQuality, "strip", TRUE, nullptr);
  }
  const Buffer owned(data);
  if (status != 0) return failure(ThumbnailError::kMalformed);
  thumbnail.bytes.assign(static_cast<const char*>(data), size);
  thumbnail.width = vips_image_get_width(image);
  thumbnail.height = vips_image_get_page_height(image);
  return thumbnail;
}

}  // namespace

void init_thumbnailer() {
  static std::once_flag once;
  std::call_once(once, start_libvips);
}

std::expected<Thumbnail, ThumbnailError> make_thumbnail(const std::string& source_path, const ThumbnailSpec& spec,
                                                        const ImageLimits& limits) {
  init_thumbnailer();
  const Source source(vips_source_new_from_file(source_path.c_str()));
  if (!source) return failure(ThumbnailError::kMalformed);
  if (!thumbnailed_format(source.get())) return failure(ThumbnailError::kUnsupported);
  const std::optional<Geometry> original = read_geometry(source.get());
  if (!original) return failure(ThumbnailError::kMalformed);
  if (over_limits(*original, limits)) return std::unexpected(ThumbnailError::kTooLarge);

  const int width = std::max(1, spec.width);
  const int height = std::max(1, spec.height);
  if (fits_as_is(*original, width, height, spec.crop)) {
    // Small enough as it is; but a still was asked of an animation: its first frame, unscaled.
    if (original->pages == 1 || spec.animated) return std::unexpected(ThumbnailError::kServeOriginal);
    Image still =
        shrink_to_cover(source.get(), *original, original->display_width(), original->display_height(), false);
    if (!still) return failure(ThumbnailError::kMalformed);
    return encode(still.get(), false);
  }
  const bool animated = keep_animation(*original, spec, limits);
  Image image = shrink_to_cover(source.get(), *original, width, height, animated);
  if (image && spec.crop) image = crop_centre(std::move(image), width, height);
  if (!image) return failure(ThumbnailError::kMalformed);
  return encode(image.get(), animated);
}

}  // namespace myelin::media
