/* plan_file.c - plans as JSON, so a user can force some layers' strategies
 * or replay a whole plan (--strategy-file) and save one (--dump-plan). */
#include "strategies/strategies.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int strat_plan_write_json(const strat_problem_t *p, const strat_plan_t *plan, const char *net,
                          const char *path, sched_diag_t *diag) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "net", net);
  cJSON *layers = cJSON_AddArrayToObject(root, "layers");
  for (int l = 0; l < p->n_layers; l++) {
    const tiling_choice_t *c = &p->layers[l].cands[plan->cand[l]].choice;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", p->g->ops[p->layers[l].op].name);
    cJSON_AddStringToObject(j, "strategy", tiling_strategy_name(c->strategy));
    cJSON_AddNumberToObject(j, "tiles", c->tiles);
    cJSON_AddStringToObject(j, "tile_axis", tiling_axis_name(c->axis));
    cJSON_AddBoolToObject(j, "pipelined", c->pipelined);
    cJSON_AddBoolToObject(j, "spilled", plan->spilled[l]);
    int region = p->layers[l].cands[plan->cand[l]].region;
    if (region >= 0) /* which region: its first layer (a layer may be in several) */
      cJSON_AddStringToObject(j, "stream", p->g->ops[p->layers[p->regions[region].first].op].name);
    else
      cJSON_AddNullToObject(j, "stream");
    cJSON_AddItemToArray(layers, j);
  }
  char *text = sched_json_print(root, true);
  cJSON_Delete(root);
  sched_out_t out;
  int rc = text ? sched_out_open(&out, path, diag)
                : sched_diag_set(diag, SCHED_ERR_NOMEM, "%s: cannot print the plan", path);
  if (rc == SCHED_OK) {
    fputs(text, out.f);
    fputc('\n', out.f);
    rc = sched_out_commit(&out, diag);
  }
  free(text);
  return rc;
}

static char *read_text(const char *path, sched_diag_t *diag) {
  char *text; /* a plan file is small: refuse anything huge */
  return sched_file_read(path, "strategy file", (size_t)64 << 20, &text, NULL, diag) == SCHED_OK
             ? text
             : NULL;
}

static int find_layer(const strat_problem_t *p, const char *name) {
  for (int l = 0; l < p->n_layers; l++)
    if (strcmp(p->g->ops[p->layers[l].op].name, name) == 0)
      return l;
  return -1;
}

static void list_candidates(const strat_layer_t *l, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (int c = 0; c < l->n_cands && used < len; c++) {
    const tiling_choice_t *ch = &l->cands[c].choice;
    used += (size_t)snprintf(buf + used, len - used, "%s%s x%d%s", c ? ", " : "",
                             tiling_strategy_name(ch->strategy), ch->tiles,
                             ch->pipelined ? " pipelined" : "");
  }
}

/* A candidate in `region` (-1: none) matches "stream" when it is absent,
 * null outside regions, or names the region's first layer. */
static bool stream_matches(const strat_problem_t *p, int region, const cJSON *stream) {
  if (!stream)
    return true;
  if (cJSON_IsNull(stream))
    return region < 0;
  return region >= 0 &&
         strcmp(p->g->ops[p->layers[p->regions[region].first].op].name, stream->valuestring) == 0;
}

/* One entry of a plan file: tiles 0 and pipelined -1 when absent. */
typedef struct {
  tiling_strategy_t strategy;
  int32_t tiles;
  int pipelined;
  const cJSON *stream;
} forced_t;

/* Moves layer l's candidates from index `from` on that match f to the
 * front; returns how many. */
static int keep_matching(strat_problem_t *p, int l, const forced_t *f, int from) {
  strat_layer_t *layer = &p->layers[l];
  int kept = 0;
  for (int c = from; c < layer->n_cands; c++) {
    const tiling_choice_t *ch = &layer->cands[c].choice;
    bool match = ch->strategy == f->strategy && (!f->tiles || ch->tiles == f->tiles) &&
                 (f->pipelined < 0 || ch->pipelined == f->pipelined) &&
                 stream_matches(p, layer->cands[c].region, f->stream);
    if (match)
      layer->cands[kept++] = layer->cands[c];
  }
  return kept;
}

/* A non-region slicing f names, added where it fits this budget when it
 * is no candidate: one a smaller budget off the 256KB ladder chose. */
static int add_forced_slicing(strat_problem_t *p, int l, const forced_t *f, sched_diag_t *diag) {
  for (int pipe = 0; pipe < 2; pipe++) {
    if (f->pipelined >= 0 && pipe != f->pipelined)
      continue;
    tiling_choice_t want = {.strategy = f->strategy, .tiles = f->tiles, .pipelined = pipe};
    int rc = strat_problem_add_slicing(p, l, want, diag);
    if (rc != SCHED_ERR_INFEASIBLE)
      return rc;
  }
  return SCHED_OK;
}

/* At a region's first layer: the region as the file has it (its members
 * are the entries from here on that stream in it), added where it fits
 * when this budget slices it otherwise or not at all. */
