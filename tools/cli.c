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

/* Levenshtein distance, bounded to short words (flags, net names). */
static int edit_distance(const char *a, const char *b) {
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (la > 63 || lb > 63)
    return 99;
  int row[64];
  for (int j = 0; j <= lb; j++)
    row[j] = j;
  for (int i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = i;
    for (int j = 1; j <= lb; j++) {
      int up = row[j];
      int sub = diag + (a[i - 1] != b[j - 1]);
      int best = SCHED_MIN(up + 1, row[j - 1] + 1);
      row[j] = SCHED_MIN(best, sub);
      diag = up;
    }
  }
  return row[lb];
}

const char *cli_suggest(const char *word, const char *const *candidates) {
  const char *best = NULL;
  int best_d = 3; /* more than two edits away is no suggestion */
  for (int i = 0; candidates[i]; i++) {
    int d = edit_distance(word, candidates[i]);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best;
}
