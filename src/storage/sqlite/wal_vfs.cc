#include "storage/sqlite/wal_vfs.h"

#include <sqlite3.h>

#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

namespace myelin::storage::sqlite {

namespace {

constexpr int kFrameHeaderBytes = 24;  // "WAL file format": page number, size after commit, ...
// Below the 128 kB that SQLite's unix VFS writes at most in one call.
constexpr std::size_t kMaxGathered = 96 * 1024;

sqlite3_vfs* base_vfs = nullptr;

// A WAL file: ours in front, the base VFS's file behind it (both in the memory SQLite gives
// xOpen, szOsFile bytes).
struct WalFile {
  sqlite3_file file;  // first: SQLite sees this
  sqlite3_file* real;
  std::vector<unsigned char> gathered;
  sqlite3_int64 gathered_at = 0;  // the file offset of gathered[0]
  bool commit_page_next = false;  // the last write was a commit frame's header
};

constexpr std::size_t kRealOffset = (sizeof(WalFile) + 15) / 16 * 16;

WalFile& wal(sqlite3_file* file) { return *reinterpret_cast<WalFile*>(file); }

int flush(WalFile& w) {
  if (w.gathered.empty()) return SQLITE_OK;
  const int rc =
      w.real->pMethods->xWrite(w.real, w.gathered.data(), static_cast<int>(w.gathered.size()), w.gathered_at);
  w.gathered.clear();  // written or failed: either way nothing of it may be written later
  return rc;
}

int wal_close(sqlite3_file* file) {
  WalFile& w = wal(file);
  const int flushed = flush(w);
  const int rc = w.real->pMethods->xClose(w.real);
  w.~WalFile();
  return flushed != SQLITE_OK ? flushed : rc;
}

int wal_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  WalFile& w = wal(file);
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  return w.real->pMethods->xRead(w.real, out, amount, offset);
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  WalFile& w = wal(file);
  const bool appends = !w.gathered.empty() && offset == w.gathered_at + static_cast<sqlite3_int64>(w.gathered.size());
  if (!appends || w.gathered.size() + static_cast<std::size_t>(amount) > kMaxGathered) {
    if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  }
  const bool commit_page = w.commit_page_next;
  w.commit_page_next = false;
  if (static_cast<std::size_t>(amount) > kMaxGathered) return w.real->pMethods->xWrite(w.real, data, amount, offset);
  if (w.gathered.empty()) {
    w.gathered.reserve(kMaxGathered);
    w.gathered_at = offset;
  }
  const auto* bytes = static_cast<const unsigned char*>(data);
  w.gathered.insert(w.gathered.end(), bytes, bytes + amount);
  if (commit_page) return flush(w);
  // Bytes 4-7 of a frame header: the database's size in pages after a commit, 0 otherwise.
  w.commit_page_next = amount == kFrameHeaderBytes && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
  return SQLITE_OK;
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  WalFile& w = wal(file);
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  return w.real->pMethods->xTruncate(w.real, size);
}

int wal_sync(sqlite3_file* file, int flags) {
  WalFile& w = wal(file);
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  return w.real->pMethods->xSync(w.real, flags);
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
  WalFile& w = wal(file);
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  return w.real->pMethods->xFileSize(w.real, size);
}

int wal_lock(sqlite3_file* file, int level) { return wal(file).real->pMethods->xLock(wal(file).real, level); }
int wal_unlock(sqlite3_file* file, int level) { return wal(file).real->pMethods->xUnlock(wal(file).real, level); }
int wal_check_reserved_lock(sqlite3_file* file, int* out) {
  return wal(file).real->pMethods->xCheckReservedLock(wal(file).real, out);
}
int wal_file_control(sqlite3_file* file, int op, void* arg) {
  return wal(file).real->pMethods->xFileControl(wal(file).real, op, arg);
}
int wal_sector_size(sqlite3_file* file) { return wal(file).real->pMethods->xSectorSize(wal(file).real); }
int wal_device_characteristics(sqlite3_file* file) {
  return wal(file).real->pMethods->xDeviceCharacteristics(wal(file).real);
}

// Version 1: SQLite maps memory (xShm*, xFetch) only through the database file.
const sqlite3_io_methods kWalMethods = {
    .iVersion = 1,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved_lock,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device_characteristics,
    .xShmMap = nullptr,
    .xShmLock = nullptr,
    .xShmBarrier = nullptr,
    .xShmUnmap = nullptr,
    .xFetch = nullptr,
    .xUnfetch = nullptr,
};

int open_file(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  if (!(flags & SQLITE_OPEN_WAL)) return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
  auto* real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  const int rc = base_vfs->xOpen(base_vfs, name, real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (real->pMethods) real->pMethods->xClose(real);
    file->pMethods = nullptr;
    return rc;
  }
  auto* w = new (file) WalFile{};
  w->real = real;
  w->file.pMethods = &kWalMethods;
  return SQLITE_OK;
}

sqlite3_vfs* make_vfs() {
  base_vfs = sqlite3_vfs_find(nullptr);
  if (!base_vfs) throw std::runtime_error("SQLite has no default VFS");
  static sqlite3_vfs vfs = *base_vfs;  // the rest of the base VFS's methods, as they are
  vfs.zName = "myelin-wal-gathering";
  vfs.szOsFile = static_cast<int>(kRealOffset) + base_vfs->szOsFile;
  vfs.xOpen = open_file;
  vfs.pNext = nullptr;
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) throw std::runtime_error("cannot register the SQLite VFS");
  return &vfs;
}

}  // namespace

const char* wal_gathering_vfs() {
  static sqlite3_vfs* vfs = make_vfs();
  return vfs->zName;
}

}  // namespace myelin::storage::sqlite
