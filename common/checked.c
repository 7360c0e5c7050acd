/* checked.c - integer arithmetic on sizes that reports overflow, and the
 * parse of numeric options (finite, in range, nothing after the number). */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

bool sched_mul_i64(int64_t a, int64_t b, int64_t *out) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return false;
  *out = r;
  return true;
}

bool sched_add_i64(int64_t a, int64_t b, int64_t *out) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return false;
  *out = r;
  return true;
}

bool sched_mul_size(size_t a, size_t b, size_t *out) {
  size_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return false;
  *out = r;
  return true;
}

bool sched_double_to_i64(double x, int64_t *out) {
  /* 2^63 is exact in a double; every double below it converts. */
  if (!isfinite(x) || x >= 9223372036854775808.0 || x < -9223372036854775808.0)
    return false;
  *out = (int64_t)x;
  return true;
}

int64_t sched_cycles_ceil(double cycles) {
  if (!(cycles > 0))
    return 0;
  return cycles >= (double)SCHED_MAX_CYCLES ? SCHED_MAX_CYCLES : (int64_t)ceil(cycles);
}

bool sched_parse_double(const char *text, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v) || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

bool sched_parse_int(const char *text, long long lo, long long hi, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}
