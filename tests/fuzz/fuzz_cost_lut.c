/* libFuzzer target: `--cost lut:FILE.csv` (cost/lut.c's reader), then a
 * plan of a small net costed through the table it describes. */
#include "tests/fuzz/fuzz_file.h"
#include "tests/fuzz/fuzz_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_file_t file;
  fuzz_file_open(&file, data, size);
  char spec[96];
  snprintf(spec, sizeof spec, "lut:%s", file.path);
  arch_t arch;
  cost_model_t model;
  sched_diag_t diag;
  if (arch_preset("vpu27", &arch, &diag) == SCHED_OK &&
      cost_model_init(&model, &arch, spec, &diag) == SCHED_OK) {
    cost_model_free(&model);
    fuzz_plan(NULL, spec, NULL);
  }
  fuzz_file_close(&file);
  return 0;
}
