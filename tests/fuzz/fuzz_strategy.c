/* libFuzzer target: `--strategy-file FILE` (strategies/plan_file.c) forced
 * onto a small net's problem, then solved, allocated and scheduled. */
#include "tests/fuzz/fuzz_file.h"
#include "tests/fuzz/fuzz_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_file_t file;
  fuzz_file_open(&file, data, size);
  fuzz_plan(NULL, NULL, file.path);
  fuzz_file_close(&file);
  return 0;
}
