/* test_csv.c - the one CSV module (common/csv.h) and every CSV sched writes,
 * loaded back with its strict reader: quoting, errors with file:line, and
 * the report's TOTAL row equal to the sums of its columns. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/csv.h"
#include "strategies/strategies.h"

static int n_solvers(void) {
  int n = 0;
  for (const strat_solver_t *const *s = strat_solvers(); *s; s++)
    n++;
  return n;
}

static int read_text(const char *text, bool comments, sched_csv_t *t, sched_diag_t *d) {
  FILE *in = fmemopen((void *)text, strlen(text), "r");
  cr_assert(in);
  int rc = sched_csv_read(in, "t.csv", &(sched_csv_read_options_t){.comments = comments}, t, d);
  fclose(in);
  return rc;
}

static void bad(const char *text, const char *want) {
  sched_csv_t t;
  sched_diag_t d = {{0}};
  cr_assert_eq(read_text(text, false, &t, &d), SCHED_ERR_INPUT, "accepted: %s", text);
  cr_expect_str_eq(d.msg, want);
  cr_expect_eq(t.n_rows, 0);
}

Test(csv, fields_that_need_quotes_round_trip) {
  const char *fields[] = {"conv<1>&\"a\",b", "two\nlines", "plain", "", " padded\r"};
  char buf[256] = {0};
  FILE *out = fmemopen(buf, sizeof buf, "w");
  sched_csv_writer_t w = {.out = out};
  for (int i = 0; i < 5; i++)
    sched_csv_field(&w, fields[i]);
  sched_csv_end_row(&w);
  sched_csv_fieldf(&w, "%d", 42);
  for (int i = 1; i < 5; i++)
    sched_csv_field(&w, "x");
  sched_csv_end_row(&w);
  fclose(out);
  cr_assert_str_eq(buf,
                   "\"conv<1>&\"\"a\"\",b\",\"two\nlines\",plain,,\" padded\r\"\n42,x,x,x,x\n");
  sched_csv_t t;
  sched_diag_t d = {{0}};
  cr_assert_eq(read_text(buf, false, &t, &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(t.n_rows, 2);
  for (int i = 0; i < 5; i++)
    cr_expect_str_eq(t.rows[0].fields[i], fields[i]);
  cr_expect_eq(t.rows[1].line, 3, "the quoted newline makes the second row start on line 3");
  sched_csv_free(&t);
}

Test(csv, blank_lines_crlf_and_comments) {
  sched_csv_t t;
  sched_diag_t d = {{0}};
  cr_assert_eq(read_text("a,b\r\n\r\n# x, \"y\n1,2\n", true, &t, &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(t.n_rows, 2);
  cr_expect_str_eq(t.rows[1].fields[1], "2");
  cr_expect_eq(t.rows[1].line, 4);
  cr_expect_eq(sched_csv_column(&t, "b"), 1);
  cr_expect_eq(sched_csv_column(&t, "c"), -1);
  sched_csv_free(&t);
  cr_assert_eq(read_text("", false, &t, &d), SCHED_OK, "an empty file has no rows");
  cr_expect_eq(t.n_rows, 0);
}

Test(csv, malformed_input_names_file_and_line) {
  bad("a,b\n1,2\n3\n", "t.csv:3: expected 2 fields, got 1");
  bad("a,b\n1,2,3\n", "t.csv:2: expected 2 fields, got 3");
  bad("a,b\n1,x\"y\n", "t.csv:2: malformed CSV (a quote out of place)");
  bad("a,b\n\"1\"x,2\n", "t.csv:2: malformed CSV (a quote out of place)");
  bad("a,b\n\"1,2\n3,4\n", "t.csv:2: a quoted field is not closed");
  bad("a,b\n# comment\n", "t.csv:2: expected 2 fields, got 1");
}

Test(csv, format_number_is_shortest_round_trip) {
  char buf[64];
  const double v[] = {3, 0.1, -2.5, 1e20, 1.0 / 3};
  const char *want[] = {"3", "0.1", "-2.5", "1e+20", "0.333333333333333"};
  for (int i = 0; i < 5; i++) {
    sched_csv_format_number(v[i], buf, sizeof buf);
    cr_expect_eq(strtod(buf, NULL), v[i], "%s", buf);
    if (i < 4)
      cr_expect_str_eq(buf, want[i]);
  }
}

/* ---- what sched writes ---- */

