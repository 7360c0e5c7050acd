/* test_lut.c - NAS search spaces and latency tables: the space's positions
 * follow from its stages, the table has every valid candidate at every
 * position, stacking one copy is the isolated estimate, the additivity
 * check is deterministic and printed with its mean and max error. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "advisor/advisor.h"
#include "tools/measure.h"

/* 16x32x32 input; 2 stages of 2 blocks; 5 candidates (one skip). */
static const char small_space[] =
    "{\"name\": \"small\", \"input\": {\"channels\": 16, \"height\": 32, \"width\": 32},"
    " \"candidates\": [{\"type\": \"mbconv\", \"kernel\": [3, 5], \"expand\": 3},"
    "  {\"type\": \"dwsep\", \"kernel\": 3}, {\"type\": \"conv\", \"kernel\": 3},"
    "  {\"type\": \"skip\"}],"
    " \"stem\": [{\"type\": \"conv\", \"kernel\": 3, \"channels\": 16}],"
    " \"stages\": [{\"channels\": 24, \"blocks\": 2, \"stride\": 2},"
    "  {\"channels\": 32, \"blocks\": 2, \"stride\": 1}],"
    " \"head\": [{\"type\": \"gap\"}, {\"type\": \"fc\", \"channels\": 10}]}";

static void parse_small(advisor_space_t *s) {
  sched_diag_t diag = {{0}};
  cr_assert_eq(advisor_space_parse(small_space, "small", s, &diag), SCHED_OK, "%s", diag.msg);
}

Test(space, positions_follow_stem_stages_and_head) {
  advisor_space_t s;
  parse_small(&s);
  cr_assert_eq(s.n_cands, 5);
  cr_assert_eq(s.n_positions, 1 + 4 + 2);
  const advisor_position_t *p = s.positions;
  cr_expect_str_eq(p[0].label, "stem0");
  cr_expect_str_eq(p[1].label, "s1b1");
  cr_expect(p[1].c_in == 16 && p[1].h_in == 32 && p[1].c_out == 24 && p[1].stride == 2);
  cr_expect(p[2].c_in == 24 && p[2].h_in == 16 && p[2].stride == 1);
  cr_expect(p[3].c_in == 24 && p[3].c_out == 32 && p[3].h_in == 16);
  cr_expect_str_eq(p[5].label, "head0");
  cr_expect(p[6].c_in == 32 && p[6].h_in == 1 && p[6].c_out == 10);
  cr_expect(!advisor_cand_valid(&p[1], &s.cands[4]), "skip cannot change the shape");
  cr_expect(advisor_cand_valid(&p[2], &s.cands[4]));
  advisor_space_free(&s);
}

Test(space, bad_spaces_name_the_key) {
  advisor_space_t s;
  sched_diag_t diag = {{0}};
  cr_expect_eq(advisor_space_parse("{\"candidates\": []}", "x.json", &s, &diag), SCHED_ERR_INPUT);
  cr_expect(strstr(diag.msg, "x.json: input: 'channels'") != NULL, "%s", diag.msg);
  const char *bad_type = "{\"input\": {\"channels\": 3, \"height\": 8, \"width\": 8},"
                         " \"candidates\": [{\"type\": \"lstm\"}], \"stages\": []}";
  cr_expect_eq(advisor_space_parse(bad_type, "y.json", &s, &diag), SCHED_ERR_INPUT);
  cr_expect(strstr(diag.msg, "'type' must be") != NULL, "%s", diag.msg);
  cr_expect_eq(advisor_space_parse("{", "z.json", &s, &diag), SCHED_ERR_INPUT);
}

static advisor_measurer_t greedy_measurer(pipeline_options_t *po) {
  *po = pipeline_defaults();
  po->solver = "greedy";
  return measure_measurer(po);
}

Test(lut, every_valid_candidate_at_every_position) {
  advisor_space_t s;
  parse_small(&s);
  pipeline_options_t po;
  advisor_measurer_t m = greedy_measurer(&po);
  advisor_lut_t lut;
  sched_diag_t diag = {{0}};
  cr_assert_eq(advisor_lut_build(&s, &m, 0, &lut, &diag), SCHED_OK, "%s", diag.msg);
  int expected = 0;
  for (int p = 0; p < s.n_positions; p++) {
    int want = 0, have = 0;
    for (int c = 0; c < s.n_cands && !s.positions[p].fixed; c++)
      want += advisor_cand_valid(&s.positions[p], &s.cands[c]);
    want = s.positions[p].fixed ? 1 : want;
    for (int i = 0; i < lut.n_entries; i++)
      have += lut.entries[i].position == p;
    cr_expect_eq(have, want, "position %s: %d entries, expected %d", s.positions[p].label, have,
                 want);
    expected += want;
  }
  cr_expect_eq(lut.n_entries, expected);
  cr_expect_eq(lut.n_entries, 1 + 4 + 5 + 4 + 5 + 1 + 1, "skip only where shapes agree");
  for (int i = 0; i < lut.n_entries; i++) {
    const advisor_lut_entry_t *e = &lut.entries[i];
    if (e->op.type == ADVISOR_OP_SKIP)
      cr_expect_eq(e->m.latency_us, 0);
    else
      cr_expect_gt(e->m.latency_us, 0, "entry %d", i);
  }
  advisor_lut_free(&lut);
  advisor_space_free(&s);
}

