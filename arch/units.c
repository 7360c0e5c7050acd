/* units.c - sizes, times and MPE mode names.
 *
 * Sizes are parsed by hand rather than with strtod so that "1.5MiB" is exact
 * (1572864 bytes), so that a fraction of a byte is caught instead of
 * rounded, and so that "inf", "1e9" or hex never sneak in. KB/MB/GB are
 * binary, as DESIGN.md says for --cmx. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arch/arch.h"

#define SIZE_MAX_BYTES (INT64_C(1) << 40) /* 1 TiB: anything above is a typo */
#define SIZE_MAX_DIGITS 15                /* keeps the exact arithmetic in int64 */

typedef struct {
  const char *name;
  int64_t bytes;
} size_unit_t;

static const size_unit_t size_units[] = {
    {"", 1},
    {"B", 1},
    {"K", INT64_C(1) << 10},
    {"KB", INT64_C(1) << 10},
    {"KiB", INT64_C(1) << 10},
    {"M", INT64_C(1) << 20},
    {"MB", INT64_C(1) << 20},
    {"MiB", INT64_C(1) << 20},
    {"G", INT64_C(1) << 30},
    {"GB", INT64_C(1) << 30},
    {"GiB", INT64_C(1) << 30},
};

/* A decimal number as whole / 10^frac_digits, exactly. */
typedef struct {
  int64_t scaled;
  int64_t scale; /* 10^frac_digits */
} decimal_t;

typedef enum { DECIMAL_OK, DECIMAL_NONE, DECIMAL_TOO_LONG } decimal_status_t;

/* Reads [digits][.digits] at *p and advances *p past it. */
static decimal_status_t decimal_read(const char **p, decimal_t *out) {
  const char *s = *p;
  int digits = 0;
  bool seen_dot = false;
  out->scaled = 0;
  out->scale = 1;
  for (; isdigit((unsigned char)*s) || (*s == '.' && !seen_dot); s++) {
    if (*s == '.') {
      seen_dot = true;
      continue;
    }
    if (++digits > SIZE_MAX_DIGITS)
      return DECIMAL_TOO_LONG;
    out->scaled = out->scaled * 10 + (*s - '0');
    if (seen_dot)
      out->scale *= 10;
  }
  *p = s;
  return digits > 0 ? DECIMAL_OK : DECIMAL_NONE;
}

static int64_t gcd_i64(int64_t a, int64_t b) {
  while (b != 0) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

static const size_unit_t *size_unit_find(const char *name) {
  for (int i = 0; i < SCHED_ARRAY_LEN(size_units); i++)
    if (strcasecmp(name, size_units[i].name) == 0)
      return &size_units[i];
  return NULL;
}

int arch_parse_size(const char *text, int64_t *bytes, sched_diag_t *diag) {
  const char *p = text ? text : "";
  while (isspace((unsigned char)*p))
    p++;
  if (*p == '\0')
    return sched_diag_set(diag, SCHED_ERR_INPUT, "bad size '%s': empty", text ? text : "");
  if (*p == '-')
    return sched_diag_set(diag, SCHED_ERR_INPUT, "bad size '%s': negative", text);
  if (*p == '+')
    p++;
  decimal_t num;
  decimal_status_t st = decimal_read(&p, &num);
  if (st == DECIMAL_TOO_LONG)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "bad size '%s': larger than 1 TiB", text);
  if (st == DECIMAL_NONE)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "bad size '%s': not a number", text);
  if ((*p == 'e' || *p == 'E') && (isdigit((unsigned char)p[1]) || p[1] == '+' || p[1] == '-'))
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "bad size '%s': exponent notation is not taken (write 2MB or 2097152)",
                          text);
  while (*p == ' ')
    p++;
  const size_unit_t *unit = size_unit_find(p);
  if (!unit)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "bad size '%s': unknown unit '%s' (use B, KB, MB, GB, KiB, MiB or GiB)",
                          text, p);
  /* Checked in floating point first so the exact product below cannot
   * overflow. */
  if (num.scaled > 0 &&
      (double)num.scaled * (double)unit->bytes / (double)num.scale > (double)SIZE_MAX_BYTES)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "bad size '%s': larger than 1 TiB", text);
  /* value = scaled * unit / scale; with the common factor cancelled, the
   * remaining scale must divide scaled, else a fraction of a byte is left. */
  int64_t common = gcd_i64(unit->bytes, num.scale);
  int64_t scale = num.scale / common;
  if (num.scaled % scale != 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "bad size '%s': not a whole number of bytes",
                          text);
  int64_t value = num.scaled / scale * (unit->bytes / common);
  if (value == 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "bad size '%s': zero", text);
  *bytes = value;
  return SCHED_OK;
}