static int sh(const char *cmd) {
  int status = system(cmd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void load(const char *path, sched_csv_t *t) {
  sched_diag_t d = {{0}};
  cr_assert_eq(sched_csv_read_path(path, NULL, t, &d), SCHED_OK, "%s", d.msg);
  cr_assert_gt(t->n_rows, 1, "%s has rows", path);
}

static double num(const sched_csv_t *t, int row, const char *col) {
  int c = sched_csv_column(t, col);
  cr_assert_geq(c, 0, "column %s", col);
  char *end;
  double v = strtod(t->rows[row].fields[c], &end);
  cr_assert(*end == '\0' && end != t->rows[row].fields[c], "%s row %d: '%s' is not a number", col,
            row, t->rows[row].fields[c]);
  return v;
}

/* Every additive column's TOTAL equals the sum of the rows above, to the
 * printed precision. */
static void check_layers_csv(const char *path, bool scheduled) {
  sched_csv_t t;
  load(path, &t);
  int total = t.n_rows - 1;
  cr_assert_str_eq(t.rows[total].fields[0], "TOTAL");
  const char *cols[] = {"macs",       "params",      "ddr_bytes",  "compute_us", "dma_us",
                        "latency_us", "network_pct", "overlap_us", "stall_us"};
  for (int k = 0; k < (scheduled ? 9 : 7); k++) {
    double sum = 0;
    for (int r = 1; r < total; r++)
      sum += num(&t, r, cols[k]);
    cr_expect(fabs(sum - num(&t, total, cols[k])) < 1e-6 * fmax(1, fabs(sum)),
              "%s: %s TOTAL %.3f, column sum %.3f", path, cols[k], num(&t, total, cols[k]), sum);
  }
  double pct = num(&t, total, "network_pct");
  cr_expect(fabs(pct - 100) < 0.01 * total, "network_pct sums to about 100, got %.2f", pct);
  for (int r = 1; r < total; r++) {
    double util =
        t.rows[r].fields[sched_csv_column(&t, "util_pct")][0] ? num(&t, r, "util_pct") : 0;
    cr_expect(util >= 0 && util <= 100, "util_pct in [0, 100], got %.2f", util);
  }
  sched_csv_free(&t);
}

Test(csv, report_tables_load_strictly_and_totals_are_column_sums) {
  const char *nets[] = {"fsrcnn", "mobilenetv2"};
  for (int i = 0; i < 2; i++) {
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "rm -rf /tmp/sched_csv_od && %s --net %s --cmx 2MB --no-timing --solver dp "
             "--output-dir /tmp/sched_csv_od >/dev/null", /* dp: the tables are under test */
             SCHED_BINARY, nets[i]);
    cr_assert_eq(sh(cmd), 0, "%s", cmd);
    check_layers_csv("/tmp/sched_csv_od/layers.csv", true);
    sched_csv_t s;
    load("/tmp/sched_csv_od/summary.csv", &s);
    cr_expect_eq(s.n_rows, 2, "one header, one row");
    cr_expect_str_eq(s.rows[1].fields[sched_csv_column(&s, "net")], nets[i]);
    cr_expect_gt(num(&s, 1, "latency_us"), 0);
    sched_csv_free(&s);
  }
}

Test(csv, the_fsrcnn_deconv_shows_its_low_utilisation) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s --net fsrcnn --cmx 2MB --no-timing --format csv >/tmp/sched_f.csv",
           SCHED_BINARY);
  cr_assert_eq(sh(cmd), 0);
  sched_csv_t t;
  load("/tmp/sched_f.csv", &t);
  int deconv = -1;
  for (int r = 1; r < t.n_rows; r++)
    if (strcmp(t.rows[r].fields[0], "deconv") == 0)
      deconv = r;
  cr_assert_geq(deconv, 0);
  /* 9x9 kernel, one output channel: the DPU's 16-channel MAC array idles */
  cr_expect_lt(num(&t, deconv, "util_pct"), 5.0);
  cr_expect_gt(num(&t, deconv, "network_pct"), 50.0);
  sched_csv_free(&t);
  remove("/tmp/sched_f.csv");
}

