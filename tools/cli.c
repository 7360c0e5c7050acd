/* cli.c - helpers shared by the subcommands: error lines and suggestions. */
#include "tools/cli.h"

#include "common/common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
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

/* ---- option tables ---- */

/* Errors of a subcommand start "check: ", plain sched's start bare. */
static const char *prefix(const cli_spec_t *spec) { return spec->command ? spec->command : ""; }
static const char *colon(const cli_spec_t *spec) { return spec->command ? ": " : ""; }
/* "sched check", or "sched" */
static void help_name(const cli_spec_t *spec, char *buf, size_t n) {
  snprintf(buf, n, "sched%s%s", spec->command ? " " : "", spec->command ? spec->command : "");
}

static int number_error(const cli_spec_t *spec, const cli_option_t *o, const char *value) {
  bool any = o->min == 0 && o->max == 0;
  const char *what = o->kind == CLI_ARG_INT ? "an integer" : "a number";
  if (any)
    return cli_error("%s%s%s: expected %s >= 0, got '%s'", prefix(spec), colon(spec), o->flag, what,
                     value);
  return cli_error("%s%s%s: expected %s in [%.15g, %.15g], got '%s'", prefix(spec), colon(spec),
                   o->flag, what, o->min, o->max, value);
}

static int set_number(const cli_spec_t *spec, const cli_option_t *o, const char *value,
                      void *field) {
  char *end = NULL;
  errno = 0;
  double v = o->kind == CLI_ARG_INT ? (double)strtoll(value, &end, 10) : strtod(value, &end);
  double max = o->min == 0 && o->max == 0 ? INFINITY : o->max;
  if (end == value || *end || errno == ERANGE || !isfinite(v) || v < o->min || v > max)
    return number_error(spec, o, value);
  if (o->kind == CLI_ARG_INT)
    *(int64_t *)field = strtoll(value, NULL, 10);
  else
    *(double *)field = v;
  return CLI_EXIT_OK;
}

static int unknown_option(const cli_spec_t *spec, const char *arg, size_t len) {
  const char *names[64];
  int n = 0;
  for (int i = 0; i < spec->n_options && n < 63; i++)
    names[n++] = spec->options[i].flag;
  names[n] = NULL;
  char flag[64];
  snprintf(flag, sizeof flag, "%.*s", (int)SCHED_MIN(len, sizeof flag - 1), arg);
  const char *guess = cli_suggest(flag, names);
  char help[64];
  help_name(spec, help, sizeof help);
  if (guess)
    return cli_error("%s%sunknown option '%s' (did you mean '%s'?)", prefix(spec), colon(spec),
                     flag, guess);
  return cli_error("%s%sunknown option '%s' (see %s --help)", prefix(spec), colon(spec), flag,
                   help);
}

/* The option arg names: "--opt", "--opt=V", or "-jV" for one-letter ones;
 * *inline_value is V when the argument carries it. */
static const cli_option_t *find_option(const cli_spec_t *spec, const char *arg,
                                       const char **inline_value) {
  *inline_value = NULL;
  for (int i = 0; i < spec->n_options; i++) {
    const cli_option_t *o = &spec->options[i];
    size_t n = strlen(o->flag);
    if (strncmp(arg, o->flag, n) != 0)
      continue;
    if (arg[n] == '\0')
      return o;
    if (arg[n] == '=' && arg[1] == '-') {
      *inline_value = arg + n + 1;
      return o;
    }
    if (n == 2 && arg[1] != '-' && o->kind != CLI_ARG_FLAG && o->kind != CLI_ARG_CONST) {
      *inline_value = arg + n;
      return o;
    }
  }
  return NULL;
}

static int set_option(const cli_spec_t *spec, const cli_option_t *o, const char *value,
                      void *opts) {
  void *field = (char *)opts + o->offset;
  switch (o->kind) {
  case CLI_ARG_FLAG: *(bool *)field = true; return CLI_EXIT_OK;
  case CLI_ARG_CONST: *(const char **)field = o->value; return CLI_EXIT_OK;
  case CLI_ARG_STRING: *(const char **)field = value; return CLI_EXIT_OK;
  case CLI_ARG_DOUBLE:
  case CLI_ARG_INT: return set_number(spec, o, value, field);
  case CLI_ARG_LIST: {
    cli_list_t *list = field;
    if (list->n == CLI_LIST_MAX)
      return cli_error("%s%s%s: at most %d, got '%s' as one more", prefix(spec), colon(spec),
                       o->flag, CLI_LIST_MAX, value);
    list->items[list->n++] = value;
    return CLI_EXIT_OK;
  }
  }
  return CLI_EXIT_INPUT;
}

static int add_positional(cli_spec_t *spec, const char *arg) {
  if (spec->n_positional >= spec->max_positional || spec->n_positional >= 8) {
    char help[64];
    help_name(spec, help, sizeof help);
    if (spec->max_positional == 0)
      return cli_error("%s%sunexpected argument '%s' (see %s --help)", prefix(spec), colon(spec),
                       arg, help);
    if (spec->max_positional > 1)
      return cli_error("%s%sunexpected argument '%s' (after %s)", prefix(spec), colon(spec), arg,
                       spec->positional_name);
    return cli_error("%s%sone %s only, got '%s' and '%s'", prefix(spec), colon(spec),
                     spec->positional_name, spec->positional[0], arg);
  }
  spec->positional[spec->n_positional++] = arg;
  return CLI_EXIT_OK;
}

int cli_parse(cli_spec_t *spec, int argc, char **argv, void *opts) {
  spec->n_positional = 0;
  bool options_done = false;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      if (add_positional(spec, arg) != CLI_EXIT_OK)
        return CLI_EXIT_INPUT;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      options_done = true;
      continue;
    }
    const char *value;
    const cli_option_t *o = find_option(spec, arg, &value);
    if (!o)
      return unknown_option(spec, arg, strcspn(arg, "="));
    bool takes_value = o->kind != CLI_ARG_FLAG && o->kind != CLI_ARG_CONST;
    if (!takes_value && value)
      return cli_error("%s%s%s takes no value, got '%s'", prefix(spec), colon(spec), o->flag, arg);
    if (takes_value && !value) {
      if (i + 1 >= argc)
        return cli_error("%s%s%s needs a value (%s)", prefix(spec), colon(spec), o->flag,
                         o->metavar);
      value = argv[++i];
    }
    if (set_option(spec, o, value, opts) != CLI_EXIT_OK)
      return CLI_EXIT_INPUT;
  }
  return CLI_EXIT_OK;
}

void cli_print_options(const cli_spec_t *spec, FILE *out) {
  for (int i = 0; i < spec->n_options; i++) {
    const cli_option_t *o = &spec->options[i];
    char left[48];
    snprintf(left, sizeof left, "%s%s%s", o->flag, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
    if (strlen(left) > 24) /* the help goes under its column */
      fprintf(out, "  %s\n%27s", left, "");
    else
      fprintf(out, "  %-24s ", left);
    for (const char *c = o->help; *c; c++)
      if (*c == '\n')
        fprintf(out, "\n%27s", ""); /* under the help column */
      else
        fputc(*c, out);
    fputc('\n', out);
  }
}
