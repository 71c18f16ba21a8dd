#include "media/metadata.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace myelin::media {
namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
constexpr std::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);

std::uint32_t be16(const unsigned char* p) { return std::uint32_t{p[0]} << 8 | p[1]; }
std::uint32_t be32(const unsigned char* p) { return be16(p) << 16 | be16(p + 2); }
std::uint32_t le32(const unsigned char* p) {
  return std::uint32_t{p[3]} << 24 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[1]} << 8 | p[0];
}
std::string_view chars(std::span<const unsigned char> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Where a pass puts the bytes it keeps: the output file on the write pass, nowhere on the scan
// pass (file null). Both passes count the bytes kept and the changes made, so the scan pass
// tells whether there is anything to strip.
class Sink {
 public:
  explicit Sink(std::FILE* file) : file_(file) {}
  bool writing() const { return file_ != nullptr; }
  std::uint64_t size() const { return size_; }
  std::uint64_t changes() const { return changes_; }
  // Records one change: a piece of metadata left out or a flag cleared.
  void change() { ++changes_; }
  // Counts `n` bytes kept without writing them (scan pass only).
  void count(std::uint64_t n) { size_ += n; }
  // Appends `bytes` (or only counts them on the scan pass); false on a write error.
  bool put(std::span<const unsigned char> bytes) {
    size_ += bytes.size();
    return !writing() || std::fwrite(bytes.data(), 1, bytes.size(), file_) == bytes.size();
  }
  // Overwrites four bytes written earlier at `offset` with `value`, little-endian.
  bool patch_le32(std::uint64_t offset, std::uint32_t value) {
    if (!writing()) return true;
    const std::array<unsigned char, 4> bytes{static_cast<unsigned char>(value), static_cast<unsigned char>(value >> 8),
                                             static_cast<unsigned char>(value >> 16),
                                             static_cast<unsigned char>(value >> 24)};
    return fseeko(file_, static_cast<off_t>(offset), SEEK_SET) == 0 &&
           std::fwrite(bytes.data(), 1, bytes.size(), file_) == bytes.size() && fseeko(file_, 0, SEEK_END) == 0;
  }

 private:
  std::FILE* file_;
  std::uint64_t size_ = 0;
  std::uint64_t changes_ = 0;
};

// Sequential reads of a file of known size through one fixed buffer, starting at the file's
// current position (offset 0). Every read and skip is checked against the size, so a length
// field in the file can never take the walk past its end.
class Reader {
 public:
  Reader(std::FILE* file, std::uint64_t size) : file_(file), size_(size) {}
  std::uint64_t remaining() const { return size_ - (start_ + begin_); }

  // At least `want` (≤ kBufferSize) bytes from the current position without consuming them;
  // fewer only at the end of the file or after a read error.
  std::span<const unsigned char> peek(std::size_t want) {
    if (end_ - begin_ < want) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      start_ += begin_;
      end_ -= begin_;
      begin_ = 0;
      const std::uint64_t unread = size_ - (start_ + end_);
      const std::size_t n = std::min<std::uint64_t>(buffer_.size() - end_, unread);
      end_ += std::fread(buffer_.data() + end_, 1, n, file_);
    }
    return std::span(buffer_).subspan(begin_, end_ - begin_);
  }
  // Consumes `n` bytes of the last peek.
  void consume(std::size_t n) { begin_ += n; }

  // Exactly `out.size()` (≤ kBufferSize) bytes into `out`.
  bool read(std::span<unsigned char> out) {
    const auto bytes = peek(out.size());
    if (bytes.size() < out.size()) return false;
    std::copy_n(bytes.begin(), out.size(), out.begin());
    consume(out.size());
    return true;
  }

  // Skips exactly `n` bytes.
  bool skip(std::uint64_t n) {
    if (n > remaining()) return false;
    if (n <= end_ - begin_) {
      begin_ += n;
      return true;
    }
    start_ += begin_ + n;
    begin_ = end_ = 0;
    return fseeko(file_, static_cast<off_t>(start_), SEEK_SET) == 0;
  }

  // Passes exactly `n` bytes on to `sink` (skipping them on the scan pass).
  bool pass(std::uint64_t n, Sink& sink) {
    if (n > remaining()) return false;
    if (!sink.writing()) {
      sink.count(n);
      return skip(n);
    }
    while (n > 0) {
      const auto bytes = peek(1);
      if (bytes.empty()) return false;
      const std::size_t chunk = std::min<std::uint64_t>(bytes.size(), n);
      if (!sink.put(bytes.first(chunk))) return false;
      consume(chunk);
      n -= chunk;
    }
    return true;
  }

 private:
  std::FILE* file_;
  std::uint64_t size_;
  std::uint64_t start_ = 0;          // file offset of buffer_[0]
  std::size_t begin_ = 0, end_ = 0;  // the buffered bytes not yet consumed
  std::vector<unsigned char> buffer_ = std::vector<unsigned char>(kBufferSize);
};

