/* shape_assert.h - asserting an IR shape dim by dim with a readable
 * message: shared by the IR, zoo and transformer tests. */
#ifndef SCHED_TESTS_SHAPE_ASSERT_H
#define SCHED_TESTS_SHAPE_ASSERT_H

#include <criterion/criterion.h>

#include "ir/ir.h"

#define assert_shape(got, N, C, H, W)                                                              \
  do {                                                                                             \
    ir_shape_t s_ = (got);                                                                         \
    cr_assert(s_.n == (N) && s_.c == (C) && s_.h == (H) && s_.w == (W),                            \
              "shape %lldx%lldx%lldx%lld, expected %dx%dx%dx%d", (long long)s_.n, (long long)s_.c, \
              (long long)s_.h, (long long)s_.w, (N), (C), (H), (W));                               \
  } while (0)

#endif
