/* file.c - the one bounded, checked way to read an input file and to write a
 * result file, and the check of stdout at exit. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_error(const char *path, const char *what, const char *why, sched_diag_t *diag) {
  return sched_diag_set(diag, SCHED_ERR_INPUT, "%s%s%s: %s", what ? what : "", what ? " " : "",
                        path, why);
}

int sched_file_open(const char *path, const char *what, size_t max_bytes, FILE **out,
                    sched_diag_t *diag) {
  *out = NULL;
  /* O_NONBLOCK: opening a FIFO with no writer must not wait for one. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    char why[128];
    snprintf(why, sizeof why, "cannot open: %s", strerror(errno));
    return open_error(path, what, why, diag);
  }
  struct stat st;
  const char *why = NULL;
  char size_why[96];
  if (fstat(fd, &st) != 0)
    why = strerror(errno);
  else if (S_ISDIR(st.st_mode))
    why = "is a directory, not a file";
  else if (!S_ISREG(st.st_mode))
    why = "not a regular file (a FIFO, device or socket is not read)";
  else if ((uint64_t)st.st_size > max_bytes) {
    snprintf(size_why, sizeof size_why, "file is %lld bytes, the limit is %zu",
             (long long)st.st_size, max_bytes);
    why = size_why;
  }
  int flags = why ? 0 : fcntl(fd, F_GETFL);
  if (!why && (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0))
    why = strerror(errno);
  FILE *f = why ? NULL : fdopen(fd, "rb");
  if (!f) {
    int rc = open_error(path, what, why ? why : strerror(errno), diag);
    close(fd);
    return rc;
  }
  *out = f;
  return SCHED_OK;
}

int sched_file_read(const char *path, const char *what, size_t max_bytes, char **text, size_t *len,
                    sched_diag_t *diag) {
  *text = NULL;
  FILE *f;
  int rc = sched_file_open(path, what, max_bytes, &f, diag);
  if (rc != SCHED_OK)
    return rc;
  /* The size fstat saw may change while reading: read until EOF but never
   * past max_bytes + 1. */
  size_t cap = 4096, n = 0;
  char *buf = sched_xmalloc(cap + 1);
  for (;;) {
    if (n == cap) {
      if (cap > max_bytes)
        break;
      cap = SCHED_MIN(cap * 2, max_bytes + 1);
      buf = sched_xrealloc(buf, cap + 1);
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror(f))
    rc = open_error(path, what, "read error", diag);
  else if (n > max_bytes) {
    char why[96];
    snprintf(why, sizeof why, "larger than the limit of %zu bytes", max_bytes);
    rc = open_error(path, what, why, diag);
  }
  fclose(f);
  if (rc != SCHED_OK) {
    free(buf);
    return rc;
  }
  buf[n] = '\0';
  *text = buf;
  if (len)
    *len = n;
  return SCHED_OK;
}

static int write_error(const char *path, int err, sched_diag_t *diag) {
  return sched_diag_set(diag, SCHED_ERR_INPUT, "%s: cannot write: %s", path,
                        strerror(err ? err : EIO));
}

/* Mode of a new file as open(2) with 0666 would make it (mkstemp uses 0600). */
static mode_t created_mode(void) {
  mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

int sched_out_open(sched_out_t *o, const char *path, sched_diag_t *diag) {
  memset(o, 0, sizeof *o);
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s: is a directory, not a file", path);
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    o->f = fopen(path, "w");
    if (!o->f)
      return write_error(path, errno, diag);
    o->path = sched_xstrdup(path);
    return SCHED_OK;
  }
  size_t n = strlen(path);
  o->tmp = sched_xmalloc(n + 16);
  snprintf(o->tmp, n + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(o->tmp);
  if (fd < 0 || fchmod(fd, created_mode()) != 0 || !(o->f = fdopen(fd, "w"))) {
    int err = errno;
    if (fd >= 0) {
      close(fd);
      unlink(o->tmp);
    }
    free(o->tmp);
    o->tmp = NULL;
    return write_error(path, err, diag);
  }
  o->path = sched_xstrdup(path);
  return SCHED_OK;
}

void sched_out_discard(sched_out_t *o) {
  if (o->f)
    fclose(o->f);
  if (o->tmp)
    unlink(o->tmp);
  free(o->tmp);
  free(o->path);
  memset(o, 0, sizeof *o);
}

int sched_out_commit(sched_out_t *o, sched_diag_t *diag) {
  int err = 0;
  if (ferror(o->f) || fflush(o->f) != 0)
    err = errno ? errno : EIO;
  if (!err && o->tmp && fsync(fileno(o->f)) != 0 && errno != EINVAL)
    err = errno;
  int closed = fclose(o->f);
  o->f = NULL;
  if (!err && closed != 0)
    err = errno ? errno : EIO;
  if (!err && o->tmp && rename(o->tmp, o->path) != 0)
    err = errno;
  int rc = err ? write_error(o->path, err, diag) : SCHED_OK;
  if (!err) {
    free(o->tmp);
    o->tmp = NULL;
  }
  sched_out_discard(o);
  return rc;
}

int sched_write_text(const char *path, const char *text, sched_diag_t *diag) {
  sched_out_t o;
  int rc = sched_out_open(&o, path, diag);
  if (rc != SCHED_OK)
    return rc;
  fputs(text, o.f);
  return sched_out_commit(&o, diag);
}

bool sched_stdout_ok(void) {
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout))
    return true;
  fprintf(stderr, "sched: error: writing standard output: %s\n", strerror(errno ? errno : EIO));
  return false;
}
