/* cmd_cost.c - `sched cost`: costs one DPU workload so compiler engineers can
 * check the model against a measurement. Requires an arch (preset or file)
 * and a cost provider; prints cycles, microseconds and the MPE mode. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cost/cost.h"
#include "tools/cli.h"

typedef struct {
  const char *op, *in, *out, *kernel, *stride, *pad, *dtype, *mode, *arch, *cost, *format;
  int64_t output_write_tiles;
  bool help;
} cost_args_t;

#define COST_FIELD(f) offsetof(cost_args_t, f)

static const cli_option_t cost_flags[] = {
    CLI_OPT("--op", CLI_ARG_STRING, COST_FIELD(op), "OP",
            "conv|dwconv|maxpool|avgpool|eltwise: the DPU operation (required)"),
    CLI_OPT("--in", CLI_ARG_STRING, COST_FIELD(in), "CxHxW",
            "input channels x height x width (required)"),
    CLI_OPT("--out", CLI_ARG_STRING, COST_FIELD(out), "KxHxW",
            "output channels x height x width (required); must match\n"
            "the input, kernel, stride and padding"),
    CLI_OPT("--kernel", CLI_ARG_STRING, COST_FIELD(kernel), "KHxKW",
            "kernel size (default 1x1; a single number means square)"),
    CLI_OPT("--stride", CLI_ARG_STRING, COST_FIELD(stride), "SH[xSW]", "stride (default 1)"),
    CLI_OPT("--pad", CLI_ARG_STRING, COST_FIELD(pad), "T,B,L,R",
            "padding top, bottom, left, right (default 0,0,0,0; a\n"
            "single number pads all four sides)"),
    CLI_OPT("--dtype", CLI_ARG_STRING, COST_FIELD(dtype), "u8|i8|fp16",
            "activation data type (default u8)"),
    CLI_NUM("--output-write-tiles", CLI_ARG_INT, COST_FIELD(output_write_tiles), "N",
            "tiles the whole output is written to (default 1; more is\n"
            "a SOK/HKSwitch broadcast, costed as a DPU write)",
            1, 1000000),
    CLI_OPT("--mode", CLI_ARG_STRING, COST_FIELD(mode), "MODE",
            "16x16|8x16|4x16|vector|matrix|auto: MPE execution mode\n"
            "(default auto: the fastest the arch has)"),
    CLI_OPT("--arch", CLI_ARG_STRING, COST_FIELD(arch), "NAME|FILE",
            "preset (vpu20, vpu27, vpu40) or JSON arch file (default vpu27)"),
    CLI_OPT("--cost", CLI_ARG_STRING, COST_FIELD(cost), "SPEC",
            "analytic|lut:FILE.csv: cost provider (default analytic;\n"
            "lut falls back to analytic)"),
    CLI_OPT("--format", CLI_ARG_STRING, COST_FIELD(format), "text|json",
            "output format (default text); json prints\n"
            "{\"cycles\": N, \"us\": X, \"mode\": \"M\", \"workloads\": K,\n"
            "\"provider\": \"P\", \"output_write_tiles\": T,\n"
            "\"output_write_cycles\": W}; under auto a workload may split\n"
            "in two by columns (mode \"8x16+4x16\", K = 2); W is what\n"
            "the multi-tile write adds to the cycles (0 for one tile)"),
    CLI_OPT("--help", CLI_ARG_FLAG, COST_FIELD(help), NULL, "this help"),
    CLI_OPT("-h", CLI_ARG_FLAG, COST_FIELD(help), NULL, "this help"),
};

static cli_spec_t cost_spec(void) {
  return (cli_spec_t){
      .command = "cost", .options = cost_flags, .n_options = SCHED_ARRAY_LEN(cost_flags)};
}

static void cost_usage(FILE *out) {
  fputs("usage: sched cost --op OP --in CxHxW --out KxHxW [options]\n"
        "\n"
        "Costs one DPU workload (one cluster's share of a layer) with the cost model.\n"
        "\n",
        out);
  cli_spec_t spec = cost_spec();
  cli_print_options(&spec, out);
}

static int parse_args(int argc, char **argv, cost_args_t *args) {
  *args = (cost_args_t){.kernel = "1x1",
                        .stride = "1",
                        .pad = "0,0,0,0",
                        .dtype = "u8",
                        .output_write_tiles = 1,
                        .mode = "auto",
                        .arch = "vpu27",
                        .cost = "analytic",
                        .format = "text"};
  cli_spec_t spec = cost_spec();
  if (cli_parse(&spec, argc, argv, args) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (!args->help && (!args->op || !args->in || !args->out))
    return cli_error("cost: --op, --in and --out are required (see sched cost --help)");
  return CLI_EXIT_OK;
}

/* Parses n positive integers separated by sep ("64x56x56", "1,1,0,0"). */
static bool parse_ints(const char *s, char sep, int n, int32_t min, int32_t *out) {
  const char *p = s;
  for (int i = 0; i < n; i++) {
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (end == p || errno != 0 || v < min || v > 1000000)
      return false;
    out[i] = (int32_t)v;
    if (i + 1 < n && *end != sep)
      return false;
    p = end + (i + 1 < n);
    if (i + 1 == n && *end != '\0')
      return false;
  }
  return true;
}

