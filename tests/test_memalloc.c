/* test_memalloc.c - CMX memory allocation: the validator names each kind of
 * violation, every allocator's layouts validate, the search agrees with the
 * ILP (fits and proofs of infeasibility), each search technique cuts nodes,
 * the search fits hard instances greedy-size cannot, CSV errors, the CLI. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

#include "memalloc/memalloc.h"
#include "tools/cli.h"

#define DATA SCHED_SOURCE_DIR "/tests/data/memalloc/"

/* ---- helpers ---- */

static void add(memalloc_problem_t *p, int64_t id, int64_t lo, int64_t up, int64_t size,
                int64_t align) {
  sched_diag_t d = {{0}};
  cr_assert_eq(memalloc_problem_add(p, id, lo, up, size, align, &d), SCHED_OK, "%s", d.msg);
}

/* The hand-worked example (tests/data/memalloc/small.csv). */
static void small_example(memalloc_problem_t *p) {
  memalloc_problem_init(p, 1024);
  add(p, 1, 0, 3, 32, 1);
  add(p, 2, 1, 4, 64, 1);
  add(p, 3, 3, 6, 16, 1);
  add(p, 4, 4, 6, 48, 1);
  add(p, 5, 0, 2, 16, 1);
}

/* Small random instances for the ILP comparison: a local LCG, no globals. */
static void tiny_instance(memalloc_problem_t *p, int n, uint64_t seed) {
  uint64_t x = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (int i = 0; i < n; i++) {
    int64_t r[4];
    for (int k = 0; k < 4; k++) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      r[k] = (int64_t)(x >> 33);
    }
    int64_t lo = r[0] % 6, len = 1 + r[1] % 4, size = 1 + r[2] % 12;
    int64_t align = (r[3] % 3 == 0) ? 4 : 1;
    add(p, 100 + i, lo, lo + len, size, align);
  }
}

static int run(const char *name, const memalloc_problem_t *p, const memalloc_params_t *prm,
               memalloc_solution_t *s, memalloc_stats_t *st) {
  sched_diag_t d = {{0}};
  int rc = memalloc_run(memalloc_allocator_find(name), p, s, prm, st, &d);
  cr_assert(rc == SCHED_OK || rc == SCHED_ERR_INFEASIBLE || rc == SCHED_ERR_NOT_FOUND,
            "%s: unexpected %s: %s", name, sched_status_name(rc), d.msg);
  if (rc == SCHED_OK) {
    sched_diag_t v = {{0}};
    cr_assert_eq(memalloc_verify(p, s, &v), SCHED_OK, "%s: %s", name, v.msg);
  }
  return rc;
}

/* Params for measuring the search itself: no warm start, no restarts. */
static memalloc_params_t bare_params(void) {
  memalloc_params_t prm = memalloc_params_default();
  prm.warm_start = false;
  prm.restarts = false;
  prm.time_limit_s = 60;
  return prm;
}

static void verify_fails_with(const memalloc_problem_t *p, const int64_t *offsets,
                              const char *want) {
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_solution_resize(&s, p->n_buffers);
  memcpy(s.offsets_bytes, offsets, (size_t)p->n_buffers * sizeof *offsets);
  sched_diag_t d = {{0}};
  cr_assert_eq(memalloc_verify(p, &s, &d), SCHED_ERR_INPUT, "accepted, wanted '%s'", want);
  cr_assert(strstr(d.msg, want), "got '%s', wanted '%s'", d.msg, want);
  memalloc_solution_free(&s);
}

/* ---- the validator ---- */

Test(memalloc, validator_names_both_buffers_of_an_overlap) {
  memalloc_problem_t p;
  small_example(&p);
  int64_t off[] = {0, 16, 200, 300, 400}; /* 1 [0,32) and 2 [16,80) share steps 1-2 */
  verify_fails_with(&p, off, "buffers 1 and 2 overlap in time [1, 3) and space [16, 32)");
  memalloc_problem_free(&p);
}

Test(memalloc, validator_names_a_misaligned_buffer) {
  memalloc_problem_t p;
  memalloc_problem_init(&p, 64);
  add(&p, 7, 0, 2, 8, 4);
  int64_t off[] = {6};
  verify_fails_with(&p, off, "buffer 7 offset 6 is not a multiple of its alignment 4");
  memalloc_problem_free(&p);
}

Test(memalloc, validator_names_a_buffer_above_the_capacity) {
  memalloc_problem_t p;
  memalloc_problem_init(&p, 8);
  add(&p, 3, 0, 2, 4, 1);
  int64_t off[] = {8};
  verify_fails_with(&p, off, "buffer 3 ends at 12 bytes, above the capacity 8 bytes");
  memalloc_problem_free(&p);
}

Test(memalloc, validator_names_a_negative_offset) {
  memalloc_problem_t p;
  memalloc_problem_init(&p, 8);
  add(&p, 3, 0, 2, 4, 1);
  int64_t off[] = {-4};
  verify_fails_with(&p, off, "buffer 3 has negative offset -4");
  memalloc_problem_free(&p);
}

Test(memalloc, validator_accepts_buffers_touching_in_time_or_space) {
  memalloc_problem_t p;
  small_example(&p);
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_solution_resize(&s, 5);
  int64_t off[] = {0, 48, 0, 16, 32}; /* the linear layout */
  memcpy(s.offsets_bytes, off, sizeof off);
  sched_diag_t d = {{0}};
  cr_assert_eq(memalloc_verify(&p, &s, &d), SCHED_OK, "%s", d.msg);
  memalloc_solution_free(&s);
  memalloc_problem_free(&p);
}

/* ---- problem ---- */

Test(memalloc, lower_bound_is_the_most_bytes_live_at_one_step) {
  memalloc_problem_t p;
  small_example(&p); /* step 1: 32 + 64 + 16 */
  cr_assert_eq(memalloc_problem_lower_bound(&p), 112);
  memalloc_problem_free(&p);
}

