/* load.c - one door for the CLI: a network spec to a sorted, shape-inferred,
 * verified graph. A path ending in .onnx is imported (onnx.c), one ending in
 * .json read as JSON IR (json.c); anything else is a zoo spec
 * ("fsrcnn:d=32"), built here. */
#include "ir/ir.h"

#include <string.h>
#include <strings.h>

static bool has_extension(const char *spec, const char *ext) {
  size_t n = strlen(spec), e = strlen(ext);
  return n > e && strcasecmp(spec + n - e, ext) == 0;
}

int ir_graph_load(const char *spec, const ir_onnx_options_t *opts, ir_graph_t *out,
                  sched_diag_t *diag) {
  int rc;
  if (has_extension(spec, ".onnx"))
    rc = ir_onnx_import(spec, opts, out, diag);
  else if (has_extension(spec, ".json"))
    rc = ir_json_read(spec, out, diag);
  else
    rc = ir_zoo_build(spec, out, diag);
  if (rc != SCHED_OK)
    return rc;
  rc = ir_graph_verify(out, diag);
  if (rc == SCHED_OK)
    rc = ir_graph_check_counts(out, diag);
  if (rc != SCHED_OK)
    ir_graph_free(out);
  return rc;
}
