/* libFuzzer target: `sched sweep FILE --list` (experiments/sweep.c): the
 * sweep file's points expanded and each printed as a command line. */
#include "experiments/experiments.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_file_t file;
  fuzz_file_open(&file, data, size);
  exp_sweep_t s;
  sched_diag_t diag;
  if (exp_sweep_load(file.path, &s, &diag) == SCHED_OK) {
    FILE *null = fopen("/dev/null", "w");
    for (int i = 0; i < s.n_points; i++)
      exp_point_print_command(&s.points[i], "sched", null);
    fclose(null);
  }
  exp_sweep_free(&s);
  fuzz_file_close(&file);
  return 0;
}