// Ends a walk at the end of the image: whatever follows it in the file is left out.
bool end_of_image(const Reader& in, Sink& out) {
  if (in.remaining() > 0) out.change();
  return true;
}

// --- JPEG (ITU-T T.81 annex B): marker segments, and after each SOS segment the scan's
// entropy-coded data, up to EOI. Metadata segments are left out wherever they are, and so is
// anything after EOI (such as the further images of a Multi-Picture file, with their own EXIF).

constexpr unsigned char kSoi = 0xD8, kEoi = 0xD9, kSos = 0xDA, kApp0 = 0xE0, kApp2 = 0xE2, kApp14 = 0xEE, kApp15 = 0xEF,
                        kCom = 0xFE;

// Whether a segment is kept, from its marker and the first bytes of its payload: colour
// information (JFIF, ICC profile, Adobe) and all non-APPn segments except comments.
bool keep_jpeg_segment(unsigned char marker, std::string_view head) {
  using namespace std::literals;
  if (marker == kCom) return false;
  if (marker < kApp0 || marker > kApp15) return true;
  return (marker == kApp0 && head.starts_with("JFIF\0"sv)) ||
         (marker == kApp2 && head.starts_with("ICC_PROFILE\0"sv)) || (marker == kApp14 && head.starts_with("Adobe"sv));
}

// Reads a marker (0xFF, any 0xFF fill bytes, the code) and returns its code; -1 if none is there.
int read_jpeg_marker(Reader& in) {
  std::array<unsigned char, 1> byte{};
  if (!in.read(byte) || byte[0] != 0xFF) return -1;
  do {
    if (!in.read(byte)) return -1;
  } while (byte[0] == 0xFF);
  return byte[0] == 0 ? -1 : byte[0];
}

// Markers without a length or payload: TEM and RST0-7.
bool is_standalone_jpeg_marker(int marker) { return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7); }

// Copies the segment of `marker` (a length that counts itself, then the payload) or leaves it out.
bool walk_jpeg_segment(Reader& in, Sink& out, unsigned char marker) {
  std::array<unsigned char, 16> head{0xFF, marker};  // marker, length, the payload's first bytes
  if (!in.read(std::span(head).subspan(2, 2))) return false;
  const std::uint32_t length = be16(&head[2]);
  if (length < 2) return false;
  const std::size_t known = std::min<std::size_t>(length - 2, head.size() - 4);
  if (!in.read(std::span(head).subspan(4, known))) return false;
  const std::uint64_t rest = length - 2 - known;
  if (keep_jpeg_segment(marker, chars(std::span(head).subspan(4, known)))) {
    return out.put(std::span(head).first(4 + known)) && in.pass(rest, out);
  }
  out.change();
  return in.skip(rest);
}

