/* fuzz_file.h - hands a fuzz input to a reader the way the CLI does: as a
 * file path. The bytes go into an anonymous in-memory file (memfd, a
 * regular file to fstat) named /proc/self/fd/N, so the path goes through
 * sched_file_open like any file named on the command line. */
#ifndef SCHED_FUZZ_FILE_H
#define SCHED_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct {
  int fd;
  char path[64];
} fuzz_file_t;

static inline void fuzz_file_open(fuzz_file_t *f, const uint8_t *data, size_t size) {
  f->fd = memfd_create("fuzz", MFD_CLOEXEC);
  if (f->fd < 0 || write(f->fd, data, size) != (ssize_t)size)
    abort();
  snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

static inline void fuzz_file_close(fuzz_file_t *f) { close(f->fd); }

#endif
