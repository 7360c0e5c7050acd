/* zoo.c - the built-in networks: the table of nets with their parameters,
 * the "name:key=value,..." parser, listing and "did you mean".
 *
 * Each net is a C function (zoo_sr.c, zoo_cls.c, zoo_yolo.c, zoo_tfm.c, zoo_layer.c)
 * that reads its arguments through zoo_int / zoo_choice. Parameters are
 * range-checked here, once, so a builder only checks relations between them.
 * Adding a net is one function plus one row below. */
#include "ir/zoo_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DIM_MAX 16384 /* spatial size and channel cap: larger is a typo */
#define P_H(def)                                                                                   \
  { "h", def, 1, DIM_MAX, NULL }
#define P_W(def)                                                                                   \
  { "w", def, 1, DIM_MAX, NULL }
#define P_C(key, def)                                                                              \
  { key, def, 1, DIM_MAX, NULL }
#define P_DTYPE                                                                                    \
  { "dtype", "u8", 0, 0, "u8|i8|fp16" }
#define P_CLASSES                                                                                  \
  { "classes", "1000", 1, 100000, NULL }
#define P_KERNEL(key, def)                                                                         \
  { key, def, 1, 64, NULL }
#define P_STRIDE(def)                                                                              \
  { "stride", def, 1, 64, NULL }
#define P_PAD                                                                                      \
  { "pad", "same", 0, 64, NULL }