Test(lut, stacking_one_copy_is_the_isolated_estimate) {
  advisor_space_t s;
  parse_small(&s);
  pipeline_options_t po;
  advisor_measurer_t m = greedy_measurer(&po);
  advisor_lut_t lut;
  sched_diag_t diag = {{0}};
  cr_assert_eq(advisor_lut_build(&s, &m, 1, &lut, &diag), SCHED_OK, "%s", diag.msg);
  for (int i = 0; i < lut.n_entries; i++)
    cr_expect_float_eq(lut.entries[i].stacked_us, lut.entries[i].m.latency_us, 1e-9, "entry %d", i);
  advisor_lut_free(&lut);
  advisor_space_free(&s);
}

Test(lut, stacking_a_shape_preserving_op_divides_the_stack) {
  advisor_space_t s;
  parse_small(&s);
  pipeline_options_t po;
  advisor_measurer_t m = greedy_measurer(&po);
  sched_diag_t diag = {{0}};
  const advisor_position_t *pos = &s.positions[2]; /* s1b2: 24 -> 24, stride 1 */
  advisor_cand_t blocks[3] = {s.cands[0], s.cands[0], s.cands[0]};
  advisor_position_t positions[3] = {*pos, *pos, *pos};
  ir_graph_t g;
  cr_assert_eq(advisor_chain_build(&s, positions, blocks, 3, &g, &diag), SCHED_OK, "%s", diag.msg);
  advisor_measure_t three;
  cr_assert_eq(m.measure(m.ctx, &g, NULL, 0, &three, &diag), SCHED_OK, "%s", diag.msg);
  double stacked;
  cr_assert_eq(advisor_stack_estimate(&s, 2, &s.cands[0], 3, &m, &stacked, &diag), SCHED_OK);
  cr_expect_float_eq(stacked, three.latency_us / 3, 1e-9);
  double changing;
  cr_assert_eq(advisor_stack_estimate(&s, 1, &s.cands[0], 3, &m, &changing, &diag), SCHED_OK, "%s",
               diag.msg);
  cr_expect_gt(changing, 0, "neighbours subtracted, the op's share stays positive");
  ir_graph_free(&g);
  advisor_space_free(&s);
}

Test(lut, additivity_is_seeded_and_the_lut_sum_is_close) {
  advisor_space_t s;
  parse_small(&s);
  pipeline_options_t po;
  advisor_measurer_t m = greedy_measurer(&po);
  advisor_lut_t lut;
  sched_diag_t diag = {{0}};
  cr_assert_eq(advisor_lut_build(&s, &m, 0, &lut, &diag), SCHED_OK, "%s", diag.msg);
  advisor_additivity_t a, b;
  cr_assert_eq(advisor_additivity_check(&s, &lut, &m, 8, 7, &a, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(advisor_additivity_check(&s, &lut, &m, 8, 7, &b, &diag), SCHED_OK, "%s", diag.msg);
  cr_expect_eq(a.n_nets, 8);
  cr_expect_float_eq(a.mean_abs_pct, b.mean_abs_pct, 0, "same seed, same networks");
  cr_expect_leq(a.p50_abs_pct, a.p90_abs_pct);
  cr_expect_leq(a.p90_abs_pct, a.max_abs_pct);
  cr_expect_leq(a.mean_abs_pct, a.max_abs_pct);
  cr_expect_gt(a.mean_net_us, 0);
  cr_expect_lt(a.max_abs_pct, 200, "the LUT sum is the right order of magnitude");
  advisor_lut_free(&lut);
  advisor_space_free(&s);
}

Test(lut, shipped_mbv2_space_has_its_backbone) {
  advisor_space_t s;
  sched_diag_t diag = {{0}};
  cr_assert_eq(advisor_space_read("experiments/spaces/mbv2_space.json", &s, &diag), SCHED_OK, "%s",
               diag.msg);
  cr_expect_eq(s.n_positions, 2 + 21 + 3);
  cr_expect_eq(s.n_cands, 9);
  cr_expect_eq(s.positions[s.n_positions - 2].h_in, 7, "224 / 32 before the head");
  advisor_space_free(&s);
}

static char *slurp_fd(int fd) {
  FILE *f = fdopen(fd, "rb");
  char *buf = calloc(1, 1 << 20);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

Test(lut_cli, table_and_additivity_report) {
  char space_path[] = "/tmp/sched_lut_spaceXXXXXX", out_path[] = "/tmp/sched_lut_outXXXXXX";
  char table_path[] = "/tmp/sched_lut_csvXXXXXX";
  int fs = mkstemp(space_path), fo = mkstemp(out_path), ft = mkstemp(table_path);
  cr_assert(fs >= 0 && fo >= 0 && ft >= 0);
  cr_assert_eq(write(fs, small_space, sizeof small_space - 1), (ssize_t)(sizeof small_space - 1));
  close(fs);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "%s lut --space %s --out %s --samples 6 --solver greedy >%s 2>/dev/null", SCHED_BINARY,
           space_path, table_path, out_path);
  int status = system(cmd);
  cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* --out replaces the file (temporary file + rename): read it by name */
  close(ft);
  char *report = slurp_fd(fo), *table = slurp_fd(open(table_path, O_RDONLY));
  cr_expect(strstr(report, "6 random networks") != NULL, "%s", report);
  cr_expect(strstr(report, "|error| mean ") != NULL, "%s", report);
  cr_expect(strstr(report, "max ") != NULL, "%s", report);
  int lines = 0;
  for (const char *c = table; *c; c++)
    lines += *c == '\n';
  cr_expect_eq(lines, 1 + 21, "header + every entry");
  cr_expect(strncmp(table, "position,c_in,", 14) == 0);
  free(report);
  free(table);
  remove(space_path);
  remove(out_path);
  remove(table_path);
}
