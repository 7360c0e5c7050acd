/* test_text_report.c - the text report as a terminal shows it: at most 160
 * columns by default, the plan model's and the schedule's columns under
 * captions naming their clock, the arch constants only with --verbose. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_stdout.h"

/* Runs sched with args; returns its stdout (caller frees). */

static int widest_line(const char *text) {
  int widest = 0;
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    int len = end ? (int)(end - line) : (int)strlen(line);
    widest = len > widest ? len : widest;
    line += len + (end != NULL);
  }
  return widest;
}

Test(text_report, fits_160_columns_by_default) {
  /* the default solver (the ILP's totals lines) on the smaller nets, dp's
   * plans (the same table) on the larger ones: the ILP on those takes 20 s
   * each under the sanitizers */
  const char *nets[] = {"fsrcnn", "mobilenetv2 --solver dp", "resnet50 --solver dp", "yolov3-tiny"};
  for (int i = 0; i < 4; i++) {
    char args[128];
    snprintf(args, sizeof args, "--net %s --cmx 2MB --no-timing", nets[i]);
    char *out = sched_stdout(args);
    cr_expect_leq(widest_line(out), 160, "%s: %d columns", nets[i], widest_line(out));
    cr_expect_null(strstr(out, "cost.conv_efficiency"), "constants only with --verbose");
    free(out);
  }
}

Test(text_report, groups_name_their_clock) {
  char *out = sched_stdout("--net fsrcnn --cmx 2MB --no-timing");
  const char *caption = strstr(out, "| plan model (us)");
  cr_assert_not_null(caption);
  cr_expect_not_null(strstr(caption, "| schedule (us, tasks)"));
  const char *head = strstr(out, "\nlayer ");
  cr_assert_not_null(head);
  cr_expect_not_null(strstr(head, " slices "), "slices, not tiles, count a layer's pieces");
  const char *head_end = strchr(head + 1, '\n');
  const char *tiles = strstr(head, "tiles");
  cr_expect(!tiles || tiles > head_end, "tiles are NCE clusters, not a layer column");
  /* fsrcnn's deconv: 1.3% of its clusters' peak and 74.5% of the layers' own time */
  const char *deconv = strstr(out, "\ndeconv ");
  cr_assert_not_null(deconv);
  cr_expect_not_null(strstr(deconv, "   1.3  74.5 compute |"), "%.160s", deconv);
  free(out);
}

Test(text_report, verbose_lists_the_constants_and_the_wide_columns) {
  char *out = sched_stdout("--net mobilenetv2 --cmx 2MB --no-timing --solver dp --verbose");
  cr_expect_not_null(strstr(out, "# constants in force:"));
  cr_expect_not_null(strstr(out, "cost.conv_efficiency"));
  cr_expect_not_null(strstr(out, " MACs "));
  cr_expect_not_null(strstr(out, " overlap "));
  cr_expect_not_null(strstr(out, "\nfeatures.1.dw       depthwise_conv  clamp "));
  free(out);
}
