/* test_hardening.c - hostile input through every reader and writer: no
 * crash, no hang, no lost or truncated result, one clear error line.
 * Each case builds its input here; commands run under `timeout` so a
 * regression to a hang fails instead of stalling the suite. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <glpk.h>

#include "common/common.h"
#include "ir/ir.h"

/* The helpers below hand out strings for the life of a test (each test is
 * a process of its own), so leaks from this file are not reported; the
 * sched processes the tests run keep leak detection. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:test_hardening.c\n"; }

typedef struct {
  int code;
  char *out;
  char *err;
} run_t;

static char *slurp(const char *path) {
  char *text = NULL;
  sched_diag_t diag;
  cr_assert_eq(sched_file_read(path, NULL, 1 << 26, &text, NULL, &diag), SCHED_OK, "%s", diag.msg);
  return text;
}

/* A scratch directory of its own per test. */
static char *scratch(void) {
  char *dir = strdup("/tmp/sched_hardenXXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  return dir;
}

static void put(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  cr_assert_eq(fclose(f), 0);
}

/* Writes text to DIR/name in a new scratch directory; returns the path. */
static char *put_new(const char *name, const char *text) {
  char *path = malloc(512);
  snprintf(path, 512, "%s/%s", scratch(), name);
  put(path, text);
  return path;
}

/* Runs `sched ARGS` (shell syntax) with a 20 s timeout (code 124 = hang)
 * after the shell command `prelude` (e.g. a ulimit), which may be "";
 * stdout goes to `out_to` when not NULL (e.g. /dev/full), else is kept. */
static run_t run_full(const char *prelude, const char *args, const char *out_to) {
  char out_path[] = "/tmp/sched_hard_outXXXXXX", err_path[] = "/tmp/sched_hard_errXXXXXX";
  int fo = mkstemp(out_path), fe = mkstemp(err_path);
  cr_assert(fo >= 0 && fe >= 0);
  close(fo);
  close(fe);
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "%s timeout 20 %s %s >%s 2>%s </dev/null", prelude, SCHED_BINARY, args,
           out_to ? out_to : out_path, err_path);
  int status = system(cmd);
  run_t r = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out_path), slurp(err_path)};
  remove(out_path);
  remove(err_path);
  return r;
}

static run_t run_after(const char *prelude, const char *args) {
  return run_full(prelude, args, NULL);
}

static run_t run(const char *args) { return run_after("", args); }

static run_t run_on(const char *fmt, const char *path) {
  char args[2048];
  snprintf(args, sizeof args, fmt, path);
  return run(args);
}

/* One `sched: error:` line mentioning `needle`, exit code `code`. */
static void expect_error(run_t r, int code, const char *needle) {
  cr_expect_eq(r.code, code, "exit %d (want %d), stderr: %s", r.code, code, r.err);
  cr_expect_eq(strncmp(r.err, "sched: error: ", 14), 0, "stderr: %s", r.err);
  char *nl = strchr(r.err, '\n');
  cr_expect(nl && nl[1] == '\0', "not one line: %s", r.err);
  cr_expect(strstr(r.err, needle), "'%s' not in: %s", needle, r.err);
  free(r.out);
  free(r.err);
}

/* ---- reading: regular files only, bounded ---- */

/* Every reader, given a FIFO with no writer, a device and a directory. */
static const char *const reader_args[] = {
    "--net %s.json",
    "--net %s.onnx",
    "--net fsrcnn --arch %s.json",
    "--net fsrcnn --cost lut:%s",
    "--net fsrcnn --strategy-file %s",
    "memalloc --capacity 100 --input %s",
    "sweep %s --list",
    "regress --golden %s",
    "plot lines %s --x a --y b --out /dev/null",
    "plot layers %s --out /dev/null",
    "lut --space %s",
    NULL,
};

static void readers_refuse(const char *path, const char *why) {
  for (int i = 0; reader_args[i]; i++) {
    char args[1024];
    snprintf(args, sizeof args, reader_args[i], path);
    run_t r = run(args);
    cr_expect_neq(r.code, 124, "hang: sched %s", args);
    expect_error(r, 2, why);
  }
}

/* base, base.json and base.onnx in a scratch directory, each made by make. */
static char *three_names(int (*make)(const char *path)) {
  char *dir = scratch(), *base = malloc(300), path[320];
  snprintf(base, 300, "%s/input", dir);
  const char *ext[] = {"", ".json", ".onnx"};
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s%s", base, ext[i]);
    cr_assert_eq(make(path), 0, "%s", path);
  }
  return base;
}

static int make_fifo(const char *path) { return mkfifo(path, 0600); }
static int make_dir(const char *path) { return mkdir(path, 0700); }
static int make_device(const char *path) { return symlink("/dev/zero", path); }

