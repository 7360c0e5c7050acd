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
