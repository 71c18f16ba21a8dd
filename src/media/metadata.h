#pragma once
// Privacy for uploaded images: finds an image's format from its first bytes and removes
// location and camera metadata (EXIF, XMP, IPTC, comments and text chunks: GPS coordinates,
// serial numbers, owner names, timestamps) from JPEG, PNG and WebP files without decoding
// or re-encoding their pixels. Files are streamed, never held whole in memory. Pure functions
// over files; thread-safe.
#include <string>
#include <string_view>

namespace myelin::media {

// "image/jpeg", "image/png", "image/webp", "image/gif" or "" from the file's first bytes.
std::string sniff_image_type(std::string_view head);

enum class StripResult {
  kStripped,     // output written without the metadata
  kUnchanged,    // nothing to remove (output not written)
  kUnsupported,  // not JPEG, PNG or WebP (output not written)
  kMalformed,    // the structure is broken (output not written; the upload is still stored)
};

// Reads `input_path`, writes the stripped copy to `output_path` (created or truncated).
// Colour profiles (ICC), and the pixel data, are kept bit for bit.
StripResult strip_metadata(const std::string& input_path, const std::string& output_path);

}  // namespace myelin::media