Test(read, fifo_is_refused_without_blocking) {
  readers_refuse(three_names(make_fifo), "not a regular file");
}

Test(read, device_is_refused) { readers_refuse(three_names(make_device), "not a regular file"); }

Test(read, directory_is_named_as_such) { readers_refuse(three_names(make_dir), "is a directory"); }

Test(read, size_cap_is_an_error_not_a_truncation) {
  char *dir = scratch(), path[256];
  snprintf(path, sizeof path, "%s/big", dir);
  FILE *f = fopen(path, "w");
  for (int i = 0; i < 100; i++)
    fputs("0123456789", f);
  fclose(f);
  char *text = NULL;
  sched_diag_t diag;
  cr_expect_eq(sched_file_read(path, "test file", 999, &text, NULL, &diag), SCHED_ERR_INPUT);
  cr_expect(strstr(diag.msg, "test file") && strstr(diag.msg, "limit"), "%s", diag.msg);
  size_t len = 0;
  cr_assert_eq(sched_file_read(path, "test file", 1000, &text, &len, &diag), SCHED_OK);
  cr_expect_eq(len, 1000);
  free(text);
}

/* ---- sweep files: expansion that cannot overflow, loop or explode ---- */

Test(sweep, variable_used_many_times_expands_in_full) {
  char *path = put_new("s.json", "{\"vars\": {\"v\": [\"abcdefghijklmnopqrstuvwxyz\"]},"
                                 " \"nets\": [\"{v}{v}{v}{v}{v}{v}{v}{v}{v}{v}{v}{v}\"]}");
  run_t r = run_on("sweep %s --list", path);
  cr_expect_eq(r.code, 0, "%s", r.err);
  char want[400] = "--net ";
  for (int i = 0; i < 12; i++)
    strcat(want, "abcdefghijklmnopqrstuvwxyz");
  cr_expect(strstr(r.out, want), "%s", r.out);
}

Test(sweep, empty_arch_and_solver_are_the_defaults) {
  char *path = put_new("s.json", "{\"nets\": [\"conv\"], \"archs\": [\"\"], \"solvers\": [\"\"]}");
  run_t r = run_on("sweep %s --list", path);
  cr_expect_eq(r.code, 0, "%s", r.err);
  cr_expect(strstr(r.out, "--arch vpu27") && strstr(r.out, "--solver greedy"), "%s", r.out);
}

Test(sweep, ranges_that_cannot_advance_are_errors) {
  const char *ranges[] = {
      "{\"from\": 5, \"to\": 1}",                                   /* from > to */
      "{\"from\": 1e17, \"to\": 1.00000000000001e17, \"step\": 1}", /* x + 1 == x */
      "{\"from\": 0, \"to\": 1, \"step\": 1e-300}",                 /* too many values */
      "{\"from\": 0, \"to\": 1e999}",                               /* infinite */
      "{\"from\": -1e999, \"to\": 1e999}",                          /* inf - inf */
  };
  for (int i = 0; i < 5; i++) {
    char text[256];
    snprintf(text, sizeof text, "{\"vars\": {\"x\": %s}, \"nets\": [\"conv:c={x}\"]}", ranges[i]);
    expect_error(run_on("sweep %s --list", put_new("s.json", text)), 2, "key 'x' must be");
  }
}

Test(sweep, point_count_is_capped_before_expanding) {
  char text[8192] = "{\"vars\": {";
  for (int v = 0; v < 8; v++) {
    char var[64];
    snprintf(var, sizeof var, "%s\"v%d\": {\"from\": 1, \"to\": 256}", v ? ", " : "", v);
    strcat(text, var);
  }
  strcat(text, "}, \"nets\": [\"{v0}{v1}{v2}{v3}{v4}{v5}{v6}{v7}\"]}");
  expect_error(run_on("sweep %s --list", put_new("s.json", text)), 2, "more than 100000 points");
}

/* ---- JSON readers: text after the value is an error ---- */

Test(json, text_after_the_value_is_an_error) {
  const char *cases[][2] = {
      {"sweep %s --list", "{\"nets\": [\"conv\"]} trailing"},
      {"--net conv --strategy-file %s", "{\"layers\": []} {}"},
      {"--net %s", "{\"name\": \"n\", \"inputs\": [], \"ops\": []} x"},
      {"lut --space %s", "{} ]"},
      {"regress --golden %s", "{\"points\": []} 1"},
      {"--net conv --arch %s", "{} {}"},
  };
  for (int i = 0; i < SCHED_ARRAY_LEN(cases); i++) {
    run_t r = run_on(cases[i][0], put_new("in.json", cases[i][1]));
    expect_error(r, 2, "text after the JSON value");
  }
}

/* ---- the memalloc CSV: status and line are never confused ---- */