Test(memalloc, problem_rejects_bad_fields_naming_the_value) {
  memalloc_problem_t p;
  memalloc_problem_init(&p, 64);
  sched_diag_t d = {{0}};
  cr_assert_eq(memalloc_problem_add(&p, 9, 4, 4, 8, 1, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "buffer 9: upper must be in (lower, 1099511627776], got lower 4, "
                          "upper 4");
  cr_assert_eq(memalloc_problem_add(&p, 9, 0, 4, 0, 1, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "buffer 9: size must be in [1, 1099511627776], got 0");
  add(&p, 1, 0, 2, 4, 1);
  add(&p, 1, 3, 5, 4, 1);
  cr_assert_eq(memalloc_problem_check(&p, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "duplicate buffer id 1");
  memalloc_problem_free(&p);
}

/* ---- hand-worked layouts ---- */

Test(memalloc, linear_places_in_start_order_at_the_first_gap) {
  memalloc_problem_t p;
  small_example(&p);
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  cr_assert_eq(run("linear", &p, NULL, &s, &st), SCHED_OK);
  /* order 1, 5, 2, 3, 4: 3 finds the gap under 2, 4 sits on 3 */
  int64_t want[] = {0, 48, 0, 16, 32};
  for (int i = 0; i < 5; i++)
    cr_assert_eq(s.offsets_bytes[i], want[i], "buffer %d at %lld", i,
                 (long long)s.offsets_bytes[i]);
  cr_assert_eq(st.peak_bytes, 112);
  cr_assert_eq(st.lower_bound_bytes, 112);
  cr_assert_float_eq(st.overhead_pct, 0.0, 1e-9);
  memalloc_solution_free(&s);
  memalloc_problem_free(&p);
}

Test(memalloc, greedy_size_places_largest_first_at_the_best_gap) {
  memalloc_problem_t p;
  small_example(&p);
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  cr_assert_eq(run("greedy-size", &p, NULL, &s, &st), SCHED_OK);
  /* order 2 (64), 4 (48), 1 (32), 5 (16, starts first), 3 (16) */
  int64_t want[] = {64, 0, 64, 0, 96};
  for (int i = 0; i < 5; i++)
    cr_assert_eq(s.offsets_bytes[i], want[i], "buffer %d at %lld", i,
                 (long long)s.offsets_bytes[i]);
  cr_assert_eq(st.peak_bytes, 112);
  memalloc_solution_free(&s);
  memalloc_problem_free(&p);
}

/* 300 buffers live together, sizes 300 down to 1 (ids shuffled against
 * the sizes): greedy-size stacks them largest first, so a buffer of size k
 * sits at the sum of the larger sizes, 300 + 299 + ... + (k + 1). Each
 * buffer's placed neighbours are all the larger ones, hundreds of them,
 * with offsets past one byte: the gap pick's radix sort must order them
 * exactly, or it sees a gap between blocks that is not there. */
Test(memalloc, greedy_size_stacks_hundreds_of_live_buffers_by_size) {
  const int n = 300;
  memalloc_problem_t p;
  memalloc_problem_init(&p, INT64_MAX);
  for (int i = 0; i < n; i++)
    add(&p, i, 0, 1, 1 + (i * 7) % n, 1); /* 7 and 300 are coprime: sizes 1..300 */
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  cr_assert_eq(run("greedy-size", &p, NULL, &s, &st), SCHED_OK);
  for (int i = 0; i < n; i++) {
    int64_t k = p.buffers[i].size_bytes, want = (int64_t)n * (n + 1) / 2 - k * (k + 1) / 2;
    cr_assert_eq(s.offsets_bytes[i], want, "size %lld at %lld", (long long)k,
                 (long long)s.offsets_bytes[i]);
  }
  cr_assert_eq(st.peak_bytes, (int64_t)n * (n + 1) / 2);
  memalloc_solution_free(&s);
  memalloc_problem_free(&p);
}

Test(memalloc, overhead_is_percent_above_the_lower_bound) {
  memalloc_problem_t p;
  memalloc_problem_init(&p, 1000);
  add(&p, 1, 0, 2, 30, 1);
  add(&p, 2, 1, 3, 50, 1);
  add(&p, 3, 2, 4, 30, 1);
  add(&p, 4, 0, 1, 50, 1);
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  cr_assert_eq(run("linear", &p, NULL, &s, &st), SCHED_OK);
  double want = 100.0 * (double)(st.peak_bytes - st.lower_bound_bytes) / st.lower_bound_bytes;
  cr_assert_float_eq(st.overhead_pct, want, 1e-9);
  memalloc_solution_free(&s);
  memalloc_problem_free(&p);
}

/* ---- every allocator on random instances ---- */

Test(memalloc, every_allocator_gives_valid_layouts_on_random_instances) {
  for (uint64_t seed = 1; seed <= 12; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, INT64_C(1) << 40);
    memalloc_generate_random(&p, seed <= 4 ? 7 : 60, seed);
    for (const memalloc_allocator_t *a = memalloc_allocators(); a->name; a++) {
      if (strcmp(a->name, "ilp") == 0 && p.n_buffers > 10)
        continue;
      memalloc_solution_t s;
      memalloc_solution_init(&s);
      memalloc_stats_t st;
      cr_assert_eq(run(a->name, &p, NULL, &s, &st), SCHED_OK, "%s seed %d", a->name, (int)seed);
      cr_assert_geq(st.peak_bytes, st.lower_bound_bytes);
      memalloc_solution_free(&s);
    }
    memalloc_problem_free(&p);
  }
}

Test(memalloc, every_allocator_respects_alignment) {
  memalloc_problem_t p;
  memalloc_problem_init(&p, 4096);
  tiny_instance(&p, 9, 77);
  for (const memalloc_allocator_t *a = memalloc_allocators(); a->name; a++) {
    memalloc_solution_t s;
    memalloc_solution_init(&s);
    memalloc_stats_t st;
    cr_assert_eq(run(a->name, &p, NULL, &s, &st), SCHED_OK, "%s", a->name);
    for (int i = 0; i < p.n_buffers; i++)
      cr_assert_eq(s.offsets_bytes[i] % p.buffers[i].align_bytes, 0);
    memalloc_solution_free(&s);
  }
  memalloc_problem_free(&p);
}

/* ---- search against the ILP ---- */

/* The ILP's optimal peak for p (whose capacity is large). */
static int64_t ilp_optimum(memalloc_problem_t *p) {
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  cr_assert_eq(run("ilp", p, NULL, &s, &st), SCHED_OK);
  int64_t peak = s.peak_bytes;
  memalloc_solution_free(&s);
  return peak;
}

/* Search's answer at capacity cap under prm. */
static int search_at(memalloc_problem_t *p, int64_t cap, const memalloc_params_t *prm,
                     int64_t *nodes) {
  p->capacity_bytes = cap;
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  int rc = run("search", p, prm, &s, &st);
  if (nodes)
    *nodes = st.nodes;
  memalloc_solution_free(&s);
  return rc;
}

Test(memalloc, search_fits_at_the_ilp_optimum_and_proves_one_byte_less_infeasible) {
  memalloc_params_t prm = bare_params();
  int gaps = 0;
  for (uint64_t seed = 1; seed <= 24; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, INT64_C(1) << 20);
    tiny_instance(&p, 8, seed);
    int64_t best = ilp_optimum(&p);
    gaps += best > memalloc_problem_lower_bound(&p);
    cr_assert_eq(search_at(&p, best, &prm, NULL), SCHED_OK, "seed %d cap %lld", (int)seed,
                 (long long)best);
    cr_assert_eq(search_at(&p, best - 1, &prm, NULL), SCHED_ERR_INFEASIBLE, "seed %d", (int)seed);
    p.capacity_bytes = best - 1;
    memalloc_solution_t s;
    memalloc_solution_init(&s);
    memalloc_stats_t st;
    cr_assert_eq(run("ilp", &p, NULL, &s, &st), SCHED_ERR_INFEASIBLE, "seed %d", (int)seed);
    memalloc_solution_free(&s);
    memalloc_problem_free(&p);
  }
  cr_assert_geq(gaps, 3, "too few instances where the optimum is above the bound");
}

/* ---- each search technique ---- */

static bool *technique(memalloc_params_t *prm, int k) {
  bool *all[] = {&prm->canonical_order,      &prm->section_bound,  &prm->forced_placement,
                 &prm->identical_order,      &prm->hole_dominance, &prm->static_partition,
                 &prm->dynamic_decomposition};
  return k < SCHED_ARRAY_LEN(all) ? all[k] : NULL;
}

static const char *const technique_names[] = {
    "canonical_order", "section_bound",    "forced_placement",     "identical_order",
    "hole_dominance",  "static_partition", "dynamic_decomposition"};

/* Instances for the node counts: a tiny one, a twin of each buffer
 * (identical ones to order), a copy later in time (a group to split off),
 * and on odd seeds a buffer live throughout, so the groups only come apart
 * once it is placed (dynamic decomposition, not the static partition). */
static void cut_instance(memalloc_problem_t *p, uint64_t seed) {
  memalloc_problem_init(p, INT64_C(1) << 20);
  tiny_instance(p, 3, seed);
  int n = p->n_buffers;
  for (int i = 0; i < n; i++) {
    memalloc_buffer_t b = p->buffers[i];
    add(p, 200 + i, b.lower, b.upper, b.size_bytes, b.align_bytes);
    add(p, 300 + i, b.lower + 20, b.upper + 20, b.size_bytes, b.align_bytes);
  }
  if (seed % 2)
    add(p, 400, 0, 40, 5, 1);
}

Test(memalloc, every_search_technique_cuts_nodes_and_keeps_answers) {
  int64_t with[8] = {0}, without[8] = {0};
  for (uint64_t seed = 1; seed <= 6; seed++) {
    memalloc_problem_t p;
    cut_instance(&p, seed);
    int64_t best = ilp_optimum(&p);
    for (int64_t cap = best - 1; cap <= best; cap++) {
      int want = cap == best ? SCHED_OK : SCHED_ERR_INFEASIBLE;
      memalloc_params_t all = bare_params();
      for (int k = 0; technique(&all, k); k++) {
        /* hole dominance's cutoff also places a pinned lowest buffer
         * alone: forced placement is measured without it */
        memalloc_params_t base = bare_params();
        base.hole_dominance = base.hole_dominance && k != 2;
        int64_t nodes_all;
        cr_assert_eq(search_at(&p, cap, &base, &nodes_all), want);
        memalloc_params_t prm = base;
        *technique(&prm, k) = false;
        int64_t nodes;
        cr_assert_eq(search_at(&p, cap, &prm, &nodes), want, "without %s, seed %d",
                     technique_names[k], (int)seed);
        with[k] += nodes_all;
        without[k] += nodes;
      }
    }
    memalloc_problem_free(&p);
  }
  for (int k = 0; k < 7; k++)
    cr_log_info("%s: %lld nodes with it, %lld without", technique_names[k], (long long)with[k],
                (long long)without[k]);
  for (int k = 0; k < 7; k++)
    cr_assert_lt(with[k], without[k], "%s: %lld nodes with it, %lld without", technique_names[k],
                 (long long)with[k], (long long)without[k]);
}

Test(memalloc, search_agrees_with_ilp_under_every_combination_of_techniques) {
  for (uint64_t seed = 30; seed <= 33; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, INT64_C(1) << 20);
    tiny_instance(&p, 7, seed);
    int64_t best = ilp_optimum(&p);
    for (int mask = 0; mask < 1 << 7; mask++) {
      memalloc_params_t prm = bare_params();
      for (int k = 0; k < 7; k++)
        *technique(&prm, k) = !(mask & (1 << k));
      cr_assert_eq(search_at(&p, best, &prm, NULL), SCHED_OK, "mask %d seed %d", mask, (int)seed);
      cr_assert_eq(search_at(&p, best - 1, &prm, NULL), SCHED_ERR_INFEASIBLE, "mask %d seed %d",
                   mask, (int)seed);
    }
    memalloc_problem_free(&p);
  }
}

