/* libFuzzer target: the JSON IR reader on arbitrary text. A graph it
 * accepts must print and read back to the same text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

static void round_trip(const ir_graph_t *g) {
  char *first = NULL, *second = NULL;
  sched_diag_t diag;
  ir_graph_t back;
  if (ir_json_print(g, &first, &diag) != SCHED_OK)
    return;
  if (ir_json_parse(first, strlen(first), "first", &back, &diag) != SCHED_OK)
    abort(); /* what we write we must read */
  if (ir_json_print(&back, &second, &diag) != SCHED_OK || strcmp(first, second) != 0)
    abort();
  ir_graph_free(&back);
  free(first);
  free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ir_graph_t g;
  sched_diag_t diag;
  if (ir_json_parse((const char *)data, size, "fuzz.json", &g, &diag) != SCHED_OK)
    return 0;
  round_trip(&g);
  ir_graph_free(&g);
  return 0;
}