// Copies a scan's entropy-coded data, up to (not including) the marker that ends it. Inside the
// data a 0xFF is followed by 0x00 (a stuffed byte), a restart marker or more 0xFF fill bytes.
bool pass_entropy_coded(Reader& in, Sink& out) {
  for (;;) {
    const auto bytes = in.peek(2);
    if (bytes.size() < 2) return false;  // the file ends inside the data
    const auto* ff = static_cast<const unsigned char*>(std::memchr(bytes.data(), 0xFF, bytes.size() - 1));
    if (ff == nullptr) {
      if (!in.pass(bytes.size() - 1, out)) return false;
      continue;
    }
    const std::size_t at = ff - bytes.data();
    const unsigned char next = ff[1];
    if (next != 0x00 && next != 0xFF && !is_standalone_jpeg_marker(next)) return in.pass(at, out);
    if (!in.pass(at + 1, out)) return false;
  }
}

bool walk_jpeg(Reader& in, Sink& out) {
  if (!in.pass(2, out)) return false;  // SOI, as sniffed
  for (;;) {
    const int marker = read_jpeg_marker(in);
    if (marker < 0 || marker == kSoi) return false;
    const std::array<unsigned char, 2> code{0xFF, static_cast<unsigned char>(marker)};
    if (marker == kEoi) return out.put(code) && end_of_image(in, out);
    if (is_standalone_jpeg_marker(marker)) {
      if (!out.put(code)) return false;
      continue;
    }
    if (!walk_jpeg_segment(in, out, code[1])) return false;
    if (marker == kSos && !pass_entropy_coded(in, out)) return false;
  }
}

// --- PNG (ISO/IEC 15948 section 5): the signature, then chunks (length, type, data, CRC) up
// to IEND. Text, EXIF and time chunks are left out, all others kept with their CRCs.

bool is_png_metadata(std::string_view type) {
  return type == "eXIf" || type == "tEXt" || type == "zTXt" || type == "iTXt" || type == "tIME";
}

// A chunk header as the format allows it: four ASCII letters, a length below 2^31, IHDR
// (13 bytes) first and only first, IEND empty.
bool valid_png_chunk(std::string_view type, std::uint32_t length, bool first) {
  const auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  if (length > 0x7FFFFFFF || !std::ranges::all_of(type, letter) || first != (type == "IHDR")) return false;
  return (type != "IHDR" || length == 13) && (type != "IEND" || length == 0);
}

bool walk_png(Reader& in, Sink& out) {
  if (!in.pass(kPngSignature.size(), out)) return false;
  for (bool first = true;; first = false) {
    std::array<unsigned char, 8> head{};  // length, type
    if (!in.read(head)) return false;
    const std::uint32_t length = be32(head.data());
    const std::string_view type = chars(std::span(head).subspan(4));
    if (!valid_png_chunk(type, length, first)) return false;
    const std::uint64_t rest = std::uint64_t{length} + 4;  // data and CRC
    if (is_png_metadata(type)) {
      out.change();
      if (!in.skip(rest)) return false;
    } else if (!out.put(head) || !in.pass(rest, out)) {
      return false;
    }
    if (type == "IEND") return end_of_image(in, out);
  }
}

// --- WebP (RFC 9649): the RIFF header, then chunks (FourCC, little-endian size, payload, a
// pad byte after an odd size) filling the RIFF size. EXIF and XMP chunks are left out, their
// flags in VP8X cleared, and the RIFF size rewritten.

constexpr unsigned char kVp8xExifFlag = 0x08, kVp8xXmpFlag = 0x04;

// Copies one chunk or leaves it out; `left` is what remains of the RIFF payload.
bool walk_webp_chunk(Reader& in, Sink& out, std::uint64_t& left) {
  std::array<unsigned char, 9> head{};  // FourCC, size, the first payload byte (VP8X flags)
  if (left < 8 || !in.read(std::span(head).first(8))) return false;
  const std::uint32_t size = le32(&head[4]);
  const std::uint64_t padded = std::uint64_t{size} + (size & 1);
  if (padded > left - 8) return false;
  left -= 8 + padded;
  const std::string_view type = chars(std::span(head).first(4));
  if (type == "EXIF" || type == "XMP ") {
    out.change();
    return in.skip(padded);
  }
  if (type != "VP8X") return out.put(std::span(head).first(8)) && in.pass(padded, out);
  if (size != 10 || !in.read(std::span(head).subspan(8))) return false;
  if (head[8] & (kVp8xExifFlag | kVp8xXmpFlag)) {
    out.change();
    head[8] &= ~(kVp8xExifFlag | kVp8xXmpFlag);
  }
  return out.put(head) && in.pass(padded - 1, out);
}