/* ---- the skyline engine ---- */

static memalloc_params_t skyline_params(void) {
  memalloc_params_t prm = bare_params();
  prm.engine = MEMALLOC_ENGINE_SKYLINE;
  return prm;
}

/* Hand-worked: A [0,2) 4 B, B [1,3) 4 B, C [2,4) 4 B, D [0,4) 2 B; the bound
 * is 10 at steps 1 and 2. Preorder D, A, B, C (all as crowded, D widest).
 * One valley [0,4) at 0: D first (starts at its left end, ends at its right
 * end), so all floors are 2; then A at 2 (floors 6, 6, 2, 2); the valley
 * [2,4) at 2 may rise to 6 but steps 2-3 still hold B and C (6 + 8 > 10),
 * so C at 2 is its only branch; B goes at 6. Four nodes, no backtracking. */
Test(memalloc, skyline_places_the_hand_worked_example) {
  memalloc_problem_t p;
  memalloc_problem_init(&p, 10);
  add(&p, 1, 0, 2, 4, 1); /* A */
  add(&p, 2, 1, 3, 4, 1); /* B */
  add(&p, 3, 2, 4, 4, 1); /* C */
  add(&p, 4, 0, 4, 2, 1); /* D */
  memalloc_params_t prm = skyline_params();
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  cr_assert_eq(run("search", &p, &prm, &s, &st), SCHED_OK);
  const int64_t want[] = {2, 6, 2, 0};
  for (int i = 0; i < 4; i++)
    cr_expect_eq(s.offsets_bytes[i], want[i], "buffer %d at %lld", i,
                 (long long)s.offsets_bytes[i]);
  cr_expect_eq(st.nodes, 4);
  cr_expect_eq(search_at(&p, 9, &prm, &st.nodes), SCHED_ERR_INFEASIBLE);
  cr_expect_eq(st.nodes, 0, "the root bound proves 9 bytes too few");
  memalloc_solution_free(&s);
  memalloc_problem_free(&p);
}

