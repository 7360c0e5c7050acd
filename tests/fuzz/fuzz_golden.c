/* libFuzzer target: `sched regress --golden FILE` (experiments/golden.c):
 * the golden file's points and recorded metrics, compared against results
 * that all failed (no child process runs here). */
#include "experiments/experiments.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_file_t file;
  fuzz_file_open(&file, data, size);
  exp_sweep_t points;
  cJSON *expected = NULL;
  sched_diag_t diag;
  if (exp_golden_load(file.path, &points, &expected, &diag) == SCHED_OK) {
    exp_result_t *results = calloc((size_t)points.n_points + 1, sizeof *results);
    for (int i = 0; i < points.n_points; i++)
      exp_result_parse_report("{}", &results[i]);
    FILE *null = fopen("/dev/null", "w");
    exp_regress_counts_t counts;
    exp_golden_compare(&points, expected, results, true, null, &counts);
    fclose(null);
    for (int i = 0; i < points.n_points; i++)
      exp_result_free(&results[i]);
    free(results);
  }
  cJSON_Delete(expected);
  exp_sweep_free(&points);
  fuzz_file_close(&file);
  return 0;
}