bool walk_webp(Reader& in, Sink& out) {
  std::array<unsigned char, 12> header{};  // "RIFF", size, "WEBP"
  if (!in.read(header)) return false;
  const std::uint32_t riff_size = le32(&header[4]);  // counts "WEBP" and the chunks
  if (riff_size < 4 || riff_size - 4 > in.remaining() || !out.put(header)) return false;
  for (std::uint64_t left = riff_size - 4; left > 0;) {
    if (!walk_webp_chunk(in, out, left)) return false;
  }
  return end_of_image(in, out) && out.patch_le32(4, static_cast<std::uint32_t>(out.size() - 8));
}

// --- Driving the walks.

// A walk over one format from the start of the file: false when the structure is broken or a
// write fails.
using Walk = bool (*)(Reader&, Sink&);

Walk walk_for(std::string_view content_type) {
  if (content_type == "image/jpeg") return walk_jpeg;
  if (content_type == "image/png") return walk_png;
  if (content_type == "image/webp") return walk_webp;
  return nullptr;
}

// One walk over the whole of `file` (`size` bytes) into `sink`.
bool run_walk(Walk walk, std::FILE* file, std::uint64_t size, Sink& sink) {
  if (std::fseek(file, 0, SEEK_SET) != 0) return false;
  Reader in(file, size);
  return walk(in, sink);
}

// Writes the stripped copy to `path`; on failure removes what it wrote.
bool write_stripped(Walk walk, std::FILE* file, std::uint64_t size, const std::string& path) {
  std::FILE* output = std::fopen(path.c_str(), "wb");
  if (output == nullptr) return false;
  Sink sink(output);
  const bool walked = run_walk(walk, file, size, sink);
  const bool closed = std::fclose(output) == 0;
  if (walked && closed) return true;
  std::remove(path.c_str());
  return false;
}

struct CloseFile {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

std::string sniff_image_type(std::string_view head) {
  if (head.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
  if (head.starts_with(kPngSignature)) return "image/png";
  if (head.size() >= 12 && head.starts_with("RIFF") && head.substr(8, 4) == "WEBP") return "image/webp";
  if (head.starts_with("GIF87a") || head.starts_with("GIF89a")) return "image/gif";
  return "";
}

// A scan walk first checks the whole structure and finds whether anything is to be removed
// (seeking over chunk data where the format allows), so that nothing is written for a clean or
// broken file; then the write walk.
StripResult strip_metadata(const std::string& input_path, const std::string& output_path) {
  const std::unique_ptr<std::FILE, CloseFile> input(std::fopen(input_path.c_str(), "rb"));
  struct stat info {};
  if (!input || fstat(fileno(input.get()), &info) != 0 || !S_ISREG(info.st_mode)) return StripResult::kMalformed;
  const auto size = static_cast<std::uint64_t>(info.st_size);
  std::array<char, 12> head{};
  const std::size_t got = std::fread(head.data(), 1, head.size(), input.get());
  const Walk walk = walk_for(sniff_image_type({head.data(), got}));
  if (walk == nullptr) return StripResult::kUnsupported;
  Sink scan(nullptr);
  if (!run_walk(walk, input.get(), size, scan)) return StripResult::kMalformed;
  if (scan.changes() == 0) return StripResult::kUnchanged;
  return write_stripped(walk, input.get(), size, output_path) ? StripResult::kStripped : StripResult::kMalformed;
}

}  // namespace myelin::media
