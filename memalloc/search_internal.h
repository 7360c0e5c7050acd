/* search_internal.h - what the engines of the search allocator share (not
 * part of the public API).
 *
 * search.c runs rounds of complete depth-first searches over one group of
 * buffers at a time; each round uses one engine:
 *  - search_offset.c places buffers in order of offset, any buffer whose
 *    canonical offset is not below the last one (MiniMalloc's order);
 *  - search_skyline.c fills the valley of the skyline with the fewest
 *    branches, or raises it.
 * Both work on a search_t: the group's buffers in a static preorder (local
 * index i is problem index ids[i]), time cut into sections, a floor per
 * section with a trail to undo it, a hash of the state for the dead-end
 * memo, and the node budget. search_group.c sets it up. */
#ifndef SCHED_MEMALLOC_SEARCH_INTERNAL_H
#define SCHED_MEMALLOC_SEARCH_INTERNAL_H

#include "memalloc/memalloc_internal.h"

#include <stdatomic.h>
#include <threads.h>

enum { SEARCH_FOUND = 1, SEARCH_FAIL = 0, SEARCH_STOPPED = -1 };

/* A saved floor, to restore on backtracking: section s's floor, or
 * (section = -1 - b) buffer b's max_floor. */
typedef struct {
  int section;
  int64_t floor;
} search_trail_t;

/* One level of a section's load bound: the unplaced buffers live there
 * whose lowest offset is `lowest`, their total size, and the sections
 * whose floors hold them up ([at_lo, at_hi) covers them). */
typedef struct search_load {
  int64_t lowest, size;
  int at_lo, at_hi;
} search_load_t;

/* States proved to fail: a hash set of 128-bit state keys. A key covers all
 * that the search below a node depends on, so a state met again fails
 * again. Shared by the rounds of one group. */
typedef struct {
  uint64_t *keys; /* 3 words per slot: the key ((0, 0) marks an empty
                     slot), then a note the engine keeps with it */
  int64_t cap, count;
} search_deadends_t;

/* Two searches taking turns on one core, a coroutine pair on two threads
 * (the portfolio's race, search.c): a side runs until its work reaches its
 * turn's end, then hands over and waits for its next turn, so only one
 * runs at a time (run side by side, each ran 1.5-2x slower) and where each
 * stops depends on work counts only. */
typedef struct {
  mtx_t mtx;
  cnd_t cnd;
  int turn;             /* the side that runs */
  bool done[2];         /* a finished side takes no more turns */
  int64_t turn_end[2];  /* per side: work at which its turn ends */
  int64_t quantum_work; /* work per turn */
} search_baton_t;

