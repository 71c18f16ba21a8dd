#pragma once
// Where uploaded bytes live: files named by the SHA-256 of their content, so the same file
// uploaded twice is stored once. ContentStore is the small interface the media repository
// uses (an object store can implement it later); LocalContentStore keeps the files under a
// folder: <root>/content/ab/cd/<hex sha256>, thumbnails under <root>/thumbnails/<hex>/, and
// temporary files under <root>/tmp (the same file system, so adding a file is a rename).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace myelin::media {

class ContentStore {
 public:
  virtual ~ContentStore() = default;
  // A folder for temporary files that add() can take without copying.
  virtual std::string temp_dir() const = 0;
  // Deletes what is left in temp_dir() (uploads cut short by a crash). Only while no server runs
  // on this store: `myelin serve` calls it at start.
  virtual void clean_temp() = 0;
  // Takes the file at `temp_path` as the content with this digest (dropping it when that
  // content is already stored). False on an I/O failure.
  virtual bool add(const std::string& temp_path, const std::string& sha256_hex) = 0;
  // A readable local path of the content (for serving and thumbnailing).
  virtual std::string path(const std::string& sha256_hex) const = 0;
  // Deletes the content and every thumbnail made of it.
  virtual void remove(const std::string& sha256_hex) = 0;
  // The cached thumbnail named `name` of the content ("" when absent), and storing one by
  // taking the file at `temp_path` (a file in temp_dir()).
  virtual std::string thumbnail(const std::string& sha256_hex, const std::string& name) const = 0;
  virtual bool add_thumbnail(const std::string& sha256_hex, const std::string& name, const std::string& temp_path) = 0;
};

// Creates the folders. Throws std::runtime_error when they cannot be created.
std::unique_ptr<ContentStore> open_local_content_store(const std::string& root);

// The SHA-256 of a file (lower-case hex) and its size, read in chunks; nullopt when unreadable.
struct FileDigest {
  std::string sha256_hex;
  std::uint64_t size = 0;
};
std::optional<FileDigest> digest_file(const std::string& path);

}  // namespace myelin::media
