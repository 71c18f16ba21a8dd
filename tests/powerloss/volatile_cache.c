/* An LD_PRELOAD shim that gives a process a disk with a volatile write cache, for the files under
 * $MYELIN_POWERLOSS_DIR: what would survive a power cut is kept under $MYELIN_POWERLOSS_SHADOW,
 * and power_cut.py applies it after the process is killed. README.md in this folder says why.
 *
 * - Every regular file opened for writing under the folder (open, openat, creat, fopen, mkstemp and their
 *   64 variants) is tracked per inode (dev, ino). The shim records the byte ranges written to it
 *   through any fd (write, writev, pwrite, pwritev) and the smallest size it was truncated to
 *   (ftruncate, truncate, O_TRUNC) since the inode's last fsync or fdatasync.
 * - fsync/fdatasync through any fd of a tracked inode (fsync is per inode) makes it durable: the
 *   written ranges are copied from the real file into its shadow (SHADOW/files/<path under the
 *   folder>), the shadow gets the truncation and then the file's size, and a line is appended to
 *   SHADOW/syncs (a test counts flushes by its size). A file opened with fopen is written by
 *   stdio inside libc, where the shim cannot see it: its fsync copies the whole file.
 * - A file that exists when the process first opens it for writing counts as durable as it is.
 *   A file the process creates exists after the cut only if it was fsynced at least once (no
 *   directory fsync is needed), with its content as of its last fsync.
 * - rename and unlink are durable at once: the shadow moves with the name, or goes. A name that a
 *   never-fsynced file takes is gone after the cut.
 * - Every path tracked is listed in SHADOW/manifest: after the cut each one holds its shadow, or
 *   is deleted when it has none.
 * Not modelled: writes through shared mmap (SQLite's -shm, which SQLite rebuilds: the cut deletes
 * -shm files), sync/syncfs/sync_file_range/msync, O_SYNC/O_DSYNC (treated as ordinary writes),
 * fallocate hole punching, copy_file_range/sendfile/splice into a file, O_TMPFILE with linkat,
 * hard links, RENAME_EXCHANGE, torn or reordered writes (every unsynced write is lost, none is
 * kept in part). Thread-safe: one mutex; the atfork handlers keep it usable in a forked child. */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef struct {
  off_t start, end;
} Range;

typedef struct {
  dev_t dev;
  ino_t ino;
  int whole;          /* writes are not seen (stdio): fsync copies the whole file */
  off_t truncated_to; /* smallest size since the last fsync, -1 when not truncated */
  Range* ranges;
  size_t count, capacity;
} Inode;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char root[PATH_MAX];   /* realpath of $MYELIN_POWERLOSS_DIR, "" when unset */
static char shadow[PATH_MAX]; /* $MYELIN_POWERLOSS_SHADOW */
static Inode* inodes;
static size_t inode_count, inode_capacity;

