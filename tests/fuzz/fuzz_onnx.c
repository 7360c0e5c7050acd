/* libFuzzer target: the ONNX importer on arbitrary bytes. Any result is
 * fine except a crash, a hang, a leak or a sanitizer report; an imported
 * graph must pass the verifier. */
#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ir_onnx_options_t opts = {0};
  ir_graph_t g;
  sched_diag_t diag;
  if (ir_onnx_import_buffer(data, size, "fuzz.onnx", &opts, &g, &diag) != SCHED_OK)
    return 0;
  ir_graph_verify(&g, &diag);
  ir_graph_free(&g);
  return 0;
}
