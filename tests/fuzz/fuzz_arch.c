/* libFuzzer target: `--arch FILE.json` (arch/arch.c's reader and
 * arch_verify), then a plan of a small net on the arch it describes. */
#include "tests/fuzz/fuzz_file.h"
#include "tests/fuzz/fuzz_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_file_t file;
  fuzz_file_open(&file, data, size);
  arch_t arch;
  sched_diag_t diag;
  if (arch_load(file.path, &arch, &diag) == SCHED_OK)
    fuzz_plan(file.path, NULL, NULL);
  fuzz_file_close(&file);
  return 0;
}