/* The next definition of a function (libc's), looked up once per call site. */
#define REAL(name)                                                     \
  ({                                                                   \
    static __typeof__(&name) next_;                                    \
    __typeof__(&name) fn_ = __atomic_load_n(&next_, __ATOMIC_RELAXED); \
    if (!fn_) {                                                        \
      fn_ = (__typeof__(&name))real_symbol(#name);                     \
      __atomic_store_n(&next_, fn_, __ATOMIC_RELAXED);                 \
    }                                                                  \
    fn_;                                                               \
  })

static void* real_symbol(const char* name) {
  void* symbol = dlsym(RTLD_NEXT, name);
  if (!symbol) {
    fprintf(stderr, "volatile_cache: no %s\n", name);
    abort();
  }
  return symbol;
}

static void die(const char* what, const char* path) {
  fprintf(stderr, "volatile_cache: %s %s: %s\n", what, path, strerror(errno));
  abort();
}

/* Writes a path into a PATH_MAX buffer; a path that does not fit is a failure of the test. */
__attribute__((format(printf, 2, 3))) static void format_path(char* out, const char* format, ...) {
  va_list args;
  va_start(args, format);
  int n = vsnprintf(out, PATH_MAX, format, args);
  va_end(args);
  if (n < 0 || n >= PATH_MAX) {
    fprintf(stderr, "volatile_cache: path too long: %s\n", out);
    abort();
  }
}

static void lock_all(void) { pthread_mutex_lock(&lock); }
static void unlock_all(void) { pthread_mutex_unlock(&lock); }

__attribute__((constructor)) static void init(void) {
  const char* dir = getenv("MYELIN_POWERLOSS_DIR");
  const char* keep = getenv("MYELIN_POWERLOSS_SHADOW");
  if (!dir || !keep) return;
  if (!realpath(dir, root)) die("realpath", dir);
  format_path(shadow, "%s", keep);
  pthread_atfork(lock_all, unlock_all, unlock_all);
}

/* The path of `name` under the folder, parent resolved and last part kept; 0 when outside. */
static int relative_path(int dirfd, const char* name, char* out) {
  char full[PATH_MAX], parent[PATH_MAX];
  if (!root[0] || !name) return 0;
  if (name[0] == '/' || dirfd == AT_FDCWD) {
    format_path(full, "%s", name);
  } else {
    char link[64], dir[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    ssize_t n = readlink(link, dir, sizeof dir - 1);
    if (n < 0) return 0;
    dir[n] = 0;
    format_path(full, "%s/%s", dir, name);
  }
  char* slash = strrchr(full, '/');
  const char* base = full;
  const char* dir = ".";
  if (slash) {
    *slash = 0;
    base = slash + 1;
    dir = slash == full ? "/" : full;
  }
  if (!realpath(dir, parent)) return 0;
  size_t len = strlen(root);
  if (strncmp(parent, root, len) != 0 || (parent[len] != 0 && parent[len] != '/') || !base[0]) return 0;
  if (parent[len]) {
    format_path(out, "%s/%s", parent + len + 1, base);
  } else {
    format_path(out, "%s", base);
  }
  return 1;
}

/* The current path of an open file under the folder; 0 when outside or deleted. */
static int fd_relative_path(int fd, char* out) {
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 0) return 0;
  path[n] = 0;
  if (n > 10 && strcmp(path + n - 10, " (deleted)") == 0) return 0;
  return relative_path(AT_FDCWD, path, out);
}

static void shadow_path(const char* rel, char* out) { format_path(out, "%s/files/%s", shadow, rel); }

static void make_parents(const char* path) {
  char copy[PATH_MAX];
  format_path(copy, "%s", path);
  for (char* p = copy + 1; *p; ++p) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(copy, 0700) != 0 && errno != EEXIST) die("mkdir", copy);
    *p = '/';
  }
}

/* Appends a path to SHADOW/<list>: "manifest" (every path tracked) or "syncs" (one line a flush). */
static void append_line(const char* list, const char* rel) {
  char path[PATH_MAX], line[PATH_MAX + 1];
  format_path(path, "%s/%s", shadow, list);
  int fd = REAL(open)(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) die("open", path);
  int n = snprintf(line, sizeof line, "%s\n", rel);
  if (REAL(write)(fd, line, n) != n) die("write", path);
  close(fd);
}

static Inode* find_inode(dev_t dev, ino_t ino) {
  for (size_t i = 0; i < inode_count; ++i)
    if (inodes[i].dev == dev && inodes[i].ino == ino) return &inodes[i];
  return NULL;
}