/* "same" padding is (k-1)/2 per side; kw and stride default to kh. */
static const zoo_net_t nets[] = {
    {"fsrcnn",
     "FSRCNN super-resolution (Dong et al. 2016), PReLU per channel, deconv upsampler",
     zoo_build_fsrcnn,
     {P_C("d", "56"),
      P_C("s", "12"),
      {"m", "4", 0, 256, NULL},
      {"scale", "2", 1, 8, NULL},
      P_H("360"),
      P_W("640"),
      P_DTYPE}},
    {"edsr",
     "EDSR baseline super-resolution: residual blocks, pixel-shuffle upsampler",
     zoo_build_edsr,
     {{"blocks", "16", 0, 256, NULL},
      P_C("feats", "64"),
      {"scale", "2", 2, 4, NULL},
      P_H("360"),
      P_W("640"),
      {"act", "relu", 0, 0, "relu|prelu"},
      P_DTYPE}},
    {"wdsr",
     "WDSR-A super-resolution: wide-activation residual blocks, pixel-shuffle tail and skip",
     zoo_build_wdsr,
     {{"blocks", "16", 0, 256, NULL},
      P_C("feats", "32"),
      {"expansion", "4", 1, 64, NULL},
      {"scale", "2", 2, 4, NULL},
      P_H("360"),
      P_W("640"),
      P_DTYPE}},
    {"mobilenetv2",
     "MobileNetV2 classifier (torchvision), ReLU6 as Clamp",
     zoo_build_mobilenetv2,
     {P_H("224"), P_W("224"), P_CLASSES, P_DTYPE}},
    {"resnet18",
     "ResNet-18 classifier (torchvision), BatchNorm folded",
     zoo_build_resnet18,
     {P_H("224"), P_W("224"), P_CLASSES, P_DTYPE}},
    {"resnet34",
     "ResNet-34 classifier (torchvision), BatchNorm folded",
     zoo_build_resnet34,
     {P_H("224"), P_W("224"), P_CLASSES, P_DTYPE}},
    {"resnet50",
     "ResNet-50 v1.5 classifier (torchvision), BatchNorm folded",
     zoo_build_resnet50,
     {P_H("224"), P_W("224"), P_CLASSES, P_DTYPE}},
    {"resnet101",
     "ResNet-101 v1.5 classifier (torchvision), BatchNorm folded",
     zoo_build_resnet101,
     {P_H("224"), P_W("224"), P_CLASSES, P_DTYPE}},
    {"yolov3-tiny",
     "YOLOv3-tiny detector (darknet cfg): leaky ReLU 0.1, two heads; h, w multiples of 32",
     zoo_build_yolov3_tiny,
     {P_H("416"), P_W("416"), {"classes", "80", 1, 10000, NULL}, P_DTYPE}},
    {"vit",
     "ViT classifier (default ViT-Tiny/16): pre-LayerNorm blocks, GELU MLP of 4 x width",
     zoo_build_vit,
     {{"image", "224", 16, DIM_MAX, NULL},
      {"patch", "16", 1, 64, NULL},
      {"depth", "12", 1, 128, NULL},
      P_C("width", "192"),
      {"heads", "3", 1, 256, NULL},
      P_CLASSES,
      P_DTYPE}},
    {"bert",
     "BERT encoder (default BERT-base): post-LayerNorm blocks, GELU MLP of 4 x hidden",
     zoo_build_bert,
     {{"seq", "128", 1, 65536, NULL},
      P_C("hidden", "768"),
      {"layers", "12", 1, 128, NULL},
      {"heads", "12", 1, 256, NULL},
      {"vocab", "30522", 1, 1000000, NULL},
      P_DTYPE}},
    {"llm",
     "Llama-style decoder (default TinyLlama-1.1B shapes, heads = KV heads): RMSNorm, rotary, "
     "causal attention, SwiGLU; prefill of seq tokens or decode of one against kv cached",
     zoo_build_llm,
     {{"phase", "prefill", 0, 0, "prefill|decode"},
      {"seq", "128", 1, 65536, NULL},
      {"kv", "512", 1, 131072, NULL},
      P_C("hidden", "2048"),
      {"heads", "32", 1, 256, NULL},
      {"layers", "22", 1, 128, NULL},
      P_C("ffn", "5632"),
      {"vocab", "32000", 1, 1000000, NULL},
      P_DTYPE}},
    {"conv",
     "one convolution",
     zoo_build_conv,
     {P_C("c", "64"),
      P_C("k", "64"),
      P_H("56"),
      P_W("56"),
      P_KERNEL("kh", "3"),
      P_KERNEL("kw", "kh"),
      P_STRIDE("1"),
      P_PAD,
      {"groups", "1", 1, DIM_MAX, NULL},
      {"dilation", "1", 1, 64, NULL},
      P_DTYPE}},
    {"dwconv",
     "one depthwise convolution",
     zoo_build_dwconv,
     {P_C("c", "64"), P_H("56"), P_W("56"), P_KERNEL("kh", "3"), P_KERNEL("kw", "kh"),
      P_STRIDE("1"), P_PAD, P_DTYPE}},
    {"pool",
     "one max or average pooling",
     zoo_build_pool,
     {{"type", "max", 0, 0, "max|avg"},
      P_C("c", "64"),
      P_H("56"),
      P_W("56"),
      P_KERNEL("kh", "2"),
      P_KERNEL("kw", "kh"),
      P_STRIDE("kh"),
      {"pad", "0", 0, 64, NULL},
      P_DTYPE}},
    {"eltwise",
     "one elementwise op on two inputs of the same shape",
     zoo_build_eltwise,
     {{"type", "add", 0, 0, "add|mul|sub"}, P_C("c", "64"), P_H("56"), P_W("56"), P_DTYPE}},
};

/* ---- argument access ---- */

static int param_index(const zoo_net_t *net, const char *key, size_t len) {
  for (int i = 0; i < ZOO_MAX_PARAMS && net->params[i].key; i++)
    if (strlen(net->params[i].key) == len && strncmp(net->params[i].key, key, len) == 0)
      return i;
  return -1;
}

static int known_index(const zoo_args_t *a, const char *key) {
  int i = param_index(a->net, key, strlen(key));
  assert(i >= 0 && "a net read a key it does not declare");
  return i;
}

int64_t zoo_int(const zoo_args_t *a, const char *key) { return a->value[known_index(a, key)]; }

int zoo_choice(const zoo_args_t *a, const char *key) { return (int)a->value[known_index(a, key)]; }

bool zoo_given(const zoo_args_t *a, const char *key) { return a->given[known_index(a, key)]; }

