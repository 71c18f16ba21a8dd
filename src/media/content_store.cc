#include "media/content_store.h"

#include <sodium.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "core/files.h"

namespace myelin::media {
namespace {

namespace fs = std::filesystem;

bool is_hex_digest(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Moves a finished temporary file to `target` so that a power loss leaves either nothing or
// the whole file there: its data is on disk before the name is, and so are the names of the
// folders on the way (`durable_root` and below).
bool move_durably(const std::string& temp_path, const fs::path& target, const fs::path& durable_root) {
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec || !core::sync_path(temp_path)) return false;
  fs::rename(temp_path, target, ec);
  if (ec) return false;
  for (fs::path folder = target.parent_path();; folder = folder.parent_path()) {
    if (!core::sync_path(folder.string())) return false;
    if (folder == durable_root || folder == folder.parent_path()) return true;
  }
}

class LocalContentStore final : public ContentStore {
 public:
  explicit LocalContentStore(fs::path root) : root_(std::move(root)) {
    std::error_code ec;
    for (const char* folder : {"content", "thumbnails", "tmp"}) {
      fs::create_directories(root_ / folder, ec);
      if (ec) throw std::runtime_error("cannot create " + (root_ / folder).string() + ": " + ec.message());
    }
  }

  void clean_temp() override {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_ / "tmp", ec)) fs::remove(entry.path(), ec);
  }

  std::string temp_dir() const override { return (root_ / "tmp").string(); }

  bool add(const std::string& temp_path, const std::string& sha256_hex) override {
    if (!is_hex_digest(sha256_hex)) return false;
    const fs::path target = content_path(sha256_hex);
    std::error_code ec;
    if (fs::exists(target, ec)) {
      fs::remove(temp_path, ec);
      return true;
    }
    return move_durably(temp_path, target, root_);
  }

  std::string path(const std::string& sha256_hex) const override {
    return is_hex_digest(sha256_hex) ? content_path(sha256_hex).string() : std::string();
  }

  void remove(const std::string& sha256_hex) override {
    if (!is_hex_digest(sha256_hex)) return;
    std::error_code ec;
    fs::remove(content_path(sha256_hex), ec);
    fs::remove_all(root_ / "thumbnails" / sha256_hex, ec);
  }

  std::string thumbnail(const std::string& sha256_hex, const std::string& name) const override {
    if (!is_hex_digest(sha256_hex)) return "";
    const fs::path file = root_ / "thumbnails" / sha256_hex / name;
    std::error_code ec;
    return fs::exists(file, ec) ? file.string() : std::string();
  }

  bool add_thumbnail(const std::string& sha256_hex, const std::string& name, const std::string& temp_path) override {
    if (!is_hex_digest(sha256_hex)) return false;
    // A reader never sees half a thumbnail, nor, after a power loss, an empty one.
    return move_durably(temp_path, root_ / "thumbnails" / sha256_hex / name, root_);
  }

 private:
  fs::path content_path(const std::string& hex) const {
    return root_ / "content" / hex.substr(0, 2) / hex.substr(2, 2) / hex;
  }
  fs::path root_;
};

}  // namespace

std::unique_ptr<ContentStore> open_local_content_store(const std::string& root) {
  return std::make_unique<LocalContentStore>(root);
}

std::optional<FileDigest> digest_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return std::nullopt;
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<unsigned char> chunk(1 << 16);
  FileDigest digest;
  std::size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), file)) > 0) {
    crypto_hash_sha256_update(&state, chunk.data(), n);
    digest.size += n;
  }
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return std::nullopt;
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, out);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char byte : out) {
    digest.sha256_hex += kHex[byte >> 4];
    digest.sha256_hex += kHex[byte & 15];
  }
  return digest;
}

}  // namespace myelin::media