/* Without the lock: writes to pipes and sockets (a signal handler's too) never wait for it. */
static int regular_file(int fd) {
  struct stat st;
  return root[0] && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static Inode* fd_inode(int fd) {
  struct stat st;
  if (!root[0] || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return NULL;
  return find_inode(st.st_dev, st.st_ino);
}

static Inode* add_inode(dev_t dev, ino_t ino, int whole) {
  Inode* inode = find_inode(dev, ino);
  if (inode) return inode;
  if (inode_count == inode_capacity) {
    inode_capacity = inode_capacity ? 2 * inode_capacity : 16;
    inodes = realloc(inodes, inode_capacity * sizeof *inodes);
    if (!inodes) abort();
  }
  inode = &inodes[inode_count++];
  *inode = (Inode){.dev = dev, .ino = ino, .whole = whole, .truncated_to = -1};
  return inode;
}

static void forget_inode(Inode* inode) {
  free(inode->ranges);
  *inode = inodes[--inode_count];
}

static void add_range(Inode* inode, off_t start, off_t end) {
  if (start >= end) return;
  Range* last = inode->count ? &inode->ranges[inode->count - 1] : NULL;
  if (last && start <= last->end && end >= last->start) {
    if (start < last->start) last->start = start;
    if (end > last->end) last->end = end;
    return;
  }
  if (inode->count == inode->capacity) {
    inode->capacity = inode->capacity ? 2 * inode->capacity : 16;
    inode->ranges = realloc(inode->ranges, inode->capacity * sizeof *inode->ranges);
    if (!inode->ranges) abort();
  }
  inode->ranges[inode->count++] = (Range){start, end};
}

static void copy_file(const char* from, const char* to) {
  int in = REAL(open)(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) die("open", from);
  make_parents(to);
  int out = REAL(open)(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) die("open", to);
  char buffer[65536];
  ssize_t n;
  while ((n = read(in, buffer, sizeof buffer)) > 0)
    if (REAL(write)(out, buffer, n) != n) die("write", to);
  if (n < 0) die("read", from);
  close(in);
  close(out);
}

/* Called before an open for writing: starts tracking the file, snapshotting what it holds.
 * Returns whether the file existed. */
static int track_before_open(int dirfd, const char* name, char* rel) {
  struct stat st;
  char target[PATH_MAX];
  if (!relative_path(dirfd, name, rel)) return 0;
  shadow_path(rel, target);
  int exists = fstatat(dirfd, name, &st, 0) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    rel[0] = 0; /* a device, a fifo, a folder: not a file of the disk */
    return 1;
  }
  if (exists && !find_inode(st.st_dev, st.st_ino) && access(target, F_OK) != 0) {
    char full[PATH_MAX];
    format_path(full, "%s/%s", root, rel);
    copy_file(full, target);
  }
  append_line("manifest", rel);
  return exists;
}

/* created: the open made the file, so an entry of its inode number is an unlinked file's. */
static void track_after_open(int fd, int flags, int whole, int created) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  Inode* inode = find_inode(st.st_dev, st.st_ino);
  if (inode && created) forget_inode(inode);
  inode = add_inode(st.st_dev, st.st_ino, whole);
  inode->whole |= whole;
  if (flags & O_TRUNC) inode->truncated_to = 0;
}

static int writes(int flags) { return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC); }

static int open_tracked(int dirfd, const char* name, int flags, mode_t mode) {
  if (!root[0] || !writes(flags)) return REAL(openat)(dirfd, name, flags, mode);
  char rel[PATH_MAX] = "";
  pthread_mutex_lock(&lock);
  int existed = track_before_open(dirfd, name, rel);
  int fd = REAL(openat)(dirfd, name, flags, mode);
  if (rel[0]) track_after_open(fd, flags, 0, !existed);
  pthread_mutex_unlock(&lock);
  return fd;
}

static mode_t open_mode(int flags, va_list args) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(args, mode_t) : 0;
}

int open(const char* name, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = open_mode(flags, args);
  va_end(args);
  return open_tracked(AT_FDCWD, name, flags, mode);
}

int open64(const char* name, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = open_mode(flags, args);
  va_end(args);
  return open_tracked(AT_FDCWD, name, flags, mode);
}

int openat(int dirfd, const char* name, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = open_mode(flags, args);
  va_end(args);
  return open_tracked(dirfd, name, flags, mode);
}

int openat64(int dirfd, const char* name, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = open_mode(flags, args);
  va_end(args);
  return open_tracked(dirfd, name, flags, mode);
}

int creat(const char* name, mode_t mode) { return open_tracked(AT_FDCWD, name, O_WRONLY | O_CREAT | O_TRUNC, mode); }
int creat64(const char* name, mode_t mode) { return open(name, O_WRONLY | O_CREAT | O_TRUNC, mode); }

/* mkstemp and its kin create their file through libc's own open, which the wrappers above do
 * not see: the new, empty file is tracked once it exists. */
static int temp_tracked(int fd, const char* name) {
  char rel[PATH_MAX] = "";
  if (fd < 0 || !root[0]) return fd;
  pthread_mutex_lock(&lock);
  if (relative_path(AT_FDCWD, name, rel)) {
    append_line("manifest", rel);
    track_after_open(fd, 0, 0, 1);
  }
  pthread_mutex_unlock(&lock);
  return fd;
}

int mkstemp(char* name) { return temp_tracked(REAL(mkstemp)(name), name); }
int mkostemp(char* name, int flags) { return temp_tracked(REAL(mkostemp)(name, flags), name); }
int mkstemps(char* name, int suffix) { return temp_tracked(REAL(mkstemps)(name, suffix), name); }
int mkostemps(char* name, int suffix, int flags) { return temp_tracked(REAL(mkostemps)(name, suffix, flags), name); }

