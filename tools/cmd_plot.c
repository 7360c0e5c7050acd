/* cmd_plot.c - `sched plot KIND FILE --out PICTURE`: sweep results (CSV) or
 * a JSON report -> a gnuplot script -> PNG or SVG (gnuplot from Debian's
 * gnuplot-nox, run as a child process). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "experiments/experiments.h"
#include "tools/cli.h"

typedef struct {
  exp_plot_params_t plot;
  const char *input, *out, *script;
  bool help;
} plot_options_t;

static void plot_usage(FILE *out) {
  fprintf(out, "usage: sched plot lines|bars|gap RESULTS.csv --x COL --y COL [--series COL]\n"
               "                  [--panel COL] [--where COL=VALUE]... [--logx] [--logy]\n"
               "                  [--xscale N] [--title T] [--xlabel T] [--ylabel T]\n"
               "                  --out FILE.png|FILE.svg [--script FILE.gp]\n"
               "       sched plot layers REPORT.json --out FILE.png|FILE.svg\n\n"
               "  lines   y against numeric x, a line per series, a panel per panel value\n"
               "          (latency vs CMX per solver: --x cmx_bytes --xscale 1048576\n"
               "           --y latency_us --series solver --panel net)\n"
               "  bars    clustered bars of y per x category and series\n"
               "  gap     bars of y's %% above the best series per x and panel\n"
               "          (solver gap to the best per net: --x net --series solver --panel cmx)\n"
               "  layers  stacked compute and DMA time per layer of one `sched --format json`\n"
               "          report\n"
               "Rows whose status is not ok are left out. Needs gnuplot (gnuplot-nox).\n");
}

static int parse_kind(const char *name, exp_plot_kind_t *kind) {
  static const char *const names[] = {"lines", "bars", "gap", "layers"};
  for (int i = 0; i < SCHED_ARRAY_LEN(names); i++)
    if (strcmp(name, names[i]) == 0) {
      *kind = (exp_plot_kind_t)i;
      return CLI_EXIT_OK;
    }
  return cli_error("plot: unknown kind '%s' (lines, bars, gap or layers)", name);
}

/* Flags that take a value: where each one goes. */
static const char **value_slot(plot_options_t *o, const char *flag) {
  exp_plot_params_t *p = &o->plot;
  const struct {
    const char *flag;
    const char **slot;
  } slots[] = {{"--x", &p->x},
               {"--y", &p->y},
               {"--series", &p->series},
               {"--panel", &p->panel},
               {"--title", &p->title},
               {"--xlabel", &p->x_label},
               {"--ylabel", &p->y_label},
               {"--out", &o->out},
               {"--script", &o->script}};
  for (int i = 0; i < SCHED_ARRAY_LEN(slots); i++)
    if (strcmp(flag, slots[i].flag) == 0)
      return slots[i].slot;
  return NULL;
}

static int parse_plot_flag(int argc, char **argv, int *i, plot_options_t *o) {
  const char *a = argv[*i];
  const char **slot = value_slot(o, a);
  bool has_value = *i + 1 < argc;
  if (strcmp(a, "--logx") == 0)
    o->plot.log_x = true;
  else if (strcmp(a, "--logy") == 0)
    o->plot.log_y = true;
  else if (slot && has_value)
    *slot = argv[++*i];
  else if (strcmp(a, "--xscale") == 0 && has_value)
    return cli_double("plot: --xscale", argv[++*i], 1e-300, 1e300, &o->plot.x_scale);
  else if (strcmp(a, "--where") == 0 && has_value && o->plot.n_where < 8)
    o->plot.where[o->plot.n_where++] = argv[++*i];
  else
    return cli_error("plot: unknown option or missing value '%s' (see sched plot --help)", a);
  return CLI_EXIT_OK;
}

static int parse_plot_options(int argc, char **argv, plot_options_t *o) {
  *o = (plot_options_t){0};
  if (argc < 2)
    return cli_error("plot: which plot? (lines, bars, gap or layers; see sched plot --help)");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    o->help = true;
    return CLI_EXIT_OK;
  }
  if (parse_kind(argv[1], &o->plot.kind) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  for (int i = 2; i < argc; i++) {
    if (argv[i][0] != '-' && !o->input)
      o->input = argv[i];
    else if (parse_plot_flag(argc, argv, &i, o) != CLI_EXIT_OK)
      return CLI_EXIT_INPUT;
  }
  if (!o->input || !o->out)
    return cli_error("plot: needs an input file and --out FILE.png|FILE.svg");
  if (o->plot.kind != EXP_PLOT_LAYERS && (!o->plot.x || !o->plot.y))
    return cli_error("plot: %s needs --x COL and --y COL", argv[1]);
  return CLI_EXIT_OK;
}

static int run_gnuplot(const char *script_path) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    execlp("gnuplot", "gnuplot", script_path, (char *)NULL);
    fprintf(stderr, "sched: error: plot: cannot run gnuplot (%s); install gnuplot-nox\n",
            strerror(errno));
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0)
    return cli_error("plot: cannot start gnuplot: %s", strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return WIFEXITED(status) && WEXITSTATUS(status) == 127
               ? CLI_EXIT_INPUT
               : cli_error("plot: gnuplot failed on %s", script_path);
  return CLI_EXIT_OK;
}

static int write_script(const plot_options_t *o, const exp_table_t *t, const char *path) {
  sched_out_t out;
  sched_diag_t diag = {{0}};
  int rc = sched_out_open(&out, path, &diag);
  if (rc == SCHED_OK)
    rc = exp_plot_script(t, &o->plot, o->out, out.f, &diag);
  if (rc == SCHED_OK)
    rc = sched_out_commit(&out, &diag);
  else if (out.f)
    sched_out_discard(&out);
  return rc == SCHED_OK ? CLI_EXIT_OK : cli_error("plot: %s", diag.msg);
}

int cmd_plot(int argc, char **argv) {
  plot_options_t o;
  if (parse_plot_options(argc, argv, &o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (o.help) {
    plot_usage(stdout);
    return CLI_EXIT_OK;
  }
  exp_table_t t;
  sched_diag_t diag = {{0}};
  int rc = o.plot.kind == EXP_PLOT_LAYERS ? exp_table_from_report(o.input, &t, &diag)
                                          : exp_table_read_csv(o.input, &t, &diag);
  if (rc != SCHED_OK) {
    exp_table_free(&t);
    return cli_error("plot: %s", diag.msg);
  }
  char tmp[] = "/tmp/sched-plot-XXXXXX";
  int fd = o.script ? -1 : mkstemp(tmp);
  if (fd >= 0)
    close(fd);
  const char *script = o.script ? o.script : tmp;
  int code = fd < 0 && !o.script ? cli_error("plot: cannot create a temporary file")
                                 : write_script(&o, &t, script);
  if (code == CLI_EXIT_OK)
    code = run_gnuplot(script);
  if (!o.script && fd >= 0)
    unlink(tmp);
  exp_table_free(&t);
  return code;
}
