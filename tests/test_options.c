/* test_options.c - the option tables' parser (tools/cli.h): getopt_long's
 * conventions (--opt=value, -j4, --), whole numbers in range, one clear
 * line for every mistake. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tools/cli.h"

typedef struct {
  const char *name;
  double limit_s;
  int64_t jobs;
  bool quiet;
  const char *level;
} opts_t;

static const cli_option_t table[] = {
    CLI_OPT("--name", CLI_ARG_STRING, offsetof(opts_t, name), "NAME", "a name"),
    CLI_NUM("--limit", CLI_ARG_DOUBLE, offsetof(opts_t, limit_s), "SEC", "a limit", 0.5, 10),
    CLI_NUM("-j", CLI_ARG_INT, offsetof(opts_t, jobs), "N", "jobs", 1, 64),
    CLI_OPT("--quiet", CLI_ARG_FLAG, offsetof(opts_t, quiet), NULL, "quiet"),
    CLI_CONST("-O2", offsetof(opts_t, level), "ilp", "level 2"),
};

/* Splits line at spaces into buf (argv points into it) and parses it. */
static int parse(const char *line, char *buf, size_t size, opts_t *o, cli_spec_t *spec) {
  char *argv[16] = {"demo"};
  int argc = 1;
  snprintf(buf, size, "%s", line);
  for (char *t = strtok(buf, " "); t && argc < 15; t = strtok(NULL, " "))
    argv[argc++] = t;
  *o = (opts_t){.jobs = 2};
  *spec = (cli_spec_t){.command = "demo",
                       .options = table,
                       .n_options = 5,
                       .max_positional = 1,
                       .positional_name = "FILE"};
  return cli_parse(spec, argc, argv, o);
}

Test(options, long_options_take_equals_or_the_next_argument) {
  opts_t o;
  cli_spec_t spec;
  char buf[256];
  cr_assert_eq(parse("--name=a --limit 2.5 -j4 --quiet -O2 f.json", buf, sizeof buf, &o, &spec),
               CLI_EXIT_OK);
  cr_expect_str_eq(o.name, "a");
  cr_expect_eq(o.limit_s, 2.5);
  cr_expect_eq(o.jobs, 4);
  cr_expect(o.quiet);
  cr_expect_str_eq(o.level, "ilp");
  cr_assert_eq(spec.n_positional, 1);
  cr_expect_str_eq(spec.positional[0], "f.json");
  cr_assert_eq(parse("-j 8 -- --name", buf, sizeof buf, &o, &spec), CLI_EXIT_OK,
               "-- ends the options");
  cr_expect_eq(o.jobs, 8);
  cr_expect_str_eq(spec.positional[0], "--name");
}

static void bad(const char *line, const char *want) {
  opts_t o;
  cli_spec_t spec;
  char buf[256];
  cr_redirect_stderr();
  cr_expect_eq(parse(line, buf, sizeof buf, &o, &spec), CLI_EXIT_INPUT, "accepted: %s", line);
  fflush(stderr);
  char err[256] = {0};
  FILE *f = cr_get_redirected_stderr();
  size_t n = fread(err, 1, sizeof err - 1, f);
  err[n] = '\0';
  cr_expect_str_eq(err, want);
}

Test(options, mistakes_are_one_line_each) {
  bad("-j abc", "sched: error: demo: -j: expected an integer in [1, 64], got 'abc'\n");
}
Test(options, out_of_range) {
  bad("-j 0", "sched: error: demo: -j: expected an integer in [1, 64], got '0'\n");
}
Test(options, trailing_text) {
  bad("--limit=1s", "sched: error: demo: --limit: expected a number in [0.5, 10], got '1s'\n");
}
Test(options, flag_with_value) {
  bad("--quiet=yes", "sched: error: demo: --quiet takes no value, got '--quiet=yes'\n");
}
Test(options, missing_value) { bad("--name", "sched: error: demo: --name needs a value (NAME)\n"); }
Test(options, suggestion) {
  bad("--nme x", "sched: error: demo: unknown option '--nme' (did you mean '--name'?)\n");
}
Test(options, two_files) { bad("a b", "sched: error: demo: one FILE only, got 'a' and 'b'\n"); }
