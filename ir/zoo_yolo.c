/* zoo_yolo.c - YOLOv3-tiny as darknet's yolov3-tiny.cfg defines it (Redmon &
 * Farhadi 2018). Ops are named after their darknet layer index (conv13,
 * route20) so a layer can be found in the cfg. Convs with batch norm have it
 * folded into a bias; the two 1x1 head convs are linear with a bias. */
#include "ir/zoo_internal.h"

#define LEAKY_SLOPE 0.1f

/* Darknet [convolutional] with batch_normalize=1, activation=leaky. */
static int conv_leaky(ir_graph_t *g, int x, int filters, int size, int layer) {
  x = zoo_conv(g, x, zoo_conv_attrs(filters, size, 1, 1), "conv%d", layer);
  return zoo_leaky(g, x, LEAKY_SLOPE, "conv%d.leaky", layer);
}

/* Darknet [maxpool] size=2; stride 1 pads one row/column at the bottom/right
 * to keep the size, as darknet's padding = size - 1 does. */
static int maxpool(ir_graph_t *g, int x, int stride, int layer) {
  ir_attrs_t a = zoo_window_attrs(2, stride, 0);
  a.pad_bottom = a.pad_right = stride == 1;
  return zoo_op(g, IR_OP_MAXPOOL, &a, &x, 1, "pool%d", layer);
}

/* A detection head: linear 1x1 conv to 3 anchors x (box, objectness,
 * classes), marked as a graph output (the [yolo] decode runs on the host). */
static void head(ir_graph_t *g, int x, int classes, int layer) {
  x = zoo_conv(g, x, zoo_conv_attrs(3 * (5 + classes), 1, 1, 1), "conv%d", layer);
  ir_graph_mark_output(g, x);
}

int zoo_build_yolov3_tiny(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  int64_t h = zoo_int(a, "h"), w = zoo_int(a, "w");
  int classes = (int)zoo_int(a, "classes");
  /* Five stride-2 pools, then the x2 upsample must meet layer 8 again. */
  if (h % 32 != 0 || w % 32 != 0)
    return zoo_error(a, diag, "h=%lld, w=%lld: both must be multiples of 32", (long long)h,
                     (long long)w);
  int x = ir_graph_add_input(g, "input", (ir_shape_t){1, 3, h, w}, zoo_dtype(a));
  int layer = 0, route8 = -1;
  for (int filters = 16; filters <= 512; filters *= 2) {
    x = conv_leaky(g, x, filters, 3, layer++);
    if (filters == 256)
      route8 = x;
    x = maxpool(g, x, filters == 512 ? 1 : 2, layer++);
  }
  x = conv_leaky(g, x, 1024, 3, 12);
  int route13 = conv_leaky(g, x, 256, 1, 13);
  head(g, conv_leaky(g, route13, 512, 3, 14), classes, 15);
  x = conv_leaky(g, route13, 128, 1, 18);
  ir_attrs_t up = {.scale = 2, .upsample_mode = IR_UPSAMPLE_NEAREST};
  x = zoo_op(g, IR_OP_UPSAMPLE, &up, &x, 1, "upsample19");
  int cat[2] = {x, route8};
  x = zoo_op(g, IR_OP_CONCAT, NULL, cat, 2, "route20");
  head(g, conv_leaky(g, x, 256, 3, 21), classes, 22);
  return SCHED_OK;
}