typedef struct {
  /* the group, fixed by search_init */
  int n, n_sections;
  int64_t capacity;
  const int *ids; /* problem index of each local buffer */
  int64_t *size, *align;
  int *span_lo, *span_hi;    /* sections [span_lo, span_hi) */
  int *twin_prev;            /* previous identical buffer, or -1 */
  int *start_first, *starts; /* buffers by first section, CSR, local order */
  int *adj_start, *adj;      /* time-overlapping buffers, CSR */
  bool one_alignment;        /* every buffer has the same alignment */
  int64_t floor_align;       /* that alignment (floors are kept aligned), or 1 */
  /* the partial layout */
  int64_t *floor;     /* per section: lowest offset still usable there */
  int64_t *rem_bytes; /* per section: unplaced bytes live there */
  int *rem_count;     /* per section: unplaced buffers live there */
  bool *placed;
  int64_t *offset; /* per buffer, valid when placed */
  search_trail_t *trail;
  int trail_top, trail_cap;
  int *stack; /* placed buffers in order of placement */
  int stack_top;
  uint64_t *zobrist; /* per buffer: 2 random words, from the problem index */
  uint64_t hash[2];  /* of the placed set and the floors */
  /* the offset engine's: with track_max_floor, search_place keeps each
   * unplaced buffer's highest floor over its span (undone by the trail) */
  bool track_max_floor;
  int64_t *max_floor;
  int64_t *sec_min; /* per section: lowest offset an unplaced buffer can take */
  int *waiting;
  /* the skyline engine's last failure depends on sections [conflict_lo,
   * conflict_hi) only (their floors and which of their buffers are placed) */
  int conflict_lo, conflict_hi;
  int64_t *sec_cover;     /* per section: scratch */
  int *live_first, *live; /* buffers live in each section, CSR */
  int64_t *lowest;        /* per buffer: highest floor over its span */
  int *lowest_at;         /* per buffer: a section with that floor */
  int64_t *lowest_epoch;  /* per buffer: when lowest was computed */
  int64_t load_epoch;
  int moved_lo, moved_hi; /* sections the last move changed */
  search_load_t *loads;   /* scratch: one section's load levels */
  int64_t last_offset;    /* of the buffer placed last (-1 at the root) */
  int last_index;
  /* limits, shared with the caller */
  const memalloc_params_t *prm;
  int rule; /* the static preorder's rule (search.c) */
  double deadline_ms;
  int64_t *nodes; /* counter shared by all rounds and groups */
  bool stopped_by_time;
  int64_t round_budget; /* nodes this round may visit (0 = no limit) */
  int64_t round_nodes;
  bool stopped_by_budget;
  /* work: array elements the engine's loops visited since the last node
   * (a count that follows CPU time on any machine, which nodes do not: an
   * engine's node costs 1-30 us depending on engine and instance); each
   * node adds it to *work_total */
  int64_t work;
  int64_t *work_total; /* NULL: not counted */
  /* the paired portfolio: the search stops once its side has done more
   * work than this (lowered by the other engine when it concludes); NULL: none */
  _Atomic int64_t *rival_work;
  search_baton_t *baton; /* NULL: runs alone */
  int side;              /* this search's side of the baton */
  bool stopped_by_rival;
  search_deadends_t *deadends; /* NULL: no memo */
  /* memory, for memalloc_stats_t.search_bytes: the arrays above (set by
   * search_init; nodes keep no lists, only their frame's few words) */
  int64_t state_bytes;
} search_t;

/* search_group.c */
void search_init(search_t *S, const memalloc_problem_t *p, const int *ids, int n);
/* Bytes the search holds: arrays, trail, memo (the most, as none shrinks). */
int64_t search_bytes(const search_t *S);
void search_free(search_t *S);
/* Sets section s's floor (aligned up to floor_align), saving the old one. */
void search_set_floor(search_t *S, int s, int64_t floor);
/* Places local buffer b at off: floors over its span rise to its top. */
void search_place(search_t *S, int b, int64_t off);
/* Takes back placements and floors, latest first, down to the marks. */
void search_undo_to(search_t *S, int stack_mark, int trail_mark);
/* The baton: side's turn ends; returns at its next turn (at once when the
 * other side has finished). */
void search_baton_pass(search_baton_t *B, int side);
/* Side has finished: the other side runs on alone. */
void search_baton_finish(search_baton_t *B, int side);
/* Counts a node; true when a limit (node, round budget, time) ends it. */
bool search_out_of_budget(search_t *S);
/* The section bound at the root: no section holds more than the capacity. */
bool search_root_holds(const search_t *S);
/* The dead-end memo: the key of the current state plus `salt` (whatever
 * else the engine's search below depends on). */
void search_state_key(const search_t *S, uint64_t salt, uint64_t key[2]);
bool search_deadends_has(const search_deadends_t *D, const uint64_t key[2], uint64_t *note);
void search_deadends_add(search_deadends_t *D, const uint64_t key[2], uint64_t note);
uint64_t search_mix64(uint64_t z);

/* The engines: search every unplaced buffer of the group. */
int search_offset_run(search_t *S);
int search_skyline_run(search_t *S);

#endif