/* The dtype choices are listed in ir_dtype_t order. */
ir_dtype_t zoo_dtype(const zoo_args_t *a) { return (ir_dtype_t)zoo_choice(a, "dtype"); }

int zoo_error(const zoo_args_t *a, sched_diag_t *diag, const char *fmt, ...) {
  char msg[SCHED_DIAG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sched_diag_set(diag, SCHED_ERR_INPUT, "zoo net '%s': %s", a->net->name, msg);
}

/* ---- parsing ---- */

/* "c, k, h, w" for error lines. */
static void key_list(const zoo_net_t *net, char *buf, size_t size) {
  buf[0] = '\0';
  size_t used = 0;
  for (int i = 0; i < ZOO_MAX_PARAMS && net->params[i].key && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", net->params[i].key);
}

/* Index of `text` (len chars) among "a|b|c", or -1. */
static int choice_index(const char *choices, const char *text, size_t len) {
  int index = 0;
  for (const char *p = choices; *p; index++) {
    size_t n = strcspn(p, "|");
    if (n == len && strncmp(p, text, len) == 0)
      return index;
    p += n + (p[n] == '|');
  }
  return -1;
}

/* A whole decimal integer within [min, max]. */
static bool parse_int(const char *text, size_t len, int64_t min, int64_t max, int64_t *out) {
  char buf[32];
  if (len == 0 || len >= sizeof buf)
    return false;
  memcpy(buf, text, len);
  buf[len] = '\0';
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (errno || *end || v < min || v > max)
    return false;
  *out = v;
  return true;
}

static bool parse_value(const zoo_param_t *p, const char *text, size_t len, int64_t *out) {
  if (p->choices) {
    int i = choice_index(p->choices, text, len);
    *out = i;
    return i >= 0;
  }
  return parse_int(text, len, p->min, p->max, out);
}

static void set_defaults(const zoo_net_t *net, zoo_args_t *a) {
  memset(a, 0, sizeof *a);
  a->net = net;
  for (int i = 0; i < ZOO_MAX_PARAMS && net->params[i].key; i++) {
    const zoo_param_t *p = &net->params[i];
    /* A rule default ("kh", "same") parses to nothing; the builder applies
     * it when the key was not given. */
    parse_value(p, p->def, strlen(p->def), &a->value[i]);
  }
}

static int bad_value(const zoo_args_t *a, int i, const char *text, size_t len, sched_diag_t *diag) {
  const zoo_param_t *p = &a->net->params[i];
  char keys[256], expected[128];
  key_list(a->net, keys, sizeof keys);
  if (p->choices)
    snprintf(expected, sizeof expected, "one of %s", p->choices);
  else
    snprintf(expected, sizeof expected, "an integer in %lld..%lld", (long long)p->min,
             (long long)p->max);
  return zoo_error(a, diag, "bad value '%.*s' for key '%s' (expected %s); keys: %s", (int)len, text,
                   p->key, expected, keys);
}

/* One "key=value" item of len chars. */
static int parse_item(zoo_args_t *a, const char *item, size_t len, sched_diag_t *diag) {
  char keys[256];
  key_list(a->net, keys, sizeof keys);
  const char *eq = memchr(item, '=', len);
  if (!eq)
    return zoo_error(a, diag, "parameter '%.*s' needs a value (key=value); keys: %s", (int)len,
                     item, keys);
  size_t key_len = (size_t)(eq - item), value_len = len - key_len - 1;
  int i = param_index(a->net, item, key_len);
  if (i < 0)
    return zoo_error(a, diag, "unknown key '%.*s' (in '%.*s'); keys: %s", (int)key_len, item,
                     (int)len, item, keys);
  if (!parse_value(&a->net->params[i], eq + 1, value_len, &a->value[i]))
    return bad_value(a, i, eq + 1, value_len, diag);
  a->given[i] = true;
  return SCHED_OK;
}

static int parse_args(const char *text, zoo_args_t *a, sched_diag_t *diag) {
  while (text && *text) {
    size_t len = strcspn(text, ",");
    if (len > 0) {
      int rc = parse_item(a, text, len, diag);
      if (rc != SCHED_OK)
        return rc;
    }
    text += len + (text[len] == ',');
  }
  return SCHED_OK;
}

/* ---- lookup and suggestions ---- */

static const zoo_net_t *find_net(const char *name, size_t len) {
  for (int i = 0; i < SCHED_ARRAY_LEN(nets); i++)
    if (strlen(nets[i].name) == len && strncmp(nets[i].name, name, len) == 0)
      return &nets[i];
  return NULL;
}

const char *ir_zoo_suggest(const char *name) {
  const char *best = NULL;
  /* One edit per three letters (at least one); farther is no suggestion. */
  int best_d = SCHED_MAX(1, (int)strlen(name) / 3) + 1;
  for (int i = 0; i < SCHED_ARRAY_LEN(nets); i++) {
    int d = sched_edit_distance(name, nets[i].name);
    /* "yolo" or "resnet" are prefixes worth pointing at. */
    if (strlen(name) >= 3 && strncmp(nets[i].name, name, strlen(name)) == 0)
      d = SCHED_MIN(d, 1);
    if (d < best_d) {
      best_d = d;
      best = nets[i].name;
    }
  }
  return best;
}

static int unknown_net(const char *name, size_t len, sched_diag_t *diag) {
  char word[64];
  snprintf(word, sizeof word, "%.*s", (int)SCHED_MIN(len, sizeof word - 1), name);
  const char *guess = ir_zoo_suggest(word);
  if (guess)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "unknown net '%.*s' (did you mean '%s'?)",
                          (int)len, name, guess);
  char all[512] = "";
  size_t used = 0;
  for (int i = 0; i < SCHED_ARRAY_LEN(nets) && used < sizeof all; i++)
    used += (size_t)snprintf(all + used, sizeof all - used, "%s%s", i ? ", " : "", nets[i].name);
  return sched_diag_set(diag, SCHED_ERR_INPUT, "unknown net '%.*s'; nets: %s", (int)len, name, all);
}

/* ---- the public door ---- */

/* Sort, infer and check what a builder made; its shape errors surface here. */
static int finish(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  sched_diag_t inner = {{0}};
  int rc = ir_graph_sort(g, &inner);
  if (rc == SCHED_OK)
    rc = ir_graph_infer_shapes(g, &inner);
  if (rc == SCHED_OK)
    rc = ir_graph_verify(g, &inner);
  if (rc != SCHED_OK)
    zoo_error(a, diag, "%s", inner.msg);
  return rc;
}

int ir_zoo_build(const char *spec, ir_graph_t *out, sched_diag_t *diag) {
  memset(out, 0, sizeof *out);
  size_t name_len = strcspn(spec, ":");
  const zoo_net_t *net = find_net(spec, name_len);
  if (!net)
    return unknown_net(spec, name_len, diag);
  zoo_args_t args;
  set_defaults(net, &args);
  int rc = parse_args(spec[name_len] ? spec + name_len + 1 : NULL, &args, diag);
  if (rc != SCHED_OK)
    return rc;
  ir_graph_init(out, spec);
  rc = net->build(&args, out, diag);
  if (rc == SCHED_OK)
    rc = finish(&args, out, diag);
  if (rc != SCHED_OK)
    ir_graph_free(out);
  return rc;
}

void ir_zoo_list(FILE *out) {
  for (int i = 0; i < SCHED_ARRAY_LEN(nets); i++) {
    const zoo_net_t *net = &nets[i];
    fprintf(out, "%-12s", net->name);
    for (int j = 0; j < ZOO_MAX_PARAMS && net->params[j].key; j++) {
      const zoo_param_t *p = &net->params[j];
      fprintf(out, "%s%s=%s", j ? ", " : " ", p->key, p->def);
      if (p->choices)
        fprintf(out, " (%s)", p->choices);
    }
    fprintf(out, " -- %s\n", net->summary);
  }
}
