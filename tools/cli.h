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

#endif
