/* main.c - the sched command: dispatches to a subcommand, or runs the
 * planning pipeline (cmd_run) when the first argument is a flag. */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "tools/cli.h"

typedef struct {
  const char *name;
  int (*main)(int argc, char **argv);
  const char *summary;
} subcommand_t;

static const subcommand_t subcommands[] = {
    {"run", cmd_run, "plan a network and report it (default when the first argument is a flag)"},
    {"cost", cmd_cost, "cost one DPU workload"},
    {"memalloc", cmd_memalloc, "allocate CMX buffers from a CSV of live ranges"},
    {"check", cmd_check, "which ops of a net fall back to the CPU on a target, and why"},
    {"sweep", cmd_sweep, "run a sweep file's points in parallel; one CSV/JSON row per point"},
    {"regress", cmd_regress, "re-run the golden points; fail when a modelled number changed"},
    {"plot", cmd_plot, "plot sweep results or a report's layers with gnuplot"},
    {"advise", cmd_advise, "what a model designer should change: rewrites measured and ranked"},
    {"lut", cmd_lut, "per-op latency table of a NAS search space, with its additivity check"},
};

static void print_subcommands(FILE *out) {
  fprintf(out, "subcommands:\n");
  for (int i = 0; i < (int)(sizeof subcommands / sizeof subcommands[0]); i++)
    fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
  fprintf(out, "Run 'sched SUBCOMMAND --help' for its options.\n");
}

static int dispatch(int argc, char **argv) {
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    char *help_argv[] = {argv[0], "--help", NULL};
    int code = cmd_run(2, help_argv);
    fputc('\n', stdout);
    print_subcommands(stdout);
    return code;
  }
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("sched %s (git %s)\n", sched_version(), sched_git_revision());
    return 0;
  }
  if (argc < 2 || argv[1][0] == '-')
    return cmd_run(argc, argv);
  const char *names[sizeof subcommands / sizeof subcommands[0] + 1];
  int n = (int)(sizeof subcommands / sizeof subcommands[0]);
  for (int i = 0; i < n; i++) {
    if (strcmp(argv[1], subcommands[i].name) == 0)
      return subcommands[i].main(argc - 1, argv + 1);
    names[i] = subcommands[i].name;
  }
  names[n] = NULL;
  const char *guess = cli_suggest(argv[1], names);
  if (guess)
    return cli_error("unknown subcommand '%s' (did you mean '%s'?)", argv[1], guess);
  return cli_error("unknown subcommand '%s' (see sched --help)", argv[1]);
}

/* Every subcommand's stdout is checked once here: a write error (a full disk)
 * is an error even when the subcommand succeeded. */
int main(int argc, char **argv) {
  int code = dispatch(argc, argv);
  if (!sched_stdout_ok() && code == CLI_EXIT_OK)
    code = CLI_EXIT_NO;
  return code;
}