static bool *skyline_technique(memalloc_params_t *prm, int k) {
  bool *all[] = {&prm->canonical_order,       &prm->section_bound,    &prm->identical_order,
                 &prm->dynamic_decomposition, &prm->dynamic_ordering, &prm->deadend_memo,
                 &prm->backjumping,           &prm->load_bound};
  return k < SCHED_ARRAY_LEN(all) ? all[k] : NULL;
}

/* tiny_instance with every alignment set to `align` (0: keep the mix). */
static void tiny_aligned(memalloc_problem_t *p, int n, uint64_t seed, int64_t align) {
  memalloc_problem_init(p, INT64_C(1) << 20);
  tiny_instance(p, n, seed);
  for (int i = 0; align > 0 && i < p->n_buffers; i++)
    p->buffers[i].align_bytes = align;
}

Test(memalloc, skyline_agrees_with_ilp_under_every_combination_of_techniques) {
  const int64_t aligns[] = {0, 1, 4}; /* mixed (no left raise), one alignment */
  for (int a = 0; a < 3; a++)
    for (uint64_t seed = 40; seed <= 43; seed++) {
      memalloc_problem_t p;
      tiny_aligned(&p, 7, seed, aligns[a]);
      int64_t best = ilp_optimum(&p);
      for (int mask = 0; mask < 1 << 8; mask++) {
        memalloc_params_t prm = skyline_params();
        for (int k = 0; skyline_technique(&prm, k); k++)
          *skyline_technique(&prm, k) = !(mask & (1 << k));
        cr_assert_eq(search_at(&p, best, &prm, NULL), SCHED_OK, "mask %d seed %d align %lld", mask,
                     (int)seed, (long long)aligns[a]);
        cr_assert_eq(search_at(&p, best - 1, &prm, NULL), SCHED_ERR_INFEASIBLE,
                     "mask %d seed %d align %lld", mask, (int)seed, (long long)aligns[a]);
      }
      memalloc_problem_free(&p);
    }
}

/* The skyline engine on packed instances at the bound (a layout exists):
 * different stacking orders of the same buffers reach the same state, so
 * with the memo it visits fewer nodes in total (measured: about a third),
 * and finds the same layouts' existence. */
Test(memalloc, deadend_memo_cuts_nodes_and_keeps_answers) {
  int64_t with = 0, without = 0;
  for (uint64_t seed = 1; seed <= 8; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, 1);
    memalloc_generate_packed(&p, 60, 64 * 64, seed);
    for (int memo = 0; memo < 2; memo++) {
      memalloc_params_t prm = skyline_params();
      prm.deadend_memo = memo;
      int64_t nodes;
      cr_assert_eq(search_at(&p, 64 * 64, &prm, &nodes), SCHED_OK, "seed %d memo %d", (int)seed,
                   memo);
      *(memo ? &with : &without) += nodes;
    }
    memalloc_problem_free(&p);
  }
  cr_log_info("%lld nodes with the memo, %lld without", (long long)with, (long long)without);
  cr_assert_lt(with, without, "%lld nodes with the memo, %lld without", (long long)with,
               (long long)without);
}