static FILE* fopen_tracked(const char* name, const char* how, FILE* (*real)(const char*, const char*)) {
  if (!root[0] || !strpbrk(how, "wa+")) return real(name, how);
  char rel[PATH_MAX] = "";
  pthread_mutex_lock(&lock);
  int existed = track_before_open(AT_FDCWD, name, rel);
  FILE* file = real(name, how);
  if (rel[0] && file) track_after_open(fileno(file), how[0] == 'w' ? O_TRUNC : 0, 1, !existed);
  pthread_mutex_unlock(&lock);
  return file;
}

FILE* fopen(const char* name, const char* how) { return fopen_tracked(name, how, REAL(fopen)); }
FILE* fopen64(const char* name, const char* how) { return fopen_tracked(name, how, REAL(fopen64)); }

/* Records [offset, offset + written) for fd's inode, when it is tracked. */
static void record(int fd, off_t offset, ssize_t written) {
  if (written <= 0 || !regular_file(fd)) return;
  pthread_mutex_lock(&lock);
  Inode* inode = fd_inode(fd);
  if (inode) add_range(inode, offset, offset + written);
  pthread_mutex_unlock(&lock);
}

/* write and writev at the file offset: for a tracked file the write and the reading of the
 * offset after it happen under the lock, so that threads sharing an fd record their own ranges. */
#define WRITE_AT_OFFSET(call)                                                \
  do {                                                                       \
    if (!regular_file(fd)) return call;                                      \
    pthread_mutex_lock(&lock);                                               \
    Inode* inode = fd_inode(fd);                                             \
    if (!inode) {                                                            \
      pthread_mutex_unlock(&lock);                                           \
      return call;                                                           \
    }                                                                        \
    ssize_t written = call;                                                  \
    off_t end = written > 0 ? lseek(fd, 0, SEEK_CUR) : 0;                    \
    if (written > 0 && end >= written) add_range(inode, end - written, end); \
    pthread_mutex_unlock(&lock);                                             \
    return written;                                                          \
  } while (0)

ssize_t write(int fd, const void* data, size_t size) { WRITE_AT_OFFSET(REAL(write)(fd, data, size)); }
ssize_t writev(int fd, const struct iovec* iov, int count) { WRITE_AT_OFFSET(REAL(writev)(fd, iov, count)); }

ssize_t pwrite(int fd, const void* data, size_t size, off_t offset) {
  ssize_t n = REAL(pwrite)(fd, data, size, offset);
  record(fd, offset, n);
  return n;
}

ssize_t pwrite64(int fd, const void* data, size_t size, off64_t offset) {
  ssize_t n = REAL(pwrite64)(fd, data, size, offset);
  record(fd, offset, n);
  return n;
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
  ssize_t n = REAL(pwritev)(fd, iov, count, offset);
  record(fd, offset, n);
  return n;
}

ssize_t pwritev64(int fd, const struct iovec* iov, int count, off64_t offset) {
  ssize_t n = REAL(pwritev64)(fd, iov, count, offset);
  record(fd, offset, n);
  return n;
}

static void record_truncate(Inode* inode, off_t length) {
  if (inode && (inode->truncated_to < 0 || length < inode->truncated_to)) inode->truncated_to = length;
}

int ftruncate(int fd, off_t length) {
  int result = REAL(ftruncate)(fd, length);
  if (result == 0) {
    pthread_mutex_lock(&lock);
    record_truncate(fd_inode(fd), length);
    pthread_mutex_unlock(&lock);
  }
  return result;
}

int ftruncate64(int fd, off64_t length) { return ftruncate(fd, length); }

