#include "media/thumbnail.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <vips/vips.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace myelin::media {
namespace {

struct Unref {
  void operator()(gpointer object) const { g_object_unref(object); }
};
using Image = std::unique_ptr<VipsImage, Unref>;

// Grey noise in `bands` identical bands (sRGB for three or four), `pages` frames of width x height.
Image noise(int width, int height, int bands, int pages = 1) {
  VipsImage* grey = nullptr;
  if (vips_gaussnoise(&grey, width, height * pages, "mean", 128.0, "sigma", 40.0, nullptr) != 0) return nullptr;
  const Image owned_grey(grey);
  VipsImage* bytes = nullptr;
  if (vips_cast_uchar(grey, &bytes, nullptr) != 0) return nullptr;
  const Image owned_bytes(bytes);
  std::vector<VipsImage*> copies(static_cast<std::size_t>(bands), bytes);
  VipsImage* joined = nullptr;
  if (vips_bandjoin(copies.data(), &joined, bands, nullptr) != 0) return nullptr;
  const Image owned_joined(joined);
  VipsImage* out = nullptr;
  const auto interpretation = bands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W;
  if (vips_copy(joined, &out, "interpretation", interpretation, nullptr) != 0) return nullptr;
  if (pages > 1) vips_image_set_int(out, VIPS_META_PAGE_HEIGHT, height);
  return Image(out);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::uint32_t crc32(std::string_view bytes) {
  std::uint32_t crc = 0xffffffffu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put_big_endian(std::string& bytes, std::size_t at, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>(value >> (24 - 8 * i));
}

bool can_write_animations() {
  return vips_type_find("VipsOperation", "gifsave") != 0 && vips_type_find("VipsOperation", "webpsave_buffer") != 0;
}

// What a client would see: the thumbnail decoded again.
struct Decoded {
  int width = 0;
  int page_height = 0;
  int pages = 0;
};

Decoded decode(const Thumbnail& thumbnail) {
  const Image image(vips_image_new_from_buffer(thumbnail.bytes.data(), thumbnail.bytes.size(), "", nullptr));
  if (!image) return {};
  return {vips_image_get_width(image.get()), vips_image_get_page_height(image.get()),
          vips_image_get_n_pages(image.get())};
}

class ThumbnailTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    init_thumbnailer();
    dir_ = std::filesystem::temp_directory_path() / ("myelin_thumbnail_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  // Saves `image` under `name`; the suffix picks the format.
  static std::string save(const Image& image, const std::string& name) {
    const std::string path = (dir_ / name).string();
    EXPECT_TRUE(image && vips_image_write_to_file(image.get(), path.c_str(), nullptr) == 0) << vips_error_buffer();
    return path;
  }

  // A PNG whose header claims width x height, with the pixel data of a 1x1 image.
  static std::string png_claiming(int width, int height, const std::string& name) {
    const std::string path = save(noise(1, 1, 3), name);
    std::string bytes = read_file(path);
    // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), 5 more bytes, CRC.
    put_big_endian(bytes, 16, static_cast<std::uint32_t>(width));
    put_big_endian(bytes, 20, static_cast<std::uint32_t>(height));
    put_big_endian(bytes, 29, crc32(std::string_view(bytes).substr(12, 17)));
    write_file(path, bytes);
    return path;
  }

  static inline std::filesystem::path dir_;
};

constexpr ImageLimits kLimits{};

TEST_F(ThumbnailTest, CropGivesExactlyTheBox) {
  const std::string path = save(noise(1000, 500, 3), "wide.jpg");
  for (int side : {32, 96}) {
    auto thumbnail = make_thumbnail(path, {side, side, true, false}, kLimits);
    ASSERT_TRUE(thumbnail) << side;
    EXPECT_EQ(thumbnail->content_type, "image/jpeg");
    EXPECT_EQ(thumbnail->width, side);
    EXPECT_EQ(thumbnail->height, side);
    const Decoded decoded = decode(*thumbnail);
    EXPECT_EQ(decoded.width, side);
    EXPECT_EQ(decoded.page_height, side);
  }
  auto oblong = make_thumbnail(path, {640, 480, true, false}, kLimits);
  ASSERT_TRUE(oblong);
  EXPECT_EQ(oblong->width, 640);
  EXPECT_EQ(oblong->height, 480);
}

TEST_F(ThumbnailTest, ScaleCoversTheBoxAndKeepsTheAspectRatio) {
  const std::string wide = save(noise(1000, 500, 3), "wide.png");
  auto thumbnail = make_thumbnail(wide, {320, 240, false, false}, kLimits);
  ASSERT_TRUE(thumbnail);
  EXPECT_GE(thumbnail->width, 320);
  EXPECT_GE(thumbnail->height, 240);
  EXPECT_EQ(thumbnail->width, 2 * thumbnail->height);
  EXPECT_EQ(thumbnail->content_type, "image/jpeg");  // no alpha
  EXPECT_EQ(decode(*thumbnail).width, thumbnail->width);

  const std::string tall = save(noise(500, 1000, 3), "tall.png");
  thumbnail = make_thumbnail(tall, {320, 240, false, false}, kLimits);
  ASSERT_TRUE(thumbnail);
  EXPECT_EQ(thumbnail->width, 320);
  EXPECT_EQ(thumbnail->height, 640);
}

TEST_F(ThumbnailTest, AwkwardSizesStillMeetTheBox) {
  for (auto [width, height] : {std::pair{997, 613}, std::pair{613, 997}, std::pair{1001, 1000}}) {
    const Image image = noise(width, height, 3);
    // JPEG shrinks while loading, PNG does not: both paths must round the same way.
    for (const char* suffix : {".jpg", ".png"}) {
      const std::string path = save(image, "awkward" + std::to_string(width) + suffix);
      for (auto [box_width, box_height] : {std::pair{32, 32}, std::pair{96, 96}, std::pair{320, 240}}) {
        auto cropped = make_thumbnail(path, {box_width, box_height, true, false}, kLimits);
        ASSERT_TRUE(cropped) << path;
        EXPECT_EQ(cropped->width, box_width) << path;
        EXPECT_EQ(cropped->height, box_height) << path;
        auto scaled = make_thumbnail(path, {box_width, box_height, false, false}, kLimits);
        ASSERT_TRUE(scaled) << path;
        EXPECT_GE(scaled->width, box_width) << path;
        EXPECT_GE(scaled->height, box_height) << path;
        EXPECT_TRUE(scaled->width == box_width || scaled->height == box_height) << path;
      }
    }
  }
}

TEST_F(ThumbnailTest, NeverUpscales) {
  const std::string small = save(noise(50, 50, 3), "small.jpg");
  for (bool crop : {false, true}) {
    auto thumbnail = make_thumbnail(small, {96, 96, crop, false}, kLimits);
    ASSERT_FALSE(thumbnail);
    EXPECT_EQ(thumbnail.error(), ThumbnailError::kServeOriginal);
  }
  // One side already under the box: scaling has nothing to do, cropping cuts the other side only.
  const std::string narrow = save(noise(300, 1000, 3), "narrow.jpg");
  auto scaled = make_thumbnail(narrow, {320, 240, false, false}, kLimits);
  ASSERT_FALSE(scaled);
  EXPECT_EQ(scaled.error(), ThumbnailError::kServeOriginal);
  auto cropped = make_thumbnail(narrow, {320, 240, true, false}, kLimits);
  ASSERT_TRUE(cropped);
  EXPECT_EQ(cropped->width, 300);
  EXPECT_EQ(cropped->height, 240);
}

TEST_F(ThumbnailTest, AlphaGivesPng) {
  const std::string path = save(noise(400, 400, 4), "alpha.png");
  auto thumbnail = make_thumbnail(path, {96, 96, true, false}, kLimits);
  ASSERT_TRUE(thumbnail);
  EXPECT_EQ(thumbnail->content_type, "image/png");
  EXPECT_EQ(decode(*thumbnail).width, 96);
}

TEST_F(ThumbnailTest, OrientationTagCountsAsDisplayed) {
  Image image = noise(1000, 500, 3);
  ASSERT_TRUE(image);
  vips_image_set_int(image.get(), VIPS_META_ORIENTATION, 6);  // shown rotated: 500 wide, 1000 high
  const std::string path = save(image, "rotated.jpg");
  auto thumbnail = make_thumbnail(path, {320, 240, false, false}, kLimits);
  ASSERT_TRUE(thumbnail);
  EXPECT_EQ(thumbnail->width, 320);
  EXPECT_EQ(thumbnail->height, 640);
}

TEST_F(ThumbnailTest, RefusesOversizedHeadersBeforeDecoding) {
  // The files hold the pixels of a 1x1 image: only a check of the header can answer kTooLarge.
  for (auto [width, height] : {std::pair{30000, 30000}, std::pair{20000, 100}}) {
    const std::string path = png_claiming(width, height, "bomb.png");
    auto thumbnail = make_thumbnail(path, {96, 96, false, false}, kLimits);
    ASSERT_FALSE(thumbnail) << width;
    EXPECT_EQ(thumbnail.error(), ThumbnailError::kTooLarge) << width;
  }
  const std::string path = save(noise(1000, 500, 3), "limited.png");
  auto thumbnail = make_thumbnail(path, {96, 96, false, false}, {400'000, 16384});
  ASSERT_FALSE(thumbnail);
  EXPECT_EQ(thumbnail.error(), ThumbnailError::kTooLarge);
}

TEST_F(ThumbnailTest, RefusesOtherFormats) {
  const std::string text = (dir_ / "notes.txt").string();
  write_file(text, "just some text, not an image\n");
  const std::string svg = (dir_ / "drawing.svg").string();
  write_file(svg, R"(<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"></svg>)");
  const std::string tiff = save(noise(500, 500, 3), "scan.tif");
  for (const auto& path : {text, svg, tiff}) {
    auto thumbnail = make_thumbnail(path, {96, 96, false, false}, kLimits);
    ASSERT_FALSE(thumbnail) << path;
    EXPECT_EQ(thumbnail.error(), ThumbnailError::kUnsupported) << path;
  }
}

TEST_F(ThumbnailTest, SurvivesBrokenFiles) {
  const std::string whole = read_file(save(noise(1000, 500, 3), "whole.jpg"));
  const std::string truncated = (dir_ / "truncated.jpg").string();
  write_file(truncated, whole.substr(0, whole.size() / 2));
  auto thumbnail = make_thumbnail(truncated, {96, 96, true, false}, kLimits);
  if (thumbnail) {
    EXPECT_EQ(thumbnail->width, 96);
  } else {
    EXPECT_EQ(thumbnail.error(), ThumbnailError::kMalformed);
  }

  const std::string garbage = (dir_ / "garbage.jpg").string();
  write_file(garbage, std::string("\xff\xd8\xff\xe0", 4) + std::string(200, '\x5a'));
  thumbnail = make_thumbnail(garbage, {96, 96, true, false}, kLimits);
  ASSERT_FALSE(thumbnail);
  EXPECT_EQ(thumbnail.error(), ThumbnailError::kMalformed);

  thumbnail = make_thumbnail((dir_ / "missing.png").string(), {96, 96, true, false}, kLimits);
  ASSERT_FALSE(thumbnail);
  EXPECT_EQ(thumbnail.error(), ThumbnailError::kMalformed);
}

TEST_F(ThumbnailTest, AnimationsStayAnimatedWhenAsked) {
  if (!can_write_animations()) GTEST_SKIP() << "this libvips cannot write animated GIF and WebP";
  const std::string gif = save(noise(400, 300, 3, 3), "animated.gif");
  const std::string webp = save(noise(400, 300, 3, 3), "animated.webp");
  for (const auto& path : {gif, webp}) {
    for (bool crop : {false, true}) {
      auto thumbnail = make_thumbnail(path, {96, 96, crop, true}, kLimits);
      ASSERT_TRUE(thumbnail) << path;
      EXPECT_EQ(thumbnail->content_type, "image/webp");
      EXPECT_EQ(thumbnail->width, crop ? 96 : 128) << path;
      EXPECT_EQ(thumbnail->height, 96) << path;
      const Decoded decoded = decode(*thumbnail);
      EXPECT_EQ(decoded.pages, 3) << path;
      EXPECT_EQ(decoded.width, thumbnail->width) << path;
    }
    auto still = make_thumbnail(path, {96, 96, true, false}, kLimits);
    ASSERT_TRUE(still) << path;
    EXPECT_NE(still->content_type, "image/webp");
    EXPECT_EQ(decode(*still).pages, 1);
    EXPECT_EQ(still->height, 96);
  }
}

TEST_F(ThumbnailTest, LongAnimationsBecomeStill) {
  if (!can_write_animations()) GTEST_SKIP() << "this libvips cannot write animated GIF and WebP";
  const std::string path = save(noise(400, 300, 3, 3), "long.webp");
  // Each frame is within the limit, the three together are not.
  auto thumbnail = make_thumbnail(path, {96, 96, false, true}, {300'000, 16384});
  ASSERT_TRUE(thumbnail);
  EXPECT_NE(thumbnail->content_type, "image/webp");
  EXPECT_EQ(decode(*thumbnail).pages, 1);
}

}  // namespace
}  // namespace myelin::media