/* The CSV module (libcsv) reads lines of any length: a field too long for
 * its number is named, with its line. */
Test(memalloc_csv, long_line_is_named_as_such) {
  char text[6000] = "id,lower,upper,size\n1,0,1,";
  memset(text + strlen(text), '1', 5000);
  strcat(text, "\n");
  run_t r = run_on("memalloc --capacity 100 --input %s", put_new("m.csv", text));
  expect_error(r, 2, ":2: size is out of range");
}

Test(memalloc_csv, field_count_is_the_real_one) {
  char *path = put_new("m.csv", "id,lower,upper,size\n1,2,3,4,5,6,7,8,9,10\n");
  expect_error(run_on("memalloc --capacity 100 --input %s", path), 2,
               ":2: expected 4 fields, got 10");
}

Test(memalloc_csv, header_only_is_an_empty_problem) {
  run_t r = run_on("memalloc --capacity 100 --input %s", put_new("m.csv", "id,lower,upper,size\n"));
  cr_expect_eq(r.code, 0, "%s", r.err);
  cr_expect(strstr(r.out, "buffers:     0"), "%s", r.out);
}

/* ---- sweep: finished points survive a signal; children die with it ---- */

static int count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  int n = 0;
  for (int c; f && (c = fgetc(f)) != EOF;)
    n += c == '\n';
  if (f)
    fclose(f);
  return n;
}

/* Dead or a zombie waiting for init. */
static bool process_gone(int pid) {
  char path[64], state = 'Z';
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return true;
  cr_assert_eq(fscanf(f, "%*d %*s %c", &state), 1);
  fclose(f);
  return state == 'Z';
}

/* A stand-in for sched: logs its net, reports at once, or (net slow*, unless
 * FAST is set) records its pid and sleeps. */
static const char fake_sched[] = "#!/bin/sh\n"
                                 "dir=$(dirname \"$0\")\n"
                                 "echo \"$2\" >> \"$dir/calls\"\n"
                                 "case \"$2$FAST\" in\n"
                                 "slow?) echo $$ >> \"$dir/pids\"; sleep 60 ;;\n"
                                 "*) echo '{\"totals\": {\"latency_us\": 1}, \"layers\": []}' ;;\n"
                                 "esac\n";