/* "3x5" or "3" (square). */
static bool parse_pair(const char *s, int32_t min, int32_t out[2]) {
  if (parse_ints(s, 'x', 2, min, out))
    return true;
  if (!parse_ints(s, 'x', 1, min, out))
    return false;
  out[1] = out[0];
  return true;
}

static bool parse_pad(const char *s, int32_t out[4]) {
  if (parse_ints(s, ',', 4, 0, out))
    return true;
  if (!parse_ints(s, ',', 1, 0, out))
    return false;
  out[1] = out[2] = out[3] = out[0];
  return true;
}

static int parse_shapes(const cost_args_t *a, cost_workload_t *wl) {
  int32_t in[3], out[3], k[2], s[2], pad[4];
  if (!parse_ints(a->in, 'x', 3, 1, in))
    return cli_error("cost: bad --in '%s' (expected CxHxW, positive integers)", a->in);
  if (!parse_ints(a->out, 'x', 3, 1, out))
    return cli_error("cost: bad --out '%s' (expected KxHxW, positive integers)", a->out);
  if (!parse_pair(a->kernel, 1, k))
    return cli_error("cost: bad --kernel '%s' (expected KHxKW, positive integers)", a->kernel);
  if (!parse_pair(a->stride, 1, s))
    return cli_error("cost: bad --stride '%s' (expected SH or SHxSW, positive integers)",
                     a->stride);
  if (!parse_pad(a->pad, pad))
    return cli_error("cost: bad --pad '%s' (expected T,B,L,R, non-negative integers)", a->pad);
  *wl = (cost_workload_t){.in_c = in[0],
                          .in_h = in[1],
                          .in_w = in[2],
                          .out_c = out[0],
                          .out_h = out[1],
                          .out_w = out[2],
                          .kernel_h = k[0],
                          .kernel_w = k[1],
                          .stride_h = s[0],
                          .stride_w = s[1],
                          .pad_top = pad[0],
                          .pad_bottom = pad[1],
                          .pad_left = pad[2],
                          .pad_right = pad[3],
                          .output_write_tiles = (int32_t)a->output_write_tiles};
  return CLI_EXIT_OK;
}

/* The output size the input, kernel, stride and padding give. */
static int check_output_size(const cost_workload_t *wl) {
  int h = (wl->in_h + wl->pad_top + wl->pad_bottom - wl->kernel_h) / wl->stride_h + 1;
  int w = (wl->in_w + wl->pad_left + wl->pad_right - wl->kernel_w) / wl->stride_w + 1;
  if (h < 1 || w < 1)
    return cli_error("cost: kernel %dx%d is larger than the padded input %dx%d", wl->kernel_h,
                     wl->kernel_w, wl->in_h + wl->pad_top + wl->pad_bottom,
                     wl->in_w + wl->pad_left + wl->pad_right);
  if (h != wl->out_h || w != wl->out_w)
    return cli_error("cost: --out height x width %dx%d does not match the input, kernel, "
                     "stride and padding, which give %dx%d",
                     wl->out_h, wl->out_w, h, w);
  return CLI_EXIT_OK;
}

