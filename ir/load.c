/* load.c - one door for the CLI: a network spec to a sorted, shape-inferred,
 * verified graph. Zoo specs ("fsrcnn:d=32") are built here. */
#include "ir/ir.h"

int ir_graph_load(const char *spec, const ir_onnx_options_t *opts, ir_graph_t *out,
                  sched_diag_t *diag) {
  (void)opts; /* read by the ONNX importer only */
  int rc = ir_zoo_build(spec, out, diag);
  if (rc != SCHED_OK)
    return rc;
  rc = ir_graph_verify(out, diag);
  if (rc != SCHED_OK)
    ir_graph_free(out);
  return rc;
}
