#pragma once
// The VFS every connection opens with: SQLite's own ("unix"), except that writes to the WAL are
// gathered. SQLite writes each frame as two writes (its 24-byte header, then the page), so a
// commit of n pages costs 2n pwrite calls, each page straddling two pages of the kernel's cache.
// Here a connection's frames go to a buffer, written with one pwrite as soon as the commit frame
// (a header whose "database size after commit" is not zero) has its page: before SQLite
// publishes the commit in the WAL index, so no connection can see a frame that is not in the
// file, and before the commit returns, so the syncing thread's fdatasync covers it. Any other
// use of the WAL file (a read, a write that does not append, sync, truncate, size, close) and
// a full buffer (96 kB) write it first. Database files and the rest are SQLite's own, untouched.
namespace myelin::storage::sqlite {

// The VFS's name, for sqlite3_open_v2; registered on first use (thread-safe).
const char* wal_gathering_vfs();

}  // namespace myelin::storage::sqlite