static int add_forced_region(strat_problem_t *p, int l, const cJSON *entry, const forced_t *f,
                             sched_diag_t *diag) {
  if (!f->tiles || !f->stream || !cJSON_IsString(f->stream) ||
      find_layer(p, f->stream->valuestring) != l)
    return SCHED_OK;
  int n_ops = 0;
  for (const cJSON *e = entry; e && n_ops <= TILING_REGION_MAX; e = e->next, n_ops++) {
    const cJSON *stream = cJSON_GetObjectItemCaseSensitive(e, "stream");
    if (!cJSON_IsString(stream) || strcmp(stream->valuestring, f->stream->valuestring) != 0)
      break;
  }
  int rc = strat_problem_add_region_slicing(p, l, n_ops, f->strategy, f->tiles, diag);
  return rc == SCHED_ERR_INFEASIBLE ? SCHED_OK : rc;
}

/* Keeps the candidates of layer l that match one forced entry. */
static int force_layer(strat_problem_t *p, int l, const cJSON *entry, const char *path,
                       sched_diag_t *diag) {
  const char *name = p->g->ops[p->layers[l].op].name;
  const cJSON *strategy = cJSON_GetObjectItemCaseSensitive(entry, "strategy");
  const cJSON *tiles = cJSON_GetObjectItemCaseSensitive(entry, "tiles");
  const cJSON *pipelined = cJSON_GetObjectItemCaseSensitive(entry, "pipelined");
  tiling_strategy_t s;
  if (!cJSON_IsString(strategy) || tiling_strategy_parse(strategy->valuestring, &s) != SCHED_OK)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "%s: layer '%s': \"strategy\" must be one of Clustering, SOH, SOK, "
                          "HKSwitch, SOW",
                          path, name);
  if ((tiles && !cJSON_IsNumber(tiles)) || (pipelined && !cJSON_IsBool(pipelined)))
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "%s: layer '%s': \"tiles\" must be a number, \"pipelined\" a boolean",
                          path, name);
  if (tiles && !(tiles->valuedouble >= 1 && tiles->valuedouble <= INT32_MAX &&
                 tiles->valuedouble == floor(tiles->valuedouble)))
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "%s: layer '%s': \"tiles\" must be a whole number >= 1, got %g", path,
                          name, tiles->valuedouble);
  const cJSON *stream = cJSON_GetObjectItemCaseSensitive(entry, "stream");
  if (stream && !cJSON_IsString(stream) && !cJSON_IsNull(stream))
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "%s: layer '%s': \"stream\" must be the name of a region's first layer "
                          "or null",
                          path, name);
  strat_layer_t *layer = &p->layers[l];
  forced_t f = {.strategy = s,
                .tiles = tiles ? tiles->valueint : 0,
                .pipelined = pipelined ? (cJSON_IsTrue(pipelined) ? 1 : 0) : -1,
                .stream = stream};
  int rc = add_forced_region(p, l, entry, &f, diag);
  if (rc != SCHED_OK)
    return rc;
  int kept = keep_matching(p, l, &f, 0);
  if (kept == 0 && tiles && !cJSON_IsString(stream)) {
    int n = layer->n_cands;
    if ((rc = add_forced_slicing(p, l, &f, diag)) != SCHED_OK)
      return rc;
    kept = keep_matching(p, l, &f, n);
  }
  if (kept == 0) {
    char cands[512];
    list_candidates(layer, cands, sizeof cands);
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "%s: layer '%s': no candidate %s%s matches (candidates: %s)", path, name,
                          strategy->valuestring, tiles ? " with those tiles" : "", cands);
  }
  layer->n_cands = kept;
  return SCHED_OK;
}

/* A layer forced onto streaming-region candidates only needs one of those
 * regions that every member can stream in, or no plan satisfies the file. */
static int check_forced_regions(const strat_problem_t *p, const char *path, sched_diag_t *diag) {
  for (int l = 0; l < p->n_layers; l++) {
    const strat_layer_t *layer = &p->layers[l];
    bool outside = false, joinable = false;
    for (int c = 0; c < layer->n_cands; c++) {
      int region = layer->cands[c].region;
      outside = outside || region < 0;
      joinable = joinable || (region >= 0 && strat_region_joinable(p, region));
    }
    if (!outside && !joinable)
      return sched_diag_set(diag, SCHED_ERR_INPUT,
                            "%s: layer '%s' is forced to stream in a region whose other layers "
                            "the file forces out of it",
                            path, p->g->ops[layer->op].name);
  }
  return SCHED_OK;
}

int strat_problem_force_json(strat_problem_t *p, const char *path, sched_diag_t *diag) {
  char *text = read_text(path, diag);
  if (!text)
    return SCHED_ERR_INPUT;
  cJSON *root = sched_json_parse(text, strlen(text), path, diag);
  free(text);
  if (!root)
    return SCHED_ERR_INPUT;
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
  int rc = SCHED_OK;
  if (!cJSON_IsArray(layers))
    rc =
        sched_diag_set(diag, SCHED_ERR_INPUT, "%s: not a plan: expected {\"layers\": [...]}", path);
  if (rc != SCHED_OK)
    layers = NULL;
  const cJSON *entry;
  cJSON_ArrayForEach(entry, layers) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(entry, "name");
    int l = cJSON_IsString(name) ? find_layer(p, name->valuestring) : -1;
    if (l < 0) {
      rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s: unknown layer '%s'", path,
                          cJSON_IsString(name) ? name->valuestring : "(no \"name\")");
      break;
    }
    if ((rc = force_layer(p, l, entry, path, diag)) != SCHED_OK)
      break;
  }
  cJSON_Delete(root);
  if (rc == SCHED_OK)
    rc = check_forced_regions(p, path, diag);
  return rc;
}
