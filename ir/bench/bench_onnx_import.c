/* bench_onnx_import - import time and peak memory of a generated ~100 MB
 * ONNX model (targets: under 1 s, peak under 2x the file size).
 *
 * The model is a ResNet-like chain of 3x3 convs (256 -> 256 channels, fp32
 * weights stored inline as raw_data) with BatchNorm and ReLU, so nearly all
 * of the file is weights the importer must skip past. The import runs in a
 * fresh process (this program re-executed with --import) so that its peak
 * resident set (ru_maxrss from wait4) is the import's alone; a second child
 * that only starts and exits gives the baseline of the process itself.
 *
 * Usage: bench_onnx_import [MB] [path]   (defaults: 100, /tmp/sched_bench.onnx) */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ir/ir.h"
#include "tests/onnx_builder.h"

#define CHANNELS 256

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Layers of CHANNELS x CHANNELS x 3 x 3 fp32 weights until ~mb MB. */
static int write_model(const char *path, int mb) {
  size_t layer_bytes = (size_t)CHANNELS * CHANNELS * 9 * 4;
  int layers = (int)(((size_t)mb << 20) / layer_bytes);
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, CHANNELS, 56, 56}, 4);
  char x[32] = "x";
  for (int i = 0; i < layers; i++) {
    char w[32], c[32], bn[8][32], ins[192], y[32];
    snprintf(w, sizeof w, "l%d.w", i);
    snprintf(c, sizeof c, "l%d.conv", i);
    snprintf(y, sizeof y, "l%d", i);
    Onnx__TensorProto *t = mb_weight(&b, w, (int64_t[]){CHANNELS, CHANNELS, 3, 3}, 4, layer_bytes);
    for (size_t k = 0; k < layer_bytes; k++)
      t->raw_data.data[k] = (uint8_t)(k * 2654435761u >> 24);
    for (int j = 0; j < 4; j++) {
      snprintf(bn[j], sizeof bn[j], "l%d.bn%d", i, j);
      mb_weight(&b, bn[j], (int64_t[]){CHANNELS}, 1, CHANNELS * 4);
    }
    snprintf(ins, sizeof ins, "%s|%s", x, w);
    mb_attr_ints(&b, mb_node(&b, "Conv", c, ins, c), "pads", 4, 1, 1, 1, 1);
    snprintf(ins, sizeof ins, "%s|%s|%s|%s|%s", c, bn[0], bn[1], bn[2], bn[3]);
    snprintf(bn[4], sizeof bn[4], "l%d.bn", i);
    mb_node(&b, "BatchNormalization", bn[4], ins, bn[4]);
    mb_node(&b, "Relu", y, bn[4], y);
    snprintf(x, sizeof x, "%s", y);
  }
  mb_output(&b, x);
  size_t len;
  uint8_t *buf = mb_pack(&b, &len);
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(buf, 1, len, f) == len;
  if (f)
    fclose(f);
  free(buf);
  mb_free(&b);
  if (!ok)
    fprintf(stderr, "bench: cannot write %s\n", path);
  return ok ? layers : -1;
}

/* Child: import and print "<seconds> <ops> <status>". */
static int import_child(const char *path) {
  ir_graph_t g;
  sched_diag_t diag;
  double t0 = now_s();
  int rc = ir_onnx_import(path, NULL, &g, &diag);
  double t = now_s() - t0;
  if (rc != SCHED_OK) {
    fprintf(stderr, "bench: %s\n", diag.msg);
    return 1;
  }
  printf("%.6f %d\n", t, g.n_ops);
  ir_graph_free(&g);
  return 0;
}

/* Runs this program with args; returns the child's peak RSS in KiB and its
 * first output line. */
static long run_child(const char *self, const char *mode, const char *path, char *line,
                      size_t size) {
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    execl(self, self, mode, path, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  ssize_t got = read(fds[0], line, size - 1);
  line[got > 0 ? got : 0] = '\0';
  close(fds[0]);
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return -1;
  return ru.ru_maxrss;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--import") == 0)
    return import_child(argv[2]);
  if (argc == 3 && strcmp(argv[1], "--noop") == 0)
    return 0;
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: bench_onnx_import [MB] [path]   (defaults: 100, /tmp/sched_bench.onnx)\n\n"
           "Writes an MB-sized ResNet-like ONNX model and times its import in a child\n"
           "process, with the child's peak memory.\n");
    return 0;
  }
  int mb = argc > 1 ? atoi(argv[1]) : 100;
  const char *path = argc > 2 ? argv[2] : "/tmp/sched_bench.onnx";
  int layers = write_model(path, mb > 0 ? mb : 100);
  if (layers < 0)
    return 1;
  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  double file_mb = (double)ftell(f) / (1 << 20);
  fclose(f);
  char line[256], dummy[8];
  long base_kb = run_child("/proc/self/exe", "--noop", path, dummy, sizeof dummy);
  long peak_kb = run_child("/proc/self/exe", "--import", path, line, sizeof line);
  double secs = 0;
  int ops = 0;
  if (peak_kb < 0 || sscanf(line, "%lf %d", &secs, &ops) != 2) {
    fprintf(stderr, "bench: the import failed\n");
    return 1;
  }
  double peak_mb = (double)peak_kb / 1024, base_mb = (double)base_kb / 1024;
  printf("model:        %s, %.1f MB, %d conv+bn+relu layers (%dx%dx3x3 fp32 weights)\n", path,
         file_mb, layers, CHANNELS, CHANNELS);
  printf("import time:  %.3f s  (target < 1 s)%s\n", secs, secs < 1 ? "" : "  MISSED");
  printf("peak memory:  %.1f MB resident = %.2fx the file  (target < 2x)%s\n", peak_mb,
         peak_mb / file_mb, peak_mb < 2 * file_mb ? "" : "  MISSED");
  printf("              (process baseline %.1f MB; IR: %d ops)\n", base_mb, ops);
  remove(path);
  return secs < 1 && peak_mb < 2 * file_mb ? 0 : 1;
}