/* Backjumping and the load bound on packed instances at the bound: both
 * prune only, so every instance still fits, in fewer nodes (measured:
 * 38,794 nodes with neither, 7,107 with backjumping, 6,739 with the load
 * bound, 6,660 with both). */
Test(memalloc, backjumping_and_load_bound_cut_nodes_and_keep_answers) {
  int64_t nodes_by[4] = {0}; /* index: backjumping + 2 * load_bound */
  for (uint64_t seed = 1; seed <= 8; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, 1);
    memalloc_generate_packed(&p, 100, 64 * 256, seed);
    for (int k = 0; k < 4; k++) {
      memalloc_params_t prm = skyline_params();
      prm.backjumping = k & 1;
      prm.load_bound = k & 2;
      int64_t nodes;
      cr_assert_eq(search_at(&p, 64 * 256, &prm, &nodes), SCHED_OK, "seed %d setting %d", (int)seed,
                   k);
      nodes_by[k] += nodes;
    }
    memalloc_problem_free(&p);
  }
  cr_log_info("nodes: neither %lld, backjumping %lld, load bound %lld, both %lld",
              (long long)nodes_by[0], (long long)nodes_by[1], (long long)nodes_by[2],
              (long long)nodes_by[3]);
  cr_assert_lt(nodes_by[1], nodes_by[0]);
  cr_assert_lt(nodes_by[2], nodes_by[0]);
  cr_assert_lt(nodes_by[3], nodes_by[0]);
}

/* ---- hard instances ---- */

Test(memalloc, search_fits_tight_packed_instances_where_greedy_size_fails) {
  int greedy_fails = 0;
  for (uint64_t seed = 1; seed <= 6; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, 1);
    memalloc_generate_packed(&p, 80, 64 * 256, seed);
    p.capacity_bytes = memalloc_problem_lower_bound(&p);
    cr_assert_eq(p.capacity_bytes, 64 * 256);
    memalloc_solution_t s;
    memalloc_solution_init(&s);
    memalloc_stats_t st;
    greedy_fails += run("greedy-size", &p, NULL, &s, &st) == SCHED_ERR_NOT_FOUND;
    memalloc_params_t prm = memalloc_params_default();
    prm.time_limit_s = 60;
    cr_assert_eq(run("search", &p, &prm, &s, &st), SCHED_OK, "seed %d", (int)seed);
    cr_assert_eq(st.peak_bytes, p.capacity_bytes);
    memalloc_solution_free(&s);
    memalloc_problem_free(&p);
  }
  cr_assert_geq(greedy_fails, 4, "greedy-size failed only %d times", greedy_fails);
}

Test(memalloc, search_reports_the_time_limit_without_a_layout) {
  memalloc_problem_t p;
  memalloc_problem_init(&p, 1);
  memalloc_generate_random(&p, 200, 5);
  p.capacity_bytes = memalloc_problem_lower_bound(&p) - 1;
  memalloc_params_t prm = bare_params();
  prm.section_bound = false; /* no quick proof */
  prm.node_limit = 1000;
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  sched_diag_t d = {{0}};
  cr_assert_eq(memalloc_run(memalloc_allocator_find("search"), &p, &s, &prm, NULL, &d),
               SCHED_ERR_TIMEOUT);
  cr_assert_str_eq(d.msg, "search: node limit of 1000 reached without a layout");
  memalloc_solution_free(&s);
  memalloc_problem_free(&p);
}

/* ---- CSV ---- */

static int csv_text(const char *text, memalloc_problem_t *p, sched_diag_t *d) {
  FILE *in = fmemopen((void *)text, strlen(text), "r");
  cr_assert(in);
  memalloc_problem_init(p, 1024);
  int rc = memalloc_csv_read(in, "b.csv", p, d);
  fclose(in);
  return rc;
}

static void csv_bad(const char *text, const char *want) {
  memalloc_problem_t p;
  sched_diag_t d = {{0}};
  cr_assert_eq(csv_text(text, &p, &d), SCHED_ERR_INPUT, "accepted: %s", text);
  cr_assert_str_eq(d.msg, want);
  memalloc_problem_free(&p);
}

Test(memalloc, csv_reads_rows_and_optional_columns) {
  memalloc_problem_t p;
  sched_diag_t d = {{0}};
  cr_assert_eq(csv_text("size,id,upper,lower\n 16 , 7, 4, 1\n\n8,9,3,0\r\n", &p, &d), SCHED_OK,
               "%s", d.msg);
  cr_assert_eq(p.n_buffers, 2);
  cr_assert_eq(p.buffers[0].id, 7);
  cr_assert_eq(p.buffers[0].lower, 1);
  cr_assert_eq(p.buffers[0].upper, 4);
  cr_assert_eq(p.buffers[0].size_bytes, 16);
  cr_assert_eq(p.buffers[1].align_bytes, 1);
  memalloc_problem_free(&p);
  cr_assert_eq(csv_text("id,lower,upper,size,alignment,offset\n1,0,2,8,64,0\n", &p, &d), SCHED_OK,
               "%s", d.msg);
  cr_assert_eq(p.buffers[0].align_bytes, 64);
  memalloc_problem_free(&p);
}

