// Metadata stripping (metadata.cc). The fixtures in tests/vectors/media/ come from
// make_vectors.py there: `metadata.*` is `clean.*` with EXIF (GPS), XMP, IPTC, comments, text
// chunks and trailing data added, so stripping it must give `clean.*` byte for byte.
#include "media/metadata.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include <gtest/gtest.h>

namespace myelin::media {
namespace {

namespace fs = std::filesystem;
using namespace std::literals;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string vector_file(const std::string& name) { return read_file(fs::path(MYELIN_MEDIA_VECTORS) / name); }

// The bytes of a JPEG segment, PNG chunk or RIFF chunk (CRCs are not checked by the stripper).
std::string jpeg_segment(unsigned char marker, std::string_view payload) {
  const std::size_t length = payload.size() + 2;
  return "\xFF"s + static_cast<char>(marker) + static_cast<char>(length >> 8) + static_cast<char>(length & 0xFF) +
         std::string(payload);
}
std::string be32(std::uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
}
std::string le32(std::uint32_t n) {
  return {static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16), static_cast<char>(n >> 24)};
}
std::string png_chunk(std::string_view type, std::string_view data) {
  return be32(static_cast<std::uint32_t>(data.size())) + std::string(type) + std::string(data) + "CRC!";
}
std::string riff_chunk(std::string_view type, std::string_view data) {
  return std::string(type) + le32(static_cast<std::uint32_t>(data.size())) + std::string(data) +
         (data.size() % 2 ? "\0"s : "");
}
std::string webp(std::string_view chunks) {
  return "RIFF" + le32(static_cast<std::uint32_t>(4 + chunks.size())) + "WEBP" + std::string(chunks);
}

// Bytes with every 0xFF followed by 0x00, as in entropy-coded data, and restart markers.
std::string entropy_coded(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string data;
  while (data.size() < size) {
    const auto byte = static_cast<char>(random() % 4 == 0 ? 0xFF : random());
    data += byte;
    if (byte == '\xFF') data += random() % 8 == 0 ? static_cast<char>(0xD0 + random() % 8) : '\0';
  }
  return data;
}

class StripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("myelin_media_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Strips `bytes`; `output` gets the stripped copy, and no file is left behind otherwise.
  StripResult strip(std::string_view bytes, std::string* output = nullptr) {
    const fs::path in = dir_ / "in", out = dir_ / "out";
    write_file(in, bytes);
    fs::remove(out);
    const StripResult result = strip_metadata(in, out);
    EXPECT_EQ(fs::exists(out), result == StripResult::kStripped);
    if (output != nullptr) *output = read_file(out);
    return result;
  }

  fs::path dir_;
};

TEST(SniffImageType, FromMagicBytes) {
  EXPECT_EQ(sniff_image_type("\xFF\xD8\xFF\xE0"), "image/jpeg");
  EXPECT_EQ(sniff_image_type("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"sv), "image/png");
  EXPECT_EQ(sniff_image_type("RIFF\x10\0\0\0WEBPVP8 "sv), "image/webp");
  EXPECT_EQ(sniff_image_type("GIF89a\x01\0"sv), "image/gif");
  EXPECT_EQ(sniff_image_type("GIF87a"), "image/gif");
  EXPECT_EQ(sniff_image_type("RIFF\x10\0\0\0WAVEfmt "sv), "");
  EXPECT_EQ(sniff_image_type("\x89PNG\r\n"), "");
  EXPECT_EQ(sniff_image_type("\xFF\xD8"), "");
  EXPECT_EQ(sniff_image_type(""), "");
}

// One fixture pair per format: metadata.<suffix> and clean.<suffix>.
class StripFormatTest : public StripTest, public ::testing::WithParamInterface<const char*> {
 protected:
  std::string metadata() const { return vector_file("metadata."s + GetParam()); }
  std::string clean() const { return vector_file("clean."s + GetParam()); }
  // How many bytes sniff_image_type needs.
  std::size_t magic_size() const { return GetParam() == "jpg"sv ? 3 : GetParam() == "png"sv ? 8 : 12; }
};

INSTANTIATE_TEST_SUITE_P(Formats, StripFormatTest, ::testing::Values("jpg", "png", "webp"));

TEST_P(StripFormatTest, RemovesMetadataAndKeepsColourAndPixels) {
  const std::string input = metadata();
  ASSERT_NE(input.find("Secret Owner"), std::string::npos);
  std::string output;
  ASSERT_EQ(strip(input, &output), StripResult::kStripped);
  EXPECT_EQ(output, clean());
  EXPECT_EQ(output.find("Secret"), std::string::npos);
  EXPECT_EQ(output.find("II*"), std::string::npos);  // the TIFF structure of EXIF
  EXPECT_EQ(output.find("xmpmeta"), std::string::npos);
  EXPECT_NE(output.find("myelin test RGB"), std::string::npos);  // the ICC profile's name
}

TEST_P(StripFormatTest, CleanFileIsUnchanged) { EXPECT_EQ(strip(clean()), StripResult::kUnchanged); }

TEST_P(StripFormatTest, EveryTruncationIsMalformed) {
  const std::string input = clean();
  for (std::size_t n = 0; n < input.size(); ++n) {
    EXPECT_EQ(strip(input.substr(0, n)), n < magic_size() ? StripResult::kUnsupported : StripResult::kMalformed) << n;
  }
}

// A prefix of the file with metadata is malformed until it holds the whole image; from there on
// only trailing data is missing, and it strips to the clean file.
TEST_P(StripFormatTest, TruncationsWithMetadataAreMalformedOrStripped) {
  const std::string input = metadata(), expected = clean();
  std::size_t stripped = 0;
  for (std::size_t n = magic_size(); n <= input.size(); ++n) {
    std::string output;
    const StripResult result = strip(input.substr(0, n), &output);
    if (result == StripResult::kStripped) {
      ++stripped;
      EXPECT_EQ(output, expected) << n;
    } else {
      EXPECT_EQ(result, StripResult::kMalformed) << n;
      EXPECT_EQ(stripped, 0u) << n;
    }
  }
  EXPECT_GT(stripped, 1u);
}

// Hostile input: each byte in turn changed to one of a few values gives a result without
// crashing (the address sanitizer makes an out-of-bounds read fatal), and a stripped copy is
// itself clean.
TEST_P(StripFormatTest, CorruptedBytesNeverBreakTheStripper) {
  const std::string input = metadata();
  for (std::size_t at = 0; at < input.size(); ++at) {
    const char values[] = {'\0', '\x01', '\x7F', '\xFF', static_cast<char>(input[at] ^ 0x80)};
    std::string corrupt = input, output;
    corrupt[at] = values[at % std::size(values)];
    if (strip(corrupt, &output) == StripResult::kStripped) {
      EXPECT_EQ(strip(output), StripResult::kUnchanged) << at;
    }
  }
}

TEST_F(StripTest, UnsupportedFormats) {
  EXPECT_EQ(strip("GIF89a\x01\0\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x01\0\0;"sv), StripResult::kUnsupported);
  EXPECT_EQ(strip(""), StripResult::kUnsupported);
  EXPECT_EQ(strip("just some text"), StripResult::kUnsupported);
}

TEST_F(StripTest, MissingInputIsMalformed) {
  EXPECT_EQ(strip_metadata(dir_ / "absent", dir_ / "out"), StripResult::kMalformed);
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(StripTest, OutputThatCannotBeCreatedIsReported) {
  write_file(dir_ / "in", vector_file("metadata.png"));
  EXPECT_EQ(strip_metadata(dir_ / "in", dir_ / "no-such-dir" / "out"), StripResult::kMalformed);
}

TEST_F(StripTest, JpegSegmentLengthsAreChecked) {
  const std::string soi = "\xFF\xD8", eoi = "\xFF\xD9";
  const std::string scan = jpeg_segment(0xDA, "\x01\x01\x00\x00\x3F\x00"sv) + "data" + eoi;
  EXPECT_EQ(strip(soi + jpeg_segment(0xE1, "Exif") + scan), StripResult::kStripped);
  EXPECT_EQ(strip(soi + "\xFF\xE1\xFF\xFF" + "Exif" + scan), StripResult::kMalformed);  // past the end
  EXPECT_EQ(strip(soi + "\xFF\xE1\x00\x01"s + scan), StripResult::kMalformed);          // length < 2
  EXPECT_EQ(strip(soi + "\xFF\x00\x00\x04"s + scan), StripResult::kMalformed);          // no marker code
  EXPECT_EQ(strip(soi + jpeg_segment(0xE1, "Exif") + "\x12\xE1\x00\x02"s + scan), StripResult::kMalformed);  // no 0xFF
  EXPECT_EQ(strip(soi + jpeg_segment(0xE1, "Exif") + soi + scan), StripResult::kMalformed);
  EXPECT_EQ(strip(soi + jpeg_segment(0xE1, "Exif") + scan.substr(0, scan.size() - 2)), StripResult::kMalformed);
  EXPECT_EQ(strip(soi + std::string(100000, '\xFF')), StripResult::kMalformed);  // fill bytes only
}

TEST_F(StripTest, JpegKeepsOnlyColourApplicationSegments) {
  const std::string soi = "\xFF\xD8";
  const std::string kept = jpeg_segment(0xE0, "JFIF\0\x01\x02"sv) + jpeg_segment(0xE2, "ICC_PROFILE\0\x01\x01icc"sv) +
                           jpeg_segment(0xEE, "Adobe\0\x64"sv) + jpeg_segment(0xDB, "tables") + "\xFF\x01";
  const std::string dropped = jpeg_segment(0xE0, "JFXX\0\x10"sv) + jpeg_segment(0xE1, "") +
                              jpeg_segment(0xE2, "MPF\0"sv) + jpeg_segment(0xE2, "ICC_PROF") +
                              jpeg_segment(0xEB, "JP") + jpeg_segment(0xED, "Photoshop 3.0\0"sv) +
                              jpeg_segment(0xEE, "Adob") + jpeg_segment(0xEF, "x") + jpeg_segment(0xFE, "comment");
  const std::string scan = jpeg_segment(0xDA, "\x01\x01\x00\x00\x3F\x00"sv) + "\x12\xFF\x00\xFF\xD3\xFF\xFF\xFF\xD9"s;
  std::string output;
  ASSERT_EQ(strip(soi + dropped + kept + scan, &output), StripResult::kStripped);
  EXPECT_EQ(output, soi + kept + scan);
}

// Segments and scans longer than the read buffer, with 0xFF bytes at every buffer offset.
TEST_F(StripTest, JpegStreamsLongScansAndSegments) {
  const std::string soi = "\xFF\xD8", eoi = "\xFF\xD9";
  const std::string sos = jpeg_segment(0xDA, "\x01\x01\x00\x00\x3F\x00"sv);
  const std::string icc = jpeg_segment(0xE2, "ICC_PROFILE\0\x01\x01"s + std::string(65000, 'c'));
  const std::string dht = jpeg_segment(0xC4, std::string(60000, '\xFF'));
  const std::string kept = soi + icc + dht + sos + entropy_coded(300000, 1) + dht + sos + entropy_coded(200000, 2);
  const std::string exif = jpeg_segment(0xE1, "Exif\0\0"s + std::string(65000, 'e'));
  std::string output;
  ASSERT_EQ(strip(soi + exif + kept.substr(2) + exif + eoi + "trailer", &output), StripResult::kStripped);
  EXPECT_EQ(output, kept + eoi);
}

TEST_F(StripTest, PngChunkHeadersAreChecked) {
  const std::string signature = "\x89PNG\r\n\x1a\n";
  const std::string ihdr = png_chunk("IHDR", std::string(13, '\1')), iend = png_chunk("IEND", "");
  const std::string text = png_chunk("tEXt", "Author\0me"sv);
  EXPECT_EQ(strip(signature + ihdr + text + iend), StripResult::kStripped);
  EXPECT_EQ(strip(signature + ihdr + text), StripResult::kMalformed);  // no IEND
  EXPECT_EQ(strip(signature + text + ihdr + iend), StripResult::kMalformed);
  EXPECT_EQ(strip(signature + ihdr + ihdr + text + iend), StripResult::kMalformed);
  EXPECT_EQ(strip(signature + png_chunk("IHDR", "short") + text + iend), StripResult::kMalformed);
  EXPECT_EQ(strip(signature + ihdr + text + png_chunk("IEND", "x")), StripResult::kMalformed);
  EXPECT_EQ(strip(signature + ihdr + png_chunk("tE7t", "x") + iend), StripResult::kMalformed);
  EXPECT_EQ(strip(signature + ihdr + be32(0x80000000) + "tEXt" + iend), StripResult::kMalformed);
  EXPECT_EQ(strip(signature + ihdr + be32(0x7FFFFFFF) + "tEXt" + iend), StripResult::kMalformed);
  EXPECT_EQ(strip(signature + ihdr + be32(100) + "IDAT" + iend), StripResult::kMalformed);
}

TEST_F(StripTest, PngDropsOnlyMetadataChunksAndStreamsLongOnes) {
  const std::string signature = "\x89PNG\r\n\x1a\n";
  const std::string kept = signature + png_chunk("IHDR", std::string(13, '\1')) + png_chunk("iCCP", "icc\0\0z"sv) +
                           png_chunk("sRGB", "\0"sv) + png_chunk("prVt", "private") +
                           png_chunk("IDAT", std::string(200000, 'p')) + png_chunk("IDAT", std::string(70000, 'q'));
  const std::string dropped = png_chunk("eXIf", "MM\0*"sv) + png_chunk("tEXt", std::string(100000, 't')) +
                              png_chunk("zTXt", "z") + png_chunk("iTXt", "i") + png_chunk("tIME", "1234567");
  const std::string iend = png_chunk("IEND", "");
  std::string output;
  ASSERT_EQ(strip(kept.substr(0, 33) + dropped + kept.substr(33) + dropped + iend, &output), StripResult::kStripped);
  EXPECT_EQ(output, kept + iend);
}

TEST_F(StripTest, WebpChunkSizesAreChecked) {
  const std::string image = riff_chunk("VP8L", "pixels!"), exif = riff_chunk("EXIF", "II*\0"sv);
  EXPECT_EQ(strip(webp(image + exif)), StripResult::kStripped);
  EXPECT_EQ(strip(webp(image + exif).substr(0, 30)), StripResult::kMalformed);
  EXPECT_EQ(strip("RIFF" + le32(2) + "WEBP" + image), StripResult::kMalformed);
  EXPECT_EQ(strip("RIFF" + le32(1000) + "WEBP" + image), StripResult::kMalformed);
  EXPECT_EQ(strip(webp(image + "EXIF" + le32(0xFFFFFFFF) + "II*\0"s)), StripResult::kMalformed);
  EXPECT_EQ(strip(webp(image + "EXIF" + le32(3) + "II*"s)), StripResult::kMalformed);  // no pad byte
  EXPECT_EQ(strip(webp(image + "EXI")), StripResult::kMalformed);
  EXPECT_EQ(strip(webp(riff_chunk("VP8X", "\x0C\0\0"sv) + image)), StripResult::kMalformed);
}

TEST_F(StripTest, WebpClearsFlagsAndFixesTheRiffSize) {
  const std::string vp8x_head = "VP8X"s + le32(10);
  const std::string canvas = "\0\0\0\x0F\0\0\x0F\0\0"s;
  const std::string rest = riff_chunk("ICCP", "icc") + riff_chunk("ANIM", std::string(6, 'a')) +
                           riff_chunk("ANMF", std::string(100001, 'f')) + riff_chunk("UNKN", "odd");
  const std::string metadata = riff_chunk("EXIF", std::string(70001, 'e')) + riff_chunk("XMP ", "<x:xmpmeta/>");
  std::string output;
  ASSERT_EQ(strip(webp(vp8x_head + "\x3E" + canvas + rest + metadata), &output), StripResult::kStripped);
  EXPECT_EQ(output, webp(vp8x_head + "\x32" + canvas + rest));
  // Flags alone are a change too.
  ASSERT_EQ(strip(webp(vp8x_head + "\x2C" + canvas + rest), &output), StripResult::kStripped);
  EXPECT_EQ(output, webp(vp8x_head + "\x20" + canvas + rest));
}

}  // namespace
}  // namespace myelin::media
