/* libFuzzer target: `sched lut --space FILE` (advisor/space.c), then the
 * network of each candidate's first valid position built and verified. */
#include "advisor/advisor.h"
#include "tests/fuzz/fuzz_file.h"

static void build_chains(const advisor_space_t *s) {
  for (int c = 0; c < s->n_cands && c < 8; c++) {
    for (int i = 0; i < s->n_positions && i < 64; i++) {
      const advisor_position_t *pos = &s->positions[i];
      if (pos->fixed || !advisor_cand_valid(pos, &s->cands[c]))
        continue;
      ir_graph_t g;
      sched_diag_t diag;
      if (advisor_chain_build(s, pos, &s->cands[c], 1, &g, &diag) == SCHED_OK)
        ir_graph_free(&g);
      break;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_file_t file;
  fuzz_file_open(&file, data, size);
  advisor_space_t s;
  sched_diag_t diag;
  if (advisor_space_read(file.path, &s, &diag) == SCHED_OK) {
    build_chains(&s);
    advisor_space_free(&s);
  }
  fuzz_file_close(&file);
  return 0;
}
