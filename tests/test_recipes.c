/* test_recipes.c - the README's recipes for sweeps past one machine, run as
 * written: the GNU parallel line (on the local host instead of host1,host2)
 * and the Slurm array (its tasks simulated by setting SLURM_ARRAY_TASK_ID),
 * each followed by --collect, which must find every point ok. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* The README's shell block that contains needle, lines joined (the
 * backslash continuations kept); caller frees. */
static char *readme_block(const char *needle) {
  FILE *f = fopen(SCHED_SOURCE_DIR "/README.md", "r");
  cr_assert(f);
  char line[1024], *block = calloc(1, 1 << 14);
  bool in = false;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "```", 3) == 0) {
      if (in && strstr(block, needle))
        break;
      in = strncmp(line, "```sh", 5) == 0;
      block[0] = '\0';
      continue;
    }
    if (in)
      strcat(block, line);
  }
  fclose(f);
  cr_assert_not_null(strstr(block, needle), "README has no block with '%s'", needle);
  return block;
}

/* Runs script in dir with sched on PATH; output in dir/log. */
static int sh(const char *dir, const char *script) {
  char path[256], cmd[512];
  snprintf(path, sizeof path, "%s/recipe.sh", dir);
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fprintf(f, "set -e\ncd %s\nexport PATH=%s/bin:$PATH\n%s", dir, dir, script);
  fclose(f);
  snprintf(cmd, sizeof cmd, "bash %s >%s/log 2>&1", path, dir);
  int status = system(cmd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A two-by-two sweep named demo.json and sched on PATH, as the README
 * assumes. */
static void setup_dir(const char *dir) {
  char cmd[512], path[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/bin && ln -s %s %s/bin/sched", dir, dir,
           SCHED_BINARY, dir);
  cr_assert_eq(system(cmd), 0);
  snprintf(path, sizeof path, "%s/demo.json", dir);
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fputs("{\"name\": \"demo\", \"nets\": [\"conv:c=16,k=16,h=8,w=8\"], \"archs\": [\"vpu27\"],"
        " \"cmx\": [\"1MB\", \"2MB\"], \"solvers\": [\"greedy\", \"dp\"]}\n",
        f);
  fclose(f);
}

static void expect_collected_ok(const char *dir) {
  cr_assert_eq(sh(dir, "sched sweep demo.json --collect out --out results/ --quiet\n"), 0);
  char path[256];
  snprintf(path, sizeof path, "%s/results/demo.csv", dir);
  FILE *f = fopen(path, "r");
  cr_assert(f);
  char line[4096];
  int rows = 0, ok = 0;
  while (fgets(line, sizeof line, f))
    if (rows++ > 0)
      ok += strstr(line, ",ok,") != NULL;
  fclose(f);
  cr_expect_eq(rows, 5, "header and four points");
  cr_expect_eq(ok, 4, "every point ok");
}

Test(recipes, gnu_parallel_as_in_the_readme) {
  const char *dir = "/tmp/sched_recipe_parallel";
  setup_dir(dir);
  char *block = readme_block("parallel --sshlogin");
  char *host = strstr(block, "8/host1,8/host2");
  cr_assert_not_null(host);
  memcpy(host, ":              ", strlen("8/host1,8/host2")); /* ':' is the local host */
  char *collect = strstr(block, "sched sweep demo.json --collect");
  cr_assert_not_null(collect);
  *collect = '\0'; /* run up to the collect line, which expect_collected_ok runs */
  cr_assert_eq(sh(dir, block), 0, "the parallel recipe failed (see %s/log)", dir);
  expect_collected_ok(dir);
  free(block);
}

Test(recipes, slurm_array_as_in_the_readme) {
  const char *dir = "/tmp/sched_recipe_slurm";
  setup_dir(dir);
  char *block = readme_block("sbatch --array");
  /* the first line sets n; the --wrap command is what each array task runs */
  char *wrap = strchr(strstr(block, "--wrap"), '\'');
  cr_assert_not_null(wrap);
  char *wrap_end = strchr(wrap + 1, '\'');
  *wrap_end = '\0';
  char *first_nl = strchr(block, '\n');
  *first_nl = '\0';
  char script[8192];
  snprintf(script, sizeof script,
           "%s\nfor SLURM_ARRAY_TASK_ID in $(seq 1 $n); do export SLURM_ARRAY_TASK_ID; "
           "sh -c '%s'; done\n",
           block, wrap + 1);
  cr_assert_eq(sh(dir, script), 0, "the Slurm recipe failed (see %s/log)", dir);
  expect_collected_ok(dir);
  free(block);
}
