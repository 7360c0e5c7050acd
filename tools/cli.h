/* cli.h - the sched command's subcommands. Each is `int cmd_NAME(argc, argv)`
 * (argv[0] is the subcommand's name) returning the process exit code:
 * 0 success, 1 a negative answer (infeasible, check failed), 2 bad input.
 * Adding a subcommand is one cmd_*.c file plus one row in main.c. */
#ifndef SCHED_CLI_H
#define SCHED_CLI_H

#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_NO 1
#define CLI_EXIT_INPUT 2

int cmd_run(int argc, char **argv);      /* plan and report a network (the default) */
int cmd_cost(int argc, char **argv);     /* cost one DPU workload */
int cmd_memalloc(int argc, char **argv); /* allocate buffers from a CSV */
int cmd_check(int argc, char **argv);    /* operator support of a net on a target */
int cmd_sweep(int argc, char **argv);    /* run a sweep file (experiments/) */
int cmd_regress(int argc, char **argv);  /* golden metrics check (experiments/) */
int cmd_plot(int argc, char **argv);     /* gnuplot pictures of sweep results */
int cmd_advise(int argc, char **argv);   /* model advisor: measured rewrites (advisor/) */
int cmd_lut(int argc, char **argv);      /* NAS latency table of a search space (advisor/) */

/* Prints "sched: error: <msg>" to stderr and returns CLI_EXIT_INPUT. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A numeric option's value: finite and in [lo, hi] (so "nan", "inf" and
 * "3x" are refused), else an error naming the flag; CLI_EXIT_OK or
 * CLI_EXIT_INPUT. A time limit is (0, CLI_MAX_SECONDS]. */
#define CLI_MAX_SECONDS 1e6
int cli_double(const char *flag, const char *text, double lo, double hi, double *out);
int cli_int(const char *flag, const char *text, int lo, int hi, int *out);

/* The closest of `candidates` (NULL-terminated) to `word`, or NULL when none
 * is within a small edit distance. */
const char *cli_suggest(const char *word, const char *const *candidates);

/* ---- options: one table per command, parsed and printed from it ---- */

typedef enum {
  CLI_ARG_FLAG,   /* bool, no value */
  CLI_ARG_STRING, /* const char * */
  CLI_ARG_DOUBLE, /* double in [min, max] */
  CLI_ARG_INT,    /* int64_t in [min, max] */
  CLI_ARG_CONST,  /* const char *: set to `value`, no argument (e.g. -O2 = ilp) */
  CLI_ARG_LIST    /* cli_list_t: a value each time the option is given */
} cli_arg_kind_t;

/* A repeatable option's values, in order (plot --where A --where B). */
#define CLI_LIST_MAX 8
typedef struct {
  const char *items[CLI_LIST_MAX];
  int n;
} cli_list_t;

typedef struct {
  const char *flag; /* "--net", "-j" */
  cli_arg_kind_t kind;
  size_t offset; /* of the field in the command's options struct */
  const char *metavar;
  const char *help;
  double min, max;   /* numbers: the accepted range (both 0: any non-negative) */
  const char *value; /* CLI_ARG_CONST: what the field is set to */
} cli_option_t;

/* Table rows: an option with a value or a flag, a number with its range,
 * and an option that sets a string to a constant. */
#define CLI_OPT(flag_, kind_, offset_, metavar_, help_)                                            \
  { .flag = flag_, .kind = kind_, .offset = offset_, .metavar = metavar_, .help = help_ }
#define CLI_NUM(flag_, kind_, offset_, metavar_, help_, min_, max_)                                \
  {                                                                                                \
    .flag = flag_, .kind = kind_, .offset = offset_, .metavar = metavar_, .help = help_,           \
    .min = min_, .max = max_                                                                       \
  }
#define CLI_CONST(flag_, offset_, value_, help_)                                                   \
  { .flag = flag_, .kind = CLI_ARG_CONST, .offset = offset_, .help = help_, .value = value_ }

typedef struct {
  const char *command; /* "check", "sweep": prefixes errors; NULL for plain sched */
  const cli_option_t *options;
  int n_options;
  int max_positional; /* arguments that are not options (0: none) */
  const char *positional_name;
  /* filled by cli_parse: */
  const char *positional[8];
  int n_positional;
} cli_spec_t;

/* getopt_long's conventions: `--opt VALUE` and `--opt=VALUE`, `-j4` for a
 * one-letter option, `--` ends the options; numbers are checked whole and in
 * range. Fills opts (the command's struct, defaults already set) and
 * spec->positional. On bad input prints one error line and returns
 * CLI_EXIT_INPUT. */
int cli_parse(cli_spec_t *spec, int argc, char **argv, void *opts);
/* The options of spec, one line each: "  --flag VALUE   help"; a '\n' in
 * help continues under the help column. */
void cli_print_options(const cli_spec_t *spec, FILE *out);

/* The command line as a shell would retype it: "sched" then argv[1..],
 * quoted where needed (for `sched SUB ...`, argv[0] is SUB and is kept).
 * Caller frees. */
char *cli_command_line(int argc, char **argv);

#endif