Test(sweep, signal_keeps_finished_points_kills_children_and_resumes) {
  char *dir = scratch(), path[512], args[2048];
  snprintf(path, sizeof path, "%s/fake", dir);
  put(path, fake_sched);
  cr_assert_eq(chmod(path, 0700), 0);
  snprintf(path, sizeof path, "%s/s.json", dir);
  put(path, "{\"name\": \"../escaped\", \"nets\": [\"a\", \"b\", \"slow1\", \"slow2\", \"c\"]}");
  char file[512], fake[512], out[512];
  snprintf(file, sizeof file, "%s/s.json", dir);
  snprintf(fake, sizeof fake, "%s/fake", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  pid_t pid = fork();
  if (pid == 0) {
    execl(SCHED_BINARY, "sched", "sweep", file, "--sched", fake, "--out", out, "-j", "4", "--quiet",
          (char *)NULL);
    _exit(127);
  }
  char journal[512], pids[512];
  snprintf(journal, sizeof journal, "%s/out/_._escaped.journal", dir);
  snprintf(pids, sizeof pids, "%s/pids", dir);
  for (int i = 0; i < 400 && (count_lines(journal) < 3 || count_lines(pids) < 2); i++)
    nanosleep(&(struct timespec){0, 50000000}, NULL);
  cr_assert_eq(count_lines(journal), 3, "the finished points are journalled as they finish");
  kill(pid, SIGTERM);
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
  FILE *f = fopen(pids, "r");
  for (int child; fscanf(f, "%d", &child) == 1;)
    cr_expect(process_gone(child), "child %d still runs", child);
  fclose(f);
  snprintf(path, sizeof path, "%s/out/_._escaped.csv", dir);
  char *csv = slurp(path);
  cr_expect(strstr(csv, "\n2,slow1,,vpu27,,greedy,,failed,") && strstr(csv, "interrupted"), "%s",
            csv);
  cr_expect(strstr(csv, "\n4,c,,vpu27,,greedy,,ok,"), "%s", csv);
  snprintf(path, sizeof path, "%s/escaped.csv", dir);
  cr_expect_neq(access(path, F_OK), 0, "the name left --out");
  /* Run again: only the interrupted points run; the journal goes away. */
  snprintf(path, sizeof path, "%s/calls", dir);
  remove(path);
  snprintf(args, sizeof args, "sweep %s/s.json --sched %s/fake --out %s/out -j 4 --quiet", dir, dir,
           dir);
  setenv("FAST", "1", 1);
  run_t r = run(args);
  unsetenv("FAST");
  cr_expect_eq(r.code, 0, "%s", r.err);
  char *calls = slurp(path); /* in either order: -j 4 */
  cr_expect(strcmp(calls, "slow1\nslow2\n") == 0 || strcmp(calls, "slow2\nslow1\n") == 0, "%s",
            calls);
  cr_expect_neq(access(journal, F_OK), 0, "journal kept after a complete run");
}

/* ---- writing: complete or an error, never a silent truncation ---- */

Test(write, stdout_write_error_is_an_error_for_every_subcommand) {
  const char *cmds[] = {"--net conv", "--list-nets",
                        "cost --op conv --in 16x8x8 --out 16x8x8 --kernel 3 --pad 1",
                        "memalloc --capacity 1KB --input tests/data/memalloc/small.csv", "--help"};
  for (int i = 0; i < SCHED_ARRAY_LEN(cmds); i++) {
    expect_error(run_full("", cmds[i], "/dev/full"), 1, "writing standard output");
  }
}

Test(write, output_files_to_a_full_device_are_errors) {
  const char *opts[] = {"--lp", "--dump-plan", "--dump-ir", "--trace", "--svg"};
  for (int i = 0; i < SCHED_ARRAY_LEN(opts); i++) {
    char args[256];
    snprintf(args, sizeof args, "--net conv --solver ilp %s /dev/full", opts[i]);
    expect_error(run(args), 2, "/dev/full: cannot write: No space left on device");
  }
}

/* A file size limit (ulimit -f, in 512-byte blocks here) stands in for a
 * full disk: the old result stays whole, no temporary file is left. */
Test(write, full_disk_keeps_the_previous_result) {
  char *dir = scratch(), path[512], args[1024];
  snprintf(path, sizeof path, "%s/plan.json", dir);
  put(path, "previous");
  snprintf(args, sizeof args, "--net fsrcnn --solver greedy --dump-plan %s >/dev/null", path);
  run_t r = run_after("trap '' XFSZ; ulimit -f 1;", args);
  expect_error(r, 2, "cannot write: File too large");
  cr_expect_str_eq(slurp(path), "previous");
  char ls[1100];
  snprintf(ls, sizeof ls, "test $(ls %s | wc -l) = 1", dir);
  cr_expect_eq(system(ls), 0, "a temporary file was left in %s", dir);
}

/* ---- GLPK: its failures are errors, what it is handed is what it takes ---- */

static int bad_glpk_name(void *ctx) {
  glp_prob *lp = glp_create_prob();
  *(glp_prob **)ctx = lp;
  glp_set_prob_name(lp, "line\nbreak"); /* GLPK would abort here */
  return SCHED_OK;
}

Test(glpk, failure_comes_back_as_an_error) {
  glp_prob *lp = NULL;
  bool failed;
  sched_diag_t diag;
  cr_expect_eq(sched_glpk_call(bad_glpk_name, &lp, "test", &failed, &diag), SCHED_ERR_INTERNAL);
  cr_expect(failed);
  cr_expect_str_eq(diag.msg, "test: GLPK failed on the model");
  char name[SCHED_GLPK_NAME_MAX + 1];
  sched_glpk_name("a\nb\x7f", name);
  cr_expect_str_eq(name, "a_b_");
}

/* A JSON IR net of one 3x3 conv with these names (JSON string bodies). */
static char *one_conv_net(const char *net, const char *input, const char *conv) {
  char text[1024];
  snprintf(text, sizeof text,
           "{\"format\": \"sched-ir\", \"version\": 1, \"name\": \"%s\", \"inputs\": [{\"name\": "
           "\"%s\", \"shape\": [1, 8, 8, 8], \"dtype\": \"u8\"}], \"ops\": [{\"name\": \"%s\", "
           "\"kind\": \"conv\", \"inputs\": [\"%s\"], \"shape\": [1, 8, 8, 8], \"kernel\": [3, "
           "3], \"pads\": [1, 1, 1, 1], \"out_channels\": 8}], \"outputs\": [\"%s\"]}",
           net, input, conv, input, conv);
  return put_new("n.json", text);
}

Test(glpk, net_name_with_a_newline_plans_with_ilp) {
  char *path = one_conv_net("two\\nlines", "x", "c");
  run_t r = run_on("--net %s --solver ilp", path);
  cr_expect_eq(r.code, 0, "%s", r.err);
}

/* ---- memalloc ilp: valid layouts, a buffer as large as the capacity ---- */

Test(memalloc_ilp, three_buffers_do_not_overlap) {
  /* GLPK's integrality tolerance times the big-M once overlapped 1 and 2 */
  char *path = put_new("m.csv", "id,lower,upper,size\n1,0,3,1000\n2,1,3,1\n3,3,6,1048576\n");
  run_t r = run_on("memalloc --allocator ilp --capacity 1049577 --no-time --input %s", path);
  cr_expect_eq(r.code, 0, "%s", r.err);
  cr_expect(strstr(r.out, "peak:        1048576 bytes"), "%s", r.out);
}

Test(memalloc_ilp, buffer_of_exactly_the_capacity_fits) {
  char *path = put_new("m.csv", "id,lower,upper,size\n1,0,2,100\n2,2,3,40\n");
  run_t r = run_on("memalloc --allocator ilp --capacity 100 --no-time --input %s", path);
  cr_expect_eq(r.code, 0, "%s", r.err);
  cr_expect(strstr(r.out, "peak:        100 bytes"), "%s", r.out);
}

Test(memalloc_ilp, sizes_beyond_exact_range_are_refused) {
  char *path = put_new("m.csv", "id,lower,upper,size\n1,0,2,34359738368\n2,0,1,1\n");
  run_t r = run_on("memalloc --allocator ilp --capacity 64GB --input %s", path);
  expect_error(r, 2, "beyond GLPK's exact range");
}

/* ---- numeric options: finite, in range, the whole text ---- */

Test(options, non_finite_and_malformed_numbers_are_refused) {
  const char *cases[][2] = {
      {"--net conv --time-limit nan", "--time-limit: expected a number in"},
      {"--net conv --time-limit inf", "--time-limit: expected a number in"},
      {"--net conv --alloc-time-limit 1e999", "--alloc-time-limit: expected a number in"},
      {"--net conv --cmx 1e30", "exponent notation is not taken"},
      {"sweep x.json -j 3x", "-j: expected an integer in [1, 1024]"},
      {"sweep x.json --timeout nan", "--timeout: expected a number in"},
      {"regress -j 0", "-j: expected an integer in [1, 1024]"},
      {"regress --timeout -inf", "--timeout: expected a number in"},
      {"plot lines a.csv --xscale nan --x a --y b --out a.png",
       "plot: --xscale: expected a number"},
      {"lut --space x.json --time-limit nan", "lut: --time-limit: expected a number in"},
      {"advise --net conv --time-limit nan", "advise: --time-limit: expected a number in"},
      {"lut --space x.json --samples 2x", "lut: --samples: expected an integer in [0, 100000]"},
      {"cost --op conv --in 8x8x8 --out 8x8x8 --output-write-tiles 0",
       "cost: --output-write-tiles: expected an integer in [1, 1000000], got '0'"},
      {"memalloc --input a.csv --capacity 1KB --time-limit inf",
       "memalloc: --time-limit: expected a number in [0.001, 1000000], got 'inf'"},
      {"memalloc --input a.csv --capacity 1KB --node-limit -1",
       "memalloc: --node-limit: expected an integer in [0, 1e+15], got '-1'"},
  };
  for (int i = 0; i < SCHED_ARRAY_LEN(cases); i++)
    expect_error(run(cases[i][0]), 2, cases[i][1]);
}

/* Every subcommand parses from its option table: --opt=value and `--`
 * work, a misspelt option gets the table's suggestion, its help lists it. */
Test(options, every_subcommand_takes_the_table_conventions) {
  const char *ok[] = {
      "check --net=conv:c=16,k=16,h=32,w=32 --arch=cv25",
      "cost --op=conv --in=16x8x8 --out=16x8x8 --kernel=3 --pad=1",
      "memalloc --input=tests/data/memalloc/small.csv --capacity=1KB --no-time",
  };
  for (int i = 0; i < SCHED_ARRAY_LEN(ok); i++) {
    run_t r = run(ok[i]);
    cr_expect_eq(r.code, 0, "%s: %s", ok[i], r.err);
    free(r.out);
    free(r.err);
  }
  const char *bad[][2] = {
      {"check --nett conv", "check: unknown option '--nett' (did you mean '--net'?)"},
      {"cost --kernal 3", "cost: unknown option '--kernal' (did you mean '--kernel'?)"},
      {"memalloc --no-restart", "memalloc: unknown option '--no-restart' (did you mean"},
      {"advise --solvr dp", "advise: unknown option '--solvr' (did you mean '--solver'?)"},
      {"lut --spcae x.json", "lut: unknown option '--spcae' (did you mean '--space'?)"},
      {"plot lines a.csv --wher a=1", "plot: unknown option '--wher' (did you mean '--where'?)"},
      {"plot lines a.csv b.csv", "plot: unexpected argument 'b.csv' (after KIND FILE)"},
      {"plot lines a.csv --x a --y b --out p.png --where a=1 --where a=1 --where a=1 --where a=1 "
       "--where a=1 --where a=1 --where a=1 --where a=1 --where a=2",
       "plot: --where: at most 8, got 'a=2' as one more"},
      {"lut -- --space", "lut: unexpected argument '--space'"},
  };
  for (int i = 0; i < SCHED_ARRAY_LEN(bad); i++)
    expect_error(run(bad[i][0]), 2, bad[i][1]);
  const char *help[][2] = {{"check", "--format text|json"},
                           {"cost", "--output-write-tiles N"},
                           {"memalloc", "--no-warm-start"},
                           {"advise", "--time-limit SEC"},
                           {"lut", "--stack N"},
                           {"plot", "--where COL=VALUE"}};
  for (int i = 0; i < SCHED_ARRAY_LEN(help); i++) {
    char args[64];
    snprintf(args, sizeof args, "%s --help", help[i][0]);
    run_t r = run(args);
    cr_expect_eq(r.code, 0, "%s", args);
    cr_expect(strstr(r.out, help[i][1]) != NULL, "%s lacks %s", args, help[i][1]);
    free(r.out);
    free(r.err);
  }
}

/* ---- strategy files: replayed plans stay in range, tiles are whole ---- */

Test(strategy_file, anneal_plan_replays_with_every_solver) {
  char *dir = scratch(), args[1024];
  snprintf(args, sizeof args, "--net fsrcnn --cmx 1MB --solver anneal --dump-plan %s/a.json", dir);
  run_t r = run(args);
  cr_assert_eq(r.code, 0, "%s", r.err);
  const char *solvers[] = {"greedy", "rollback", "dp"};
  for (int i = 0; i < 3; i++) {
    snprintf(args, sizeof args, "--net fsrcnn --cmx 1MB --solver %s --strategy-file %s/a.json",
             solvers[i], dir);
    r = run(args);
    cr_expect_eq(r.code, 0, "%s: %s", solvers[i], r.err);
  }
}

/* A count the budget does not offer is added where it fits (SOH x7 is
 * neither the fewest slices nor on the pipelined ladder); one that cannot
 * be (more slices than the 56 rows) stays an error. */
Test(strategy_file, a_slicing_that_fits_is_added_and_one_that_cannot_is_an_error) {
  char *path = put_new("seven.json", "{\"layers\": [{\"name\": \"conv\", \"strategy\": \"SOH\", "
                                     "\"tiles\": 7}]}");
  run_t r = run_on("--net conv --cmx 1MB --no-timing --strategy-file %s", path);
  cr_expect_eq(r.code, 0, "%s", r.err);
  cr_expect_not_null(strstr(r.out, "\nconv  conv            64x56x56    dpu    SOH        7-"),
                     "%s", r.out);
  free(r.out);
  free(r.err);
  path = put_new("many.json", "{\"layers\": [{\"name\": \"conv\", \"strategy\": \"SOH\", "
                              "\"tiles\": 57}]}");
  expect_error(run_on("--net conv --cmx 1MB --strategy-file %s", path), 2,
               "layer 'conv': no candidate SOH with those tiles matches");
}

Test(strategy_file, fractional_tiles_are_an_error) {
  char *path = put_new("p.json", "{\"layers\": [{\"name\": \"conv\", \"strategy\": \"SOK\", "
                                 "\"tiles\": 2.9}]}");
  expect_error(run_on("--net conv --strategy-file %s", path), 2,
               "\"tiles\" must be a whole number >= 1, got 2.9");
}

/* ---- size arithmetic: overflow is an input error, never a wrap ---- */

Test(checked, counts_that_pass_int64_name_the_layer) {
  expect_error(run("--net conv:c=16384,k=16384,h=16384,w=16384,kh=64,dtype=fp16 --solver greedy"),
               2, "op 'conv': the MAC count does not fit in 64 bits");
}

Test(checked, helpers_refuse_what_does_not_fit) {
  int64_t v = 7;
  cr_expect(!sched_mul_i64(INT64_C(1) << 32, INT64_C(1) << 31, &v));
  cr_expect(!sched_add_i64(INT64_MAX, 1, &v));
  cr_expect_eq(v, 7, "untouched on overflow");
  cr_expect(sched_mul_i64(INT64_C(1) << 31, INT64_C(1) << 31, &v));
  cr_expect_eq(v, INT64_C(1) << 62);
  cr_expect(!sched_double_to_i64(9223372036854775808.0, &v));
  cr_expect(!sched_double_to_i64(NAN, &v));
  cr_expect_eq(sched_cycles_ceil(1e300), SCHED_MAX_CYCLES);
  cr_expect_eq(sched_cycles_ceil(NAN), 0);
  cr_expect_eq(sched_cycles_ceil(2.1), 3);
}

/* ---- no quadratic path: the consumer index agrees with the per-tensor scan ---- */

Test(quadratic, consumer_index_matches_the_scan) {
  ir_graph_t g;
  sched_diag_t diag;
  cr_assert_eq(ir_graph_load("resnet18", NULL, &g, &diag), SCHED_OK, "%s", diag.msg);
  ir_consumers_t idx;
  ir_consumers_build(&g, &idx);
  int scan[64];
  for (int t = 0; t < g.n_tensors; t++) {
    int n = ir_tensor_consumers(&g, t, scan, 64);
    cr_assert_eq(idx.start[t + 1] - idx.start[t], n, "tensor %d", t);
    for (int i = 0; i < n; i++)
      cr_expect_eq(idx.ops[idx.start[t] + i], scan[i], "tensor %d consumer %d", t, i);
  }
  ir_consumers_free(&idx);
  ir_graph_free(&g);
}

/* ---- many slices: linear lowering, barriers that plan ---- */

/* A JSON IR net of one input x (shape in) and the ops given. */
static char *ir_net(const char *in, const char *ops, const char *outputs) {
  char *text = malloc(4096);
  snprintf(text, 4096,
           "{\"format\": \"sched-ir\", \"version\": 1, \"name\": \"big\", \"inputs\": [{\"name\": "
           "\"x\", \"shape\": %s, \"dtype\": \"u8\"}], \"ops\": [%s], \"outputs\": [%s]}",
           in, ops, outputs);
  return put_new("n.json", text);
}

/* Plans the net at path: more than min_tasks tasks (the case of many
 * slices) and at most per_task dependencies per task ("schedule: N tasks"
 * and the barrier line's "dependencies D"); returns the report. */
static char *expect_linear(const char *path, int min_tasks, int per_task) {
  run_t r = run_on("--net %s --solver greedy", path);
  cr_assert_eq(r.code, 0, "%s", r.err);
  const char *s = strstr(r.out, "\nschedule: "), *b = strstr(r.out, "; dependencies ");
  int tasks, deps;
  cr_assert(s && sscanf(s, "\nschedule: %d tasks", &tasks) == 1, "%s", r.out);
  cr_assert(b && sscanf(b, "; dependencies %d", &deps) == 1, "%s", r.out);
  cr_expect_gt(tasks, min_tasks, "the case of many slices");
  cr_expect_leq(deps, per_task * tasks, "%d dependencies for %d tasks", deps, tasks);
  return r.out;
}

/* 16M outputs sliced over K: one weight DMA per slice, each slice's compute
 * waits for its own (once a scan over all of them per slice: quadratic). */
Test(quadratic, fully_connected_with_16m_outputs_plans) {
  char *path = ir_net("[1, 4096, 1, 1]",
                      "{\"name\": \"fc\", \"kind\": \"fully_connected\", \"inputs\": [\"x\"], "
                      "\"shape\": [1, 16777216, 1, 1], \"out_channels\": 16777216}",
                      "\"fc\"");
  char *report = expect_linear(path, 50000, 3);
  cr_expect(strstr(report, " SOK "), "%s", report);
}

/* A free op's slices stream through one buffer: its output DMAs chain, so
 * a sliced consumer waits for the last two, not for every one (27
 * dependencies per task before, quadratic in the slices). */
Test(quadratic, sliced_free_op_feeding_sliced_layer_has_linear_dependencies) {
  char *path = ir_net("[1, 3, 8192, 8192]",
                      "{\"name\": \"r\", \"kind\": \"relu\", \"inputs\": [\"x\"], \"shape\": [1, "
                      "3, 8192, 8192]}, {\"name\": \"s\", \"kind\": \"sigmoid\", \"inputs\": "
                      "[\"r\"], \"shape\": [1, 3, 8192, 8192]}",
                      "\"s\"");
  expect_linear(path, 2000, 4);
}

/* A fused ReLU alone is a free op: 8192 pipelined slices of load then
 * store (the fewest a 256KB budget fits, offered at every larger one; the
 * 2731 isolated slices of the full budget are 1.4% slower). Each slice's
 * buffer is reused once the store has read it, so the loads no longer run
 * ahead with every slice live: the DMAs follow each other in FIFO order
 * and need no barrier (before: 64 ids short after 1000 rounds). */
Test(barriers, relu_on_3x32768x32768_plans) {
  char *path = ir_net("[1, 3, 32768, 32768]",
                      "{\"name\": \"r\", \"kind\": \"relu\", \"inputs\": [\"x\"], \"shape\": [1, "
                      "3, 32768, 32768]}",
                      "\"r\"");
  run_t r = run_on("--net %s --solver greedy", path);
  cr_assert_eq(r.code, 0, "%s", r.err);
  cr_expect(strstr(r.out, "\nschedule: 16384 tasks"), "%s", r.out);
  cr_expect(strstr(r.out, "\nbarriers: 0 virtual, 0 of 64 physical ids used, peak 0 live"), "%s",
            r.out);
}

/* ---- counts capped with an error naming count and limit ---- */

Test(space, block_and_candidate_counts_are_capped) {
  const char *head = "{\"name\": \"s\", \"input\": {\"channels\": 3, \"height\": 32, \"width\": "
                     "32}, \"candidates\": [";
  char text[1024];
  snprintf(text, sizeof text,
           "%s{\"type\": \"skip\"}], \"stages\": [{\"channels\": 16, "
           "\"blocks\": 1000000}]}",
           head);
  expect_error(run_on("lut --space %s", put_new("s.json", text)), 2,
               "s.json: positions (blocks, stem and head ops): 1000000 in all, more than the "
               "limit of 256");
  snprintf(text, sizeof text,
           "%s{\"type\": \"skip\"}], \"stages\": [{\"channels\": 16, "
           "\"blocks\": 200}, {\"channels\": 16, \"blocks\": 57}]}",
           head);
  expect_error(run_on("lut --space %s", put_new("s.json", text)), 2,
               "257 in all, more than the limit of 256");
  snprintf(text, sizeof text,
           "%s{\"type\": \"mbconv\", \"kernel\": [1, 3, 5, 7, 9, 11, 13, 15, "
           "17], \"expand\": [1, 2, 3, 4, 5, 6, 7, 8]}], \"stages\": [{\"channels\": 16}]}",
           head);
  expect_error(run_on("lut --space %s", put_new("s.json", text)), 2,
               "candidates: 72 in all, more than the limit of 64");
}

/* ---- memalloc: the time limit holds for every allocator ---- */

/* 50000 buffers all live at once, each 64 bytes aligned to 128, so every
 * layout leaves a hole per buffer that no buffer fits: placement is
 * quadratic (1.25e9 pairs, and 50000 holes for greedy-size's occupancy
 * tree to pass), far beyond 0.2 s on any machine, so every allocator must
 * stop at the limit. */
Test(memalloc, time_limit_stops_every_allocator_on_a_dense_instance) {
  int n = 50000;
  char *csv = malloc((size_t)n * 32 + 64), *p = csv;
  p += sprintf(p, "id,lower,upper,size,alignment\n");
  for (int i = 0; i < n; i++)
    p += sprintf(p, "%d,0,10,64,128\n", i);
  char *path = put_new("m.csv", csv);
  const char *why[] = {"linear: time limit reached without a layout (50000 buffers)",
                       "greedy-size: time limit reached without a layout (50000 buffers)",
                       "search: time limit of 0.2 s reached without a layout"};
  const char *allocators[] = {"linear", "greedy-size", "search"};
  for (int i = 0; i < 3; i++) {
    char args[1024];
    snprintf(args, sizeof args,
             "memalloc --capacity 1GB --time-limit 0.2 --allocator %s --input %s", allocators[i],
             path);
    run_t r = run(args);
    cr_expect_eq(r.code, 1, "%s: exit %d, %s", allocators[i], r.code, r.err);
    cr_expect(strstr(r.out, "result:      stopped by the time or node limit without a layout"),
              "%s: %s", allocators[i], r.out);
    cr_expect(strstr(r.out, why[i]), "%s: %s", allocators[i], r.out);
  }
}

/* ---- names that are not UTF-8: the JSON stays valid ---- */

Test(utf8, bad_bytes_become_replacement_characters) {
  const char *cases[][2] = {
      {"plain", "plain"},
      {"caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80"}, /* valid: kept */
      {"a\xff"
       "b",
       "a\xef\xbf\xbd"
       "b"},                                                                    /* never in UTF-8 */
      {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                                 /* overlong '/' */
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},                 /* a surrogate */
      {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* > U+10FFFF */
      {"end\xe2\x82", "end\xef\xbf\xbd\xef\xbf\xbd"},                           /* cut short */
  };
  for (int i = 0; i < SCHED_ARRAY_LEN(cases); i++) {
    char *got = sched_utf8_repair(cases[i][0]);
    cr_expect_str_eq(got, cases[i][1], "case %d", i);
    free(got);
  }
}

Test(utf8, names_that_are_not_utf8_give_a_valid_json_report) {
  char *path = one_conv_net("net\xff", "x\xe9", "c\xed\xa0\x80");
  run_t r = run_on("--net %s --solver greedy --format json", path);
  cr_assert_eq(r.code, 0, "%s", r.err);
  char *valid = sched_utf8_repair(r.out);
  cr_expect_str_eq(valid, r.out, "the report is UTF-8 as printed");
  free(valid);
  cJSON *root = cJSON_Parse(r.out);
  cr_assert_not_null(root, "%s", r.out);
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
  cr_assert_eq(cJSON_GetArraySize(layers), 1);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(layers->child, "name");
  cr_expect_str_eq(cJSON_GetStringValue(name), "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  cJSON_Delete(root);
}
