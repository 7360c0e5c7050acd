/* cli.c - helpers shared by the subcommands: error lines and suggestions. */
#include "tools/cli.h"

#include "common/common.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* Whether a shell would take arg as one word as it is. */
static bool shell_plain(const char *arg) {
  if (!*arg)
    return false;
  for (const char *c = arg; *c; c++)
    if (!isalnum((unsigned char)*c) && !strchr("-_./:=,+@%", *c))
      return false;
  return true;
}

char *cli_command_line(int argc, char **argv) {
  size_t cap = 64;
  for (int i = 0; i < argc; i++)
    cap += 4 * strlen(argv[i]) + 3;
  char *line = sched_xmalloc(cap), *at = line;
  at += sprintf(at, "sched");
  bool sub = argc > 0 && !strchr(argv[0], '/') && strcmp(argv[0], "sched") != 0;
  for (int i = sub ? 0 : 1; i < argc; i++) {
    if (shell_plain(argv[i])) {
      at += sprintf(at, " %s", argv[i]);
      continue;
    }
    at += sprintf(at, " '");
    for (const char *c = argv[i]; *c; c++)
      at += *c == '\'' ? sprintf(at, "'\\''") : sprintf(at, "%c", *c);
    at += sprintf(at, "'");
  }
  return line;
}