Test(memalloc, csv_errors_name_file_line_and_value) {
  csv_bad("", "b.csv:1: empty file, expected a header row 'id,lower,upper,size'");
  csv_bad("1,0,2,8\n", "b.csv:1: missing header row 'id,lower,upper,size' (unknown column '1')");
  csv_bad("id,lower,upper\n1,0,2\n", "b.csv:1: header has no 'size' column");
  csv_bad("id,lower,upper,size\n1,0,2\n", "b.csv:2: expected 4 fields, got 3");
  csv_bad("id,lower,upper,size\n1,0,2,8x\n", "b.csv:2: size is not an integer: '8x'");
  csv_bad("id,lower,upper,size\n1,0,2,-8\n", "b.csv:2: size must be positive, got -8");
  csv_bad("id,lower,upper,size\n1,5,5,8\n",
          "b.csv:2: upper must be greater than lower, got lower 5, upper 5");
  csv_bad("id,lower,upper,size\n1,-1,5,8\n", "b.csv:2: lower must not be negative, got -1");
  csv_bad("id,lower,upper,size\n1,0,2,8\n2,0,2,8\n1,3,4,8\n2,5,6,8\n",
          "b.csv:4: duplicate id 1 (first on line 2)");
  csv_bad("id,lower,upper,size\n1,0,2,99999999999999999999\n",
          "b.csv:2: size is out of range: '99999999999999999999'");
  csv_bad("id,lower,upper,size\n1,0,2,2000000000000\n",
          "b.csv:2: size 2000000000000 exceeds the limit 1099511627776");
  csv_bad("id,lower,upper,size\n1,0,2000000000000,8\n",
          "b.csv:2: upper 2000000000000 exceeds the limit 1099511627776");
}

Test(memalloc, csv_write_adds_the_offset_column) {
  memalloc_problem_t p;
  small_example(&p);
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  cr_assert_eq(run("linear", &p, NULL, &s, &st), SCHED_OK);
  char buf[512] = {0};
  FILE *out = fmemopen(buf, sizeof buf, "w");
  memalloc_csv_write(out, &p, &s);
  fclose(out);
  cr_assert_str_eq(buf, "id,lower,upper,size,offset\n1,0,3,32,0\n2,1,4,64,48\n3,3,6,16,0\n"
                        "4,4,6,48,16\n5,0,2,16,32\n");
  memalloc_solution_free(&s);
  memalloc_problem_free(&p);
}

/* ---- the command ---- */

/* Runs `sched memalloc --input FILE --capacity CAP [FLAG VALUE] --no-time`. */
static int memalloc_cmd(const char *file, const char *cap, const char *flag, const char *value) {
  char *argv[10] = {"memalloc", "--input", (char *)file, "--capacity", (char *)cap};
  int argc = 5;
  if (flag) {
    argv[argc++] = (char *)flag;
    argv[argc++] = (char *)value;
  }
  argv[argc++] = "--no-time";
  argv[argc] = NULL;
  return cmd_memalloc(argc, argv);
}

Test(memalloc, command_exit_codes_say_fit_none_or_bad_input, .init = cr_redirect_stdout) {
  cr_redirect_stderr();
  cr_assert_eq(memalloc_cmd(DATA "chain.csv", "8", NULL, NULL), CLI_EXIT_OK);
  cr_assert_eq(memalloc_cmd(DATA "chain.csv", "7", NULL, NULL), CLI_EXIT_NO);
  cr_assert_eq(memalloc_cmd(DATA "small.csv", "100", "--allocator", "linear"), CLI_EXIT_NO);
  cr_assert_eq(memalloc_cmd(DATA "small.csv", "1KB", "--allocator", "greedy-size"), CLI_EXIT_OK);
  cr_assert_eq(memalloc_cmd(DATA "negative.csv", "1KB", NULL, NULL), CLI_EXIT_INPUT);
  cr_assert_eq(memalloc_cmd(DATA "missing.csv", "1KB", NULL, NULL), CLI_EXIT_INPUT);
  cr_assert_eq(memalloc_cmd(DATA "chain.csv", "1XB", NULL, NULL), CLI_EXIT_INPUT);
  cr_assert_eq(memalloc_cmd(DATA "chain.csv", "8", "--allocator", "serch"), CLI_EXIT_INPUT);
  cr_assert_eq(memalloc_cmd(DATA "chain.csv", "8", "--engine", "skyline"), CLI_EXIT_OK);
  cr_assert_eq(memalloc_cmd(DATA "chain.csv", "7", "--engine", "offset"), CLI_EXIT_NO);
  cr_assert_eq(memalloc_cmd(DATA "chain.csv", "8", "--engine", "skyln"), CLI_EXIT_INPUT);
}

/* A group that splits again once its long buffer is placed (A and B apart
 * under L), followed by a second top-level group (C): the shape in which a
 * nested split once handed a placed buffer to the outer loop's next group
 * again (an undo-stack overflow; its reproducer is larger:
 * `bench_memalloc --seeds 1 --sizes 100 --time-limit 0.5`, resnet50@1MB). */
Test(memalloc, nested_decomposition_places_every_buffer_once) {
  const int64_t ranges[][3] = {{0, 3, 10}, {0, 1, 5}, {2, 3, 5}, {4, 5, 5}, {4, 5, 7}};
  for (int64_t capacity = 15; capacity <= 17; capacity++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, capacity);
    sched_diag_t d;
    for (int i = 0; i < 5; i++)
      cr_assert_eq(memalloc_problem_add(&p, i, ranges[i][0], ranges[i][1], ranges[i][2], 1, &d),
                   SCHED_OK, "%s", d.msg);
    memalloc_solution_t s;
    memalloc_solution_init(&s);
    memalloc_params_t prm = memalloc_params_default();
    prm.warm_start = false; /* make the search itself place everything */
    int rc = memalloc_run(memalloc_allocator_find("search"), &p, &s, &prm, NULL, &d);
    cr_expect_eq(rc, SCHED_OK, "capacity %lld: %s", (long long)capacity, d.msg);
    cr_expect_eq(memalloc_verify(&p, &s, &d), SCHED_OK, "%s", d.msg);
    memalloc_solution_free(&s);
    memalloc_problem_free(&p);
  }
}

/* ---- scale: the search's memory does not grow with its depth ---- */

/* 10,000 network-shaped buffers at their lower bound, searched without the
 * warm start by each engine until the path is at least n nodes long. Nodes
 * keep no lists, so the search's own byte count
 * (memalloc_stats_t.search_bytes) stays within a constant per buffer plus
 * the memo's entries; a list of candidates per depth, as the engines kept
 * before, came to 115 MB here for the skyline engine. */
