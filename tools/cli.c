/* cli.c - helpers shared by the subcommands: error lines and suggestions. */
#include "tools/cli.h"

#include "common/common.h"

#include <stdarg.h>
#include <string.h>

int cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("sched: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return CLI_EXIT_INPUT;
}

int cli_double(const char *flag, const char *text, double lo, double hi, double *out) {
  if (sched_parse_double(text, lo, hi, out))
    return CLI_EXIT_OK;
  return cli_error("%s: expected a finite number in [%g, %g], got '%s'", flag, lo, hi, text);
}

int cli_int(const char *flag, const char *text, int lo, int hi, int *out) {
  long long v;
  if (!sched_parse_int(text, lo, hi, &v))
    return cli_error("%s: expected an integer in %d..%d, got '%s'", flag, lo, hi, text);
  *out = (int)v;
  return CLI_EXIT_OK;
}

const char *cli_suggest(const char *word, const char *const *candidates) {
  const char *best = NULL;
  int best_d = 3; /* more than two edits away is no suggestion */
  for (int i = 0; candidates[i]; i++) {
    int d = sched_edit_distance(word, candidates[i]);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best;
}
