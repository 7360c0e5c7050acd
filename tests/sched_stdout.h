/* sched_stdout.h - runs the sched binary for a test and returns what it
 * printed on stdout (the caller frees); asserts that it exited 0. */
#ifndef SCHED_TEST_STDOUT_H
#define SCHED_TEST_STDOUT_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static inline char *sched_stdout(const char *args) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s %s", SCHED_BINARY, args);
  FILE *p = popen(cmd, "r");
  cr_assert(p);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  for (size_t got; (got = fread(buf + n, 1, cap - n - 1, p)) > 0;) {
    n += got;
    if (n + 1 == cap)
      buf = realloc(buf, cap *= 2);
  }
  buf[n] = '\0';
  cr_assert_eq(pclose(p), 0, "sched %s failed", args);
  return buf;
}

#endif