Test(memalloc, search_memory_is_linear_in_buffers_at_10000_buffers) {
  const int n = 10000;
  const int64_t node_limit = 3 * n;
  memalloc_search_engine_t engines[] = {MEMALLOC_ENGINE_OFFSET, MEMALLOC_ENGINE_SKYLINE};
  for (int e = 0; e < SCHED_ARRAY_LEN(engines); e++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, 1);
    memalloc_generate_network(&p, n, 19);
    p.capacity_bytes = memalloc_problem_lower_bound(&p);
    memalloc_params_t prm = memalloc_params_default();
    prm.warm_start = false;
    prm.engine = engines[e];
    prm.node_limit = node_limit;
    prm.time_limit_s = 600; /* safety net only: the node limit ends it */
    memalloc_solution_t s;
    memalloc_solution_init(&s);
    memalloc_stats_t st;
    sched_diag_t d = {{0}};
    int rc = memalloc_run(memalloc_allocator_find("search"), &p, &s, &prm, &st, &d);
    const char *name = memalloc_engine_name(engines[e]);
    cr_assert(rc == SCHED_OK || rc == SCHED_ERR_TIMEOUT || rc == SCHED_ERR_INFEASIBLE, "%s: %s",
              name, d.msg);
    cr_assert_geq(st.nodes, n, "%s: %lld nodes, the path never got deep", name,
                  (long long)st.nodes);
    cr_assert_gt(st.search_bytes, 0, "%s", name);
    /* the memo keeps 3 words per slot, at most 4 slots per node */
    int64_t bound = INT64_C(1024) * n + 4 * 24 * node_limit;
    cr_assert_leq(st.search_bytes, bound, "%s: %lld bytes for %d buffers", name,
                  (long long)st.search_bytes, n);
    memalloc_solution_free(&s);
    memalloc_problem_free(&p);
  }
}

/* ---- --minimize: the smallest capacity ---- */

/* The smallest peak of any layout, by trying every aligned offset of every
 * buffer in turn (keeping only layouts below the best so far). */
static void exhaustive_place(const memalloc_problem_t *p, int i, int64_t *off, int64_t peak,
                             int64_t *best) {
  if (i == p->n_buffers) {
    *best = SCHED_MIN(*best, peak);
    return;
  }
  const memalloc_buffer_t *b = &p->buffers[i];
  for (int64_t o = 0; o + b->size_bytes < *best; o += b->align_bytes) {
    bool clash = false;
    for (int j = 0; j < i && !clash; j++) {
      const memalloc_buffer_t *c = &p->buffers[j];
      clash = b->lower < c->upper && c->lower < b->upper && o < off[j] + c->size_bytes &&
              off[j] < o + b->size_bytes;
    }
    if (clash)
      continue;
    off[i] = o;
    exhaustive_place(p, i + 1, off, SCHED_MAX(peak, o + b->size_bytes), best);
  }
}

static int64_t exhaustive_minimum(const memalloc_problem_t *p) {
  int64_t best = 1, off[16];
  for (int i = 0; i < p->n_buffers; i++)
    best += p->buffers[i].size_bytes + p->buffers[i].align_bytes;
  exhaustive_place(p, 0, off, 0, &best);
  return best;
}

static memalloc_minimize_t minimize_with(const char *allocator, const memalloc_problem_t *p,
                                         const memalloc_params_t *prm) {
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_minimize_t m;
  sched_diag_t d = {{0}};
  cr_assert_eq(memalloc_minimize(memalloc_allocator_find(allocator), p, &s, prm, &m, &d), SCHED_OK,
               "%s: %s", allocator, d.msg);
  cr_assert_eq(s.peak_bytes, m.best_bytes, "%s", allocator);
  cr_assert_eq(memalloc_verify(p, &s, &d), SCHED_OK, "%s: %s", allocator, d.msg);
  memalloc_solution_free(&s);
  return m;
}

Test(memalloc, minimize_equals_exhaustive_search_on_tiny_instances) {
  int above_bound = 0;
  for (uint64_t seed = 1; seed <= 30; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, INT64_C(1) << 20);
    tiny_instance(&p, 6, seed);
    int64_t want = exhaustive_minimum(&p);
    above_bound += want > memalloc_problem_lower_bound(&p);
    const char *complete[] = {"search", "ilp"};
    for (int k = 0; k < 2; k++) {
      memalloc_minimize_t m = minimize_with(complete[k], &p, NULL);
      cr_assert_eq(m.best_bytes, want, "seed %d %s", (int)seed, complete[k]);
      cr_assert(m.proved, "seed %d %s", (int)seed, complete[k]);
      cr_assert_eq(m.lower_bound_bytes, want, "seed %d %s", (int)seed, complete[k]);
    }
    memalloc_problem_free(&p);
  }
  cr_assert_geq(above_bound, 3, "too few instances whose minimum is above the max-live bound");
}

/* Without the budget to prove anything the result is the best found and a
 * bound that still holds; a heuristic runs once and proves only when it
 * meets the max-live bound. */
Test(memalloc, minimize_without_budget_reports_an_unproved_bracket) {
  int unproved = 0;
  for (uint64_t seed = 1; seed <= 30; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, INT64_C(1) << 20);
    tiny_instance(&p, 6, seed);
    int64_t want = exhaustive_minimum(&p);
    memalloc_params_t prm = memalloc_params_default();
    prm.node_limit = 1;
    memalloc_minimize_t m = minimize_with("search", &p, &prm);
    cr_assert_geq(m.best_bytes, want, "seed %d", (int)seed);
    cr_assert_leq(m.lower_bound_bytes, want, "seed %d", (int)seed);
    cr_assert_eq(m.proved, m.best_bytes == m.lower_bound_bytes, "seed %d", (int)seed);
    unproved += !m.proved;
    memalloc_minimize_t g = minimize_with("greedy-size", &p, NULL);
    cr_assert_eq(g.attempts, 1, "seed %d", (int)seed);
    cr_assert_eq(g.proved, g.best_bytes == memalloc_problem_lower_bound(&p), "seed %d", (int)seed);
    memalloc_problem_free(&p);
  }
  cr_assert_geq(unproved, 1, "node limit 1 proved every instance: the test shows nothing");
}