const char *arch_format_size(int64_t bytes, char *buf, size_t buf_len) {
  static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  double v = (double)bytes;
  while (i < 4 && (v >= 1024.0 || v <= -1024.0)) {
    v /= 1024.0;
    i++;
  }
  if (i == 0)
    snprintf(buf, buf_len, "%lld B", (long long)bytes);
  else
    snprintf(buf, buf_len, "%.2f %s", v, names[i]);
  return buf;
}

double arch_cycles_to_us(const arch_t *a, int64_t cycles) {
  return (double)cycles / a->dpu_clock_mhz;
}

int64_t arch_us_to_cycles(const arch_t *a, double us) {
  double cycles = round(us * a->dpu_clock_mhz);
  return cycles < 0 ? (int64_t)cycles : sched_cycles_ceil(cycles); /* negative: a bug, kept */
}

/* ---- MPE modes ---- */

typedef struct {
  const char *name;
  const char *long_name;
  arch_mpe_grid_t grid;
} mpe_mode_info_t;

/* Grids per mode. The mode names count output positions x channels: one
 * step of CUBOID_16x16 covers 16 positions of 16 channels. The positions'
 * shape follows the NPU2.7 measurements in intel/npu-nn-cost-model
 * (tests/cpp/vpu/regressions/NPU27_regression_tests.cpp): in every mode a
 * workload of 1, 2 or 3 rows costs like 4 rows, and 6 rows like 8, so all
 * three modes span 4 rows and differ in width (4, 2, 1). VPU2.0: MATRIX is
 * 4x4 and VECTOR 16x1 (the public cost model's grids), 16 channels each. */
static const mpe_mode_info_t mpe_modes[ARCH_MPE_COUNT] = {
    [ARCH_MPE_AUTO] = {"auto", "AUTO", {0, 0, 0}},
    [ARCH_MPE_CUBOID_16x16] = {"16x16", "CUBOID_16x16", {4, 4, 16}},
    [ARCH_MPE_CUBOID_8x16] = {"8x16", "CUBOID_8x16", {2, 4, 16}},
    [ARCH_MPE_CUBOID_4x16] = {"4x16", "CUBOID_4x16", {1, 4, 16}},
    [ARCH_MPE_VECTOR] = {"vector", "VECTOR", {16, 1, 16}},
    [ARCH_MPE_MATRIX] = {"matrix", "MATRIX", {4, 4, 16}},
};

const char *arch_mpe_mode_name(arch_mpe_mode_t mode) {
  if ((int)mode < 0 || mode >= ARCH_MPE_COUNT)
    return "?";
  return mpe_modes[mode].name;
}

int arch_mpe_mode_parse(const char *s, arch_mpe_mode_t *out) {
  for (int m = 0; m < ARCH_MPE_COUNT; m++) {
    if (strcasecmp(s, mpe_modes[m].name) == 0 || strcasecmp(s, mpe_modes[m].long_name) == 0) {
      *out = (arch_mpe_mode_t)m;
      return SCHED_OK;
    }
  }
  return SCHED_ERR_INPUT;
}

arch_mpe_grid_t arch_mpe_grid(arch_mpe_mode_t mode) {
  if ((int)mode < 0 || mode >= ARCH_MPE_COUNT)
    SCHED_UNREACHABLE();
  return mpe_modes[mode].grid;
}
