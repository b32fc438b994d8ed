/* TEST ONLY: an LD_PRELOAD shim that makes the database's disk "full" on demand, for the
 * disk-full scenario of tests/reliability/ (a loop-mounted filesystem or a tmpfs cannot be
 * mounted unprivileged, and this needs no hook in dondocd at all).
 *
 *   DONDOC_ENOSPC_FLAG=/path/flag   while this file exists, …
 *   DONDOC_ENOSPC_MATCH=dondoc.db   … every write to a file whose path contains this
 *                                   text fails with ENOSPC, as on a full filesystem
 *
 * write, pwrite, pwrite64, writev and fallocate are wrapped: what SQLite uses for its
 * database, WAL and shared-memory files. Everything else (sockets, the log) writes as
 * usual. Built by tests/reliability/run.sh: cc -shared -fPIC -o enospc_shim.so … -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int full_for(int fd) {
  const char* flag = getenv("DONDOC_ENOSPC_FLAG");
  const char* match = getenv("DONDOC_ENOSPC_MATCH");
  if (flag == NULL || match == NULL || access(flag, F_OK) != 0) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  return strstr(path, match) != NULL;
}

typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void*, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec*, int);
typedef int (*fallocate_fn)(int, int, off_t, off_t);

#define NEXT(name) \
  static name##_fn next_##name; \
  if (next_##name == NULL) next_##name = (name##_fn)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void* buf, size_t count) {
  NEXT(write);
  if (count > 0 && full_for(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next_write(fd, buf, count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  NEXT(pwrite);
  if (count > 0 && full_for(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next_pwrite(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) {
  NEXT(pwrite64);
  if (count > 0 && full_for(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next_pwrite64(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  NEXT(writev);
  if (iovcnt > 0 && full_for(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next_writev(fd, iov, iovcnt);
}

int fallocate(int fd, int mode, off_t offset, off_t len) {
  NEXT(fallocate);
  if (full_for(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next_fallocate(fd, mode, offset, len);
}