/* The CLI: chain.csv's smallest capacity is 8, proved by its max-live
 * bound (two of its 4-byte buffers are live at steps 1 and 2), found by
 * the warm start. */
Test(memalloc, command_minimize_prints_the_proved_minimum, .init = cr_redirect_stdout) {
  char *argv[] = {"memalloc", "--input", DATA "chain.csv", "--minimize",
                  "--format", "csv",     "--no-time",      NULL};
  cr_assert_eq(cmd_memalloc(7, argv), CLI_EXIT_OK);
  fflush(stdout);
  cr_assert_stdout_eq_str("allocator,result,buffers,max_live_bytes,best_bytes,lower_bound_bytes,"
                          "proved,attempts,nodes\n"
                          "search,fits,3,8,8,8,true,1,0\n");
}

/* One search of p with the given engine (no warm start, one group). */
static int search_with(memalloc_problem_t *p, memalloc_search_engine_t engine,
                       memalloc_solution_t *s, memalloc_stats_t *st) {
  memalloc_params_t prm = memalloc_params_default();
  prm.warm_start = false;
  prm.static_partition = false;
  prm.engine = engine;
  prm.time_limit_s = 600;
  memalloc_solution_init(s);
  sched_diag_t d = {{0}};
  int rc = memalloc_run(memalloc_allocator_find("search"), p, s, &prm, st, &d);
  cr_assert(rc == SCHED_OK || rc == SCHED_ERR_INFEASIBLE, "%s", d.msg);
  return rc;
}

/* The portfolio races the two engines' own searches: its answer is the
 * answer of one engine alone, layout included (the one that needed less
 * work), and its nodes are that engine's plus the loser's until it stopped. */
Test(memalloc, the_portfolio_answers_as_one_engine_alone) {
  int by_engine[2] = {0, 0};
  for (uint64_t seed = 1; seed <= 12; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, 1);
    memalloc_generate_packed(&p, 100, 64 * 64, seed);
    p.capacity_bytes = memalloc_problem_lower_bound(&p);
    memalloc_solution_t s[3];
    memalloc_stats_t st[3];
    static const memalloc_search_engine_t engines[3] = {
        MEMALLOC_ENGINE_PORTFOLIO, MEMALLOC_ENGINE_OFFSET, MEMALLOC_ENGINE_SKYLINE};
    int rc[3];
    for (int k = 0; k < 3; k++)
      rc[k] = search_with(&p, engines[k], &s[k], &st[k]);
    int same = -1;
    for (int k = 1; k <= 2 && same < 0; k++) {
      bool equal = rc[k] == rc[0] && st[k].nodes <= st[0].nodes; /* plus the loser's */
      for (int i = 0; equal && rc[0] == SCHED_OK && i < p.n_buffers; i++)
        equal = s[k].offsets_bytes[i] == s[0].offsets_bytes[i];
      if (equal)
        same = k;
    }
    cr_assert_geq(same, 1, "seed %d: the portfolio's answer is neither engine's", (int)seed);
    by_engine[same - 1]++;
    for (int k = 0; k < 3; k++)
      memalloc_solution_free(&s[k]);
    memalloc_problem_free(&p);
  }
  cr_assert(by_engine[0] > 0 && by_engine[1] > 0, "one engine won every race (%d, %d)",
            by_engine[0], by_engine[1]);
}

/* The paired portfolio races its two engines on two threads in work
 * units: two runs give the same answer, node count and layout whatever the
 * timing, and the layout is valid. */
Test(memalloc, paired_portfolio_is_deterministic) {
  int multi_round = 0;
  for (uint64_t seed = 1; seed <= 16; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, 1);
    memalloc_generate_packed(&p, 120, 64 * 64, seed);
    p.capacity_bytes = memalloc_problem_lower_bound(&p);
    memalloc_solution_t s[2];
    memalloc_stats_t st[2];
    int rc[2];
    for (int k = 0; k < 2; k++) {
      memalloc_params_t prm = memalloc_params_default();
      prm.warm_start = false;
      prm.time_limit_s = 600;
      memalloc_solution_init(&s[k]);
      sched_diag_t d = {{0}};
      rc[k] = memalloc_run(memalloc_allocator_find("search"), &p, &s[k], &prm, &st[k], &d);
      cr_assert(rc[k] == SCHED_OK || rc[k] == SCHED_ERR_INFEASIBLE, "seed %d: %s", (int)seed,
                d.msg);
      if (rc[k] == SCHED_OK)
        cr_assert_eq(memalloc_verify(&p, &s[k], &d), SCHED_OK, "seed %d: %s", (int)seed, d.msg);
    }
    multi_round += st[0].nodes > 2 * (4 * p.n_buffers + 64); /* beyond the first two rounds */
    cr_assert_eq(rc[0], rc[1], "seed %d", (int)seed);
    cr_assert_eq(st[0].nodes, st[1].nodes, "seed %d", (int)seed);
    for (int i = 0; rc[0] == SCHED_OK && i < p.n_buffers; i++)
      cr_assert_eq(s[0].offsets_bytes[i], s[1].offsets_bytes[i], "seed %d buffer %d", (int)seed, i);
    memalloc_solution_free(&s[0]);
    memalloc_solution_free(&s[1]);
    memalloc_problem_free(&p);
  }
  cr_assert_geq(multi_round, 2, "too few instances that need more than two rounds");
}