int truncate(const char* name, off_t length) {
  int fd = open(name, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int result = ftruncate(fd, length);
  close(fd);
  return result;
}

int truncate64(const char* name, off64_t length) { return truncate(name, length); }

/* Copies an inode's written ranges, truncation and size from source into the shadow target. */
static void copy_ranges(const Inode* inode, const char* source, const char* target, off_t size) {
  make_parents(target);
  int out = REAL(open)(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  int in = REAL(open)(source, O_RDONLY | O_CLOEXEC);
  if (out < 0 || in < 0) die("open", target);
  if (inode->truncated_to >= 0 && REAL(ftruncate)(out, inode->truncated_to) != 0) die("ftruncate", target);
  if (REAL(ftruncate)(out, size) != 0) die("ftruncate", target);
  char buffer[65536];
  for (size_t i = 0; i < inode->count; ++i) {
    for (off_t at = inode->ranges[i].start; at < inode->ranges[i].end && at < size;) {
      off_t left = inode->ranges[i].end - at;
      ssize_t n = pread(in, buffer, left < (off_t)sizeof buffer ? (size_t)left : sizeof buffer, at);
      if (n < 0) die("pread", source);
      if (n == 0) break;
      if (REAL(pwrite)(out, buffer, n, at) != n) die("pwrite", target);
      at += n;
    }
  }
  close(in);
  close(out);
}

/* Makes fd's inode durable in the shadow, and counts the flush in SHADOW/syncs. */
static void flush(int fd) {
  pthread_mutex_lock(&lock);
  Inode* inode = fd_inode(fd);
  char rel[PATH_MAX], target[PATH_MAX], source[64];
  struct stat st;
  if (inode && fd_relative_path(fd, rel) && fstat(fd, &st) == 0) {
    shadow_path(rel, target);
    snprintf(source, sizeof source, "/proc/self/fd/%d", fd);
    if (inode->whole) {
      copy_file(source, target);
    } else {
      copy_ranges(inode, source, target, st.st_size);
    }
    append_line("syncs", rel);
  }
  if (inode) {
    inode->count = 0;
    inode->truncated_to = -1;
  }
  pthread_mutex_unlock(&lock);
}

int fsync(int fd) {
  flush(fd);
  return REAL(fsync)(fd);
}

int fdatasync(int fd) {
  flush(fd);
  return REAL(fdatasync)(fd);
}

/* Drops the shadow of a path and forgets its inode: it is gone. */
static void forget_path(int dirfd, const char* name) {
  char rel[PATH_MAX], target[PATH_MAX];
  struct stat st;
  if (!relative_path(dirfd, name, rel)) return;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_nlink <= 1) {
    Inode* inode = find_inode(st.st_dev, st.st_ino);
    if (inode) forget_inode(inode);
  }
  shadow_path(rel, target);
  REAL(unlink)(target);
}

int unlinkat(int dirfd, const char* name, int flags) {
  pthread_mutex_lock(&lock);
  if (!(flags & AT_REMOVEDIR)) forget_path(dirfd, name);
  int result = REAL(unlinkat)(dirfd, name, flags);
  pthread_mutex_unlock(&lock);
  return result;
}

int unlink(const char* name) { return unlinkat(AT_FDCWD, name, 0); }

int remove(const char* name) {
  struct stat st;
  if (lstat(name, &st) == 0 && S_ISDIR(st.st_mode)) return unlinkat(AT_FDCWD, name, AT_REMOVEDIR);
  return unlinkat(AT_FDCWD, name, 0);
}

/* The shadow follows the name; a name that takes an unsynced file is listed, so the cut deletes it. */
static void move_shadow(int from_dirfd, const char* from, int to_dirfd, const char* to) {
  char from_rel[PATH_MAX], to_rel[PATH_MAX], from_shadow[PATH_MAX], to_shadow[PATH_MAX];
  int from_inside = relative_path(from_dirfd, from, from_rel);
  if (!relative_path(to_dirfd, to, to_rel)) return;
  shadow_path(to_rel, to_shadow);
  if (from_inside) {
    shadow_path(from_rel, from_shadow);
    make_parents(to_shadow);
    if (REAL(rename)(from_shadow, to_shadow) == 0) return;
  }
  REAL(unlink)(to_shadow);
  append_line("manifest", to_rel);
}

int renameat2(int from_dirfd, const char* from, int to_dirfd, const char* to, unsigned flags) {
  pthread_mutex_lock(&lock);
  struct stat replaced;
  int replaces = root[0] && fstatat(to_dirfd, to, &replaced, AT_SYMLINK_NOFOLLOW) == 0 && replaced.st_nlink <= 1;
  int result = REAL(renameat2)(from_dirfd, from, to_dirfd, to, flags);
  if (result == 0 && replaces) {
    Inode* inode = find_inode(replaced.st_dev, replaced.st_ino);
    if (inode) forget_inode(inode);
  }
  if (result == 0 && root[0]) move_shadow(from_dirfd, from, to_dirfd, to);
  pthread_mutex_unlock(&lock);
  return result;
}

int renameat(int from_dirfd, const char* from, int to_dirfd, const char* to) {
  return renameat2(from_dirfd, from, to_dirfd, to, 0);
}

int rename(const char* from, const char* to) { return renameat2(AT_FDCWD, from, AT_FDCWD, to, 0); }
