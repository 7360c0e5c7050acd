/* cmd_plot.c - `sched plot KIND FILE --out PICTURE`: sweep results (CSV) or
 * a JSON report -> a gnuplot script -> PNG or SVG (gnuplot from Debian's
 * gnuplot-nox, run as a child process). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "experiments/experiments.h"
#include "tools/cli.h"

typedef struct {
  exp_plot_params_t plot;
  const char *input, *out, *script;
  cli_list_t where;
  bool help;
} plot_options_t;

#define PLOT_FIELD(f) offsetof(plot_options_t, f)

static const cli_option_t plot_flags[] = {
    CLI_OPT("--x", CLI_ARG_STRING, PLOT_FIELD(plot.x), "COL", "the x column"),
    CLI_OPT("--y", CLI_ARG_STRING, PLOT_FIELD(plot.y), "COL", "the y column"),
    CLI_OPT("--series", CLI_ARG_STRING, PLOT_FIELD(plot.series), "COL",
            "a line (bar colour) per value of COL"),
    CLI_OPT("--panel", CLI_ARG_STRING, PLOT_FIELD(plot.panel), "COL", "a panel per value of COL"),
    CLI_OPT("--where", CLI_ARG_LIST, PLOT_FIELD(where), "COL=VALUE",
            "only rows where COL is VALUE (repeatable, up to 8)"),
    CLI_OPT("--logx", CLI_ARG_FLAG, PLOT_FIELD(plot.log_x), NULL, "logarithmic x axis"),
    CLI_OPT("--logy", CLI_ARG_FLAG, PLOT_FIELD(plot.log_y), NULL, "logarithmic y axis"),
    CLI_NUM("--xscale", CLI_ARG_DOUBLE, PLOT_FIELD(plot.x_scale), "N",
            "divide x by N (1048576: bytes to MiB; the axis label says so)", 1e-300, 1e300),
    CLI_OPT("--title", CLI_ARG_STRING, PLOT_FIELD(plot.title), "T", "the title"),
    CLI_OPT("--xlabel", CLI_ARG_STRING, PLOT_FIELD(plot.x_label), "T", "the x axis label"),
    CLI_OPT("--ylabel", CLI_ARG_STRING, PLOT_FIELD(plot.y_label), "T", "the y axis label"),
    CLI_OPT("--out", CLI_ARG_STRING, PLOT_FIELD(out), "FILE.png|FILE.svg",
            "the picture (required)"),
    CLI_OPT("--script", CLI_ARG_STRING, PLOT_FIELD(script), "FILE.gp",
            "keep the gnuplot script here"),
    CLI_OPT("--help", CLI_ARG_FLAG, PLOT_FIELD(help), NULL, "this help"),
    CLI_OPT("-h", CLI_ARG_FLAG, PLOT_FIELD(help), NULL, "this help"),
};

static cli_spec_t plot_spec(void) {
  return (cli_spec_t){.command = "plot",
                      .options = plot_flags,
                      .n_options = SCHED_ARRAY_LEN(plot_flags),
                      .max_positional = 2,
                      .positional_name = "KIND FILE"};
}

static void plot_usage(FILE *out) {
  fprintf(out, "usage: sched plot lines|bars|gap RESULTS.csv --x COL --y COL [options]\n"
               "       sched plot layers REPORT.json --out FILE.png|FILE.svg\n\n"
               "  lines   y against numeric x, a line per series, a panel per panel value\n"
               "          (latency vs CMX per solver: --x cmx_bytes --xscale 1048576\n"
               "           --y latency_us --series solver --panel net)\n"
               "  bars    clustered bars of y per x category and series\n"
               "  gap     bars of y's %% above the best series per x and panel\n"
               "          (solver gap to the best per net: --x net --series solver --panel cmx)\n"
               "  layers  stacked compute and DMA time per layer of one `sched --format json`\n"
               "          report\n"
               "Rows whose status is not ok are left out. Needs gnuplot (gnuplot-nox).\n\n"
               "options:\n");
  cli_spec_t spec = plot_spec();
  cli_print_options(&spec, out);
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

static int parse_plot_options(int argc, char **argv, plot_options_t *o) {
  *o = (plot_options_t){0};
  cli_spec_t spec = plot_spec();
  if (cli_parse(&spec, argc, argv, o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (o->help)
    return CLI_EXIT_OK;
  if (spec.n_positional == 0)
    return cli_error("plot: which plot? (lines, bars, gap or layers; see sched plot --help)");
  if (parse_kind(spec.positional[0], &o->plot.kind) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  o->input = spec.n_positional > 1 ? spec.positional[1] : NULL;
  for (int i = 0; i < o->where.n; i++)
    o->plot.where[i] = o->where.items[i];
  o->plot.n_where = o->where.n;
  if (!o->input || !o->out)
    return cli_error("plot: needs an input file and --out FILE.png|FILE.svg");
  if (o->plot.kind != EXP_PLOT_LAYERS && (!o->plot.x || !o->plot.y))
    return cli_error("plot: %s needs --x COL and --y COL", spec.positional[0]);
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
