/* libFuzzer target: `sched plot KIND FILE.csv` (experiments/table.c's CSV
 * reader), then the gnuplot script of every kind over its first columns. */
#include "experiments/experiments.h"
#include "tests/fuzz/fuzz_file.h"

static void scripts(const exp_table_t *t) {
  if (t->n_cols < 2)
    return;
  FILE *null = fopen("/dev/null", "w");
  for (int kind = EXP_PLOT_LINES; kind <= EXP_PLOT_GAP; kind++) {
    exp_plot_params_t p = {.kind = (exp_plot_kind_t)kind, .x = t->cols[0], .y = t->cols[1]};
    if (t->n_cols > 2)
      p.series = t->cols[2];
    sched_diag_t diag;
    exp_plot_script(t, &p, "out.png", null, &diag);
  }
  fclose(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_file_t file;
  fuzz_file_open(&file, data, size);
  exp_table_t t;
  sched_diag_t diag;
  if (exp_table_read_csv(file.path, &t, &diag) == SCHED_OK)
    scripts(&t);
  exp_table_free(&t);
  fuzz_file_close(&file);
  return 0;
}
