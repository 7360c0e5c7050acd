/* libFuzzer target: `sched memalloc --input FILE`'s CSV reader, then the
 * problem check and, on small instances, an allocation that the
 * independent verifier must accept. */
#include "memalloc/memalloc.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_file_t file;
  fuzz_file_open(&file, data, size);
  memalloc_problem_t p;
  memalloc_problem_init(&p, INT64_C(1) << 20);
  sched_diag_t diag;
  if (memalloc_csv_read_path(file.path, &p, &diag) == SCHED_OK &&
      memalloc_problem_check(&p, &diag) == SCHED_OK && p.n_buffers <= 64) {
    memalloc_solution_t s;
    memalloc_solution_init(&s);
    memalloc_params_t params = memalloc_params_default();
    params.time_limit_s = 0.05;
    memalloc_stats_t stats;
    if (memalloc_greedy_size_run(&p, &s, &params, &stats, &diag) == SCHED_OK &&
        memalloc_verify(&p, &s, &diag) != SCHED_OK)
      abort(); /* an allocator's answer must verify */
    memalloc_solution_free(&s);
  }
  memalloc_problem_free(&p);
  fuzz_file_close(&file);
  return 0;
}