Test(csv, names_with_commas_and_quotes_stay_in_their_field) {
  FILE *f = fopen("/tmp/sched_csv_net.json", "w");
  cr_assert(f);
  fputs("{\"name\": \"q\", \"inputs\": [{\"name\": \"x\", \"shape\": [1, 16, 32, 32], "
        "\"dtype\": \"u8\"}], \"ops\": [{\"name\": \"conv<1>&\\\"a\\\",b\", \"kind\": \"conv\", "
        "\"inputs\": [\"x\"], \"kernel\": [3, 3], \"pads\": [1, 1, 1, 1], \"out_channels\": 16},"
        "{\"name\": \"r,1\", \"kind\": \"relu\", \"inputs\": [\"conv<1>&\\\"a\\\",b\"]}], "
        "\"outputs\": [\"r,1\"]}",
        f);
  fclose(f);
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "%s --net /tmp/sched_csv_net.json --cmx 1MB --no-timing --format csv "
           ">/tmp/sched_q.csv",
           SCHED_BINARY);
  cr_assert_eq(sh(cmd), 0);
  check_layers_csv("/tmp/sched_q.csv", true);
  sched_csv_t t;
  load("/tmp/sched_q.csv", &t);
  cr_expect_str_eq(t.rows[1].fields[0], "conv<1>&\"a\",b");
  cr_expect_str_eq(t.rows[1].fields[sched_csv_column(&t, "fused_ops")], "r,1");
  cr_expect_str_eq(t.rows[1].fields[sched_csv_column(&t, "act")], "relu");
  sched_csv_free(&t);
  remove("/tmp/sched_q.csv");
  remove("/tmp/sched_csv_net.json");
}

Test(csv, solver_all_writes_the_solver_table) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "rm -rf /tmp/sched_csv_sa && %s --net fsrcnn --cmx 2MB --no-timing --solver all "
           "--format csv --output-dir /tmp/sched_csv_sa >/tmp/sched_sa.csv",
           SCHED_BINARY);
  cr_assert_eq(sh(cmd), 0);
  sched_csv_t t;
  load("/tmp/sched_sa.csv", &t);
  cr_expect_str_eq(t.rows[0].fields[0], "solver");
  cr_expect_eq(t.n_rows, 1 + n_solvers());
  sched_csv_free(&t);
  load("/tmp/sched_csv_sa/solvers.csv", &t);
  cr_expect_eq(t.n_rows, 1 + n_solvers());
  sched_csv_free(&t);
  check_layers_csv("/tmp/sched_csv_sa/layers.csv", true);
  remove("/tmp/sched_sa.csv");
}

/* --ladder --output-dir: one row per 256KB rung up to the budget, the
 * latency kept never rising, the last row the summary's latency. */
Test(csv, ladder_writes_one_row_per_rung) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "rm -rf /tmp/sched_csv_ld && %s --net fsrcnn --cmx 1MB --no-timing --ladder "
           "--output-dir /tmp/sched_csv_ld >/dev/null",
           SCHED_BINARY);
  cr_assert_eq(sh(cmd), 0, "%s", cmd);
  sched_csv_t t, s;
  load("/tmp/sched_csv_ld/ladder.csv", &t);
  load("/tmp/sched_csv_ld/summary.csv", &s);
  cr_assert_eq(t.n_rows, 1 + 4, "256KB, 512KB, 768KB, 1MB");
  for (int r = 1; r < t.n_rows; r++) {
    cr_expect_eq((int64_t)num(&t, r, "cmx_bytes"), (int64_t)r << 18);
    cr_expect_leq(num(&t, r, "latency_us"), num(&t, r, "own_latency_us"));
    if (r > 1)
      cr_expect_leq(num(&t, r, "latency_us"), num(&t, r - 1, "latency_us"));
  }
  cr_expect_float_eq(num(&t, t.n_rows - 1, "latency_us"), num(&s, 1, "latency_us"), 1e-6);
  sched_csv_free(&t);
  sched_csv_free(&s);
}