static int parse_enums(const cost_args_t *a, cost_workload_t *wl) {
  if (cost_dpu_op_parse(a->op, &wl->op) != SCHED_OK)
    return cli_error("cost: bad --op '%s' (expected conv, dwconv, maxpool, avgpool or eltwise)",
                     a->op);
  if (ir_dtype_parse(a->dtype, &wl->dtype) != SCHED_OK)
    return cli_error("cost: bad --dtype '%s' (expected u8, i8 or fp16)", a->dtype);
  if (arch_mpe_mode_parse(a->mode, &wl->mode) != SCHED_OK)
    return cli_error("cost: bad --mode '%s' (expected 16x16, 8x16, 4x16, vector, matrix or auto)",
                     a->mode);
  if (strcmp(a->format, "text") != 0 && strcmp(a->format, "json") != 0)
    return cli_error("cost: bad --format '%s' (expected text or json)", a->format);
  return CLI_EXIT_OK;
}

static double round_us(double us) { return round(us * 1000.0) / 1000.0; }

static int print_json(const cost_workload_t *wl, const cost_dpu_estimate_t *e, double us) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "cycles", (double)e->cycles);
  cJSON_AddNumberToObject(o, "us", round_us(us));
  char mode[32];
  cJSON_AddStringToObject(o, "mode", cost_mode_label(e->mode, e->rest_mode, mode, sizeof mode));
  cJSON_AddNumberToObject(o, "workloads", e->n_workloads);
  cJSON_AddStringToObject(o, "provider", e->provider);
  cJSON_AddNumberToObject(o, "output_write_tiles", SCHED_MAX(wl->output_write_tiles, 1));
  cJSON_AddNumberToObject(o, "output_write_cycles", (double)e->output_write_cycles);
  char *text = sched_json_print(o, false);
  printf("%s\n", text);
  free(text);
  cJSON_Delete(o);
  return CLI_EXIT_OK;
}

static int print_estimate(const cost_args_t *a, const arch_t *arch, const cost_workload_t *wl,
                          const cost_dpu_estimate_t *e) {
  double us = arch_cycles_to_us(arch, e->cycles);
  if (strcmp(a->format, "json") == 0)
    return print_json(wl, e, us);
  printf("cycles: %lld\n", (long long)e->cycles);
  printf("us: %.3f (at %g MHz, %s)\n", round_us(us), arch->dpu_clock_mhz, arch->name);
  char mode[32];
  printf("mode: %s\n", cost_mode_label(e->mode, e->rest_mode, mode, sizeof mode));
  printf("workloads: %d\n", e->n_workloads);
  printf("provider: %s\n", e->provider);
  printf("output_write_cycles: %lld (output written to %d tile%s)\n",
         (long long)e->output_write_cycles, SCHED_MAX(wl->output_write_tiles, 1),
         wl->output_write_tiles > 1 ? "s" : "");
  return CLI_EXIT_OK;
}

static int run_cost(const cost_args_t *a, const cost_workload_t *wl) {
  sched_diag_t diag = {{0}};
  arch_t arch;
  if (arch_load(a->arch, &arch, &diag) != SCHED_OK)
    return cli_error("%s", diag.msg);
  cost_model_t model;
  if (cost_model_init(&model, &arch, a->cost, &diag) != SCHED_OK)
    return cli_error("%s", diag.msg);
  cost_dpu_estimate_t est;
  int rc = cost_dpu_workload(&model, wl, &est, &diag);
  if (rc == SCHED_OK)
    rc = print_estimate(a, &arch, wl, &est);
  else
    rc = cli_error("cost: %s", diag.msg);
  cost_model_free(&model);
  return rc;
}

int cmd_cost(int argc, char **argv) {
  cost_args_t args;
  if (parse_args(argc, argv, &args) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (args.help) {
    cost_usage(stdout);
    return CLI_EXIT_OK;
  }
  int rc;
  cost_workload_t wl;
  if ((rc = parse_shapes(&args, &wl)) != CLI_EXIT_OK || (rc = parse_enums(&args, &wl)) != 0 ||
      (rc = check_output_size(&wl)) != CLI_EXIT_OK)
    return rc;
  return run_cost(&args, &wl);
}
