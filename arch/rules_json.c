/* rules_json.c - the operator-rule keys of arch files.
 *
 *   "source": "where the rules come from",
 *   "notes": ["free text for readers", ...],
 *   "npu_ops": ["conv", "depthwise_conv", ...] or ["all"],
 *   "npu_generic_ops": ["Split", ...],        imported op types the NPU runs
 *   "restrictions": [RULE, ...],               broken: the op runs on the CPU
 *   "tips": [RULE, ...]                        missed: the op runs slower
 *
 *   RULE = {"id": "conv.kernel_size", "ops": ["conv", ...],
 *           "text": "the source's wording",
 *           "when": ["kernel > 7"],            optional: where the rule applies
 *           "require": ["stride == 1"]         all must hold, or
 *           "any_of": [[...], [...]]           one configuration must hold, or
 *           "avoid": true,                     the op class itself is the issue
 *           "note": "free text"}
 *
 * Conditions are "PARAM OP VALUE" strings (arch_cond_parse). A file that
 * lists restrictions or tips replaces those of its base. */
#include <string.h>

#include <cjson/cJSON.h>

#include "arch/arch_internal.h"

typedef struct {
  const char *path;
  const char *where; /* "restrictions[3] 'conv.kernel_size'" */
  arch_rules_t *r;
  sched_diag_t *diag;
} rctx_t;

static int rerr(const rctx_t *c, const char *what) {
  return sched_diag_set(c->diag, SCHED_ERR_INPUT, "arch file %s: %s: %s", c->path, c->where, what);
}

static int read_conds(const rctx_t *c, const cJSON *arr, arch_cond_span_t *span) {
  if (!cJSON_IsArray(arr))
    return rerr(c, "conditions must be an array of \"PARAM OP VALUE\" strings");
  *span = (arch_cond_span_t){.first = (int16_t)c->r->n_conds};
  for (const cJSON *e = arr->child; e; e = e->next) {
    if (!cJSON_IsString(e))
      return rerr(c, "conditions must be strings");
    if (c->r->n_conds == ARCH_CONDS_MAX)
      return rerr(c, "too many conditions in this file");
    sched_diag_t d = {{0}};
    if (arch_cond_parse(e->valuestring, &c->r->conds[c->r->n_conds], &d) != SCHED_OK)
      return rerr(c, d.msg);
    c->r->n_conds++;
    span->count++;
  }
  return SCHED_OK;
}

static int read_ops(const rctx_t *c, const cJSON *arr, uint64_t *mask) {
  if (!cJSON_IsArray(arr) || !arr->child)
    return rerr(c, "'ops' must be a non-empty array of op classes");
  *mask = 0;
  for (const cJSON *e = arr->child; e; e = e->next) {
    int cls;
    if (cJSON_IsString(e) && strcmp(e->valuestring, "all") == 0) {
      *mask = ARCH_OP_CLASSES_ALL;
      continue;
    }
    if (!cJSON_IsString(e) || arch_op_class_parse(e->valuestring, &cls) != SCHED_OK) {
      char msg[96];
      snprintf(msg, sizeof msg, "unknown op class '%s'",
               cJSON_IsString(e) ? e->valuestring : "(not a string)");
      return rerr(c, msg);
    }
    *mask |= UINT64_C(1) << cls;
  }
  return SCHED_OK;
}

static int read_string(const rctx_t *c, const cJSON *rule, const char *key, char *out, size_t len) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(rule, key);
  if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) >= len) {
    char msg[96];
    snprintf(msg, sizeof msg, "'%s' must be a string of 1 to %zu characters", key, len - 1);
    return rerr(c, msg);
  }
  snprintf(out, len, "%s", v->valuestring);
  return SCHED_OK;
}

static int read_alternatives(const rctx_t *c, const cJSON *any_of, arch_rule_t *rule) {
  if (!cJSON_IsArray(any_of) || !any_of->child)
    return rerr(c, "'any_of' must be a non-empty array of condition arrays");
  for (const cJSON *alt = any_of->child; alt; alt = alt->next) {
    if (rule->n_alts == ARCH_RULE_ALTS_MAX)
      return rerr(c, "too many alternatives in 'any_of'");
    int rc = read_conds(c, alt, &rule->alts[rule->n_alts++]);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

static int check_rule_keys(const rctx_t *c, const cJSON *obj) {
  static const char *const keys[] = {"id",      "ops",    "text",  "when",
                                     "require", "any_of", "avoid", "note"};
  for (const cJSON *v = obj->child; v; v = v->next) {
    bool known = false;
    for (int i = 0; i < SCHED_ARRAY_LEN(keys); i++)
      known |= strcmp(v->string, keys[i]) == 0;
    if (!known) {
      char msg[96];
      snprintf(msg, sizeof msg, "unknown key '%s'", v->string);
      return rerr(c, msg);
    }
  }
  return SCHED_OK;
}

static int read_body(const rctx_t *c, const cJSON *obj, arch_rule_t *rule) {
  const cJSON *when = cJSON_GetObjectItemCaseSensitive(obj, "when");
  const cJSON *require = cJSON_GetObjectItemCaseSensitive(obj, "require");
  const cJSON *any_of = cJSON_GetObjectItemCaseSensitive(obj, "any_of");
  const cJSON *avoid = cJSON_GetObjectItemCaseSensitive(obj, "avoid");
  int rc = read_ops(c, cJSON_GetObjectItemCaseSensitive(obj, "ops"), &rule->ops);
  if (rc == SCHED_OK && when)
    rc = read_conds(c, when, &rule->when);
  if (rc != SCHED_OK)
    return rc;
  if (!!require + !!any_of + !!avoid != 1)
    return rerr(c, "needs exactly one of 'require', 'any_of' or 'avoid'");
  if (avoid) {
    rule->avoid = cJSON_IsTrue(avoid);
    return cJSON_IsBool(avoid) && rule->avoid ? SCHED_OK : rerr(c, "'avoid' must be true");
  }
  if (any_of)
    return read_alternatives(c, any_of, rule);
  rule->n_alts = 1;
  return read_conds(c, require, &rule->alts[0]);
}

static int read_rule(const rctx_t *c, const cJSON *obj, arch_rule_kind_t kind) {
  if (!cJSON_IsObject(obj))
    return rerr(c, "a rule must be an object");
  if (c->r->n_rules == ARCH_RULES_MAX)
    return rerr(c, "too many rules in this file");
  arch_rule_t *rule = &c->r->rules[c->r->n_rules];
  *rule = (arch_rule_t){.kind = kind};
  int rc = check_rule_keys(c, obj);
  if (rc == SCHED_OK)
    rc = read_string(c, obj, "id", rule->id, sizeof rule->id);
  if (rc == SCHED_OK)
    rc = read_string(c, obj, "text", rule->text, sizeof rule->text);
  if (rc == SCHED_OK)
    rc = read_body(c, obj, rule);
  if (rc == SCHED_OK)
    c->r->n_rules++;
  return rc;
}

/* Drops the base's rules of one kind (the file's list replaces them). */
static void drop_kind(arch_rules_t *r, arch_rule_kind_t kind) {
  int kept = 0;
  for (int i = 0; i < r->n_rules; i++)
    if (r->rules[i].kind != kind)
      r->rules[kept++] = r->rules[i];
  r->n_rules = kept; /* their conditions stay in the pool, unreferenced */
}

static int read_rules(const char *path, const char *key, const cJSON *arr, arch_rules_t *r,
                      sched_diag_t *diag) {
  arch_rule_kind_t kind = strcmp(key, "tips") == 0 ? ARCH_RULE_TIP : ARCH_RULE_RESTRICTION;
  rctx_t c = {path, key, r, diag};
  if (!cJSON_IsArray(arr))
    return rerr(&c, "must be an array of rules");
  drop_kind(r, kind);
  int index = 0;
  for (const cJSON *e = arr->child; e; e = e->next, index++) {
    char where[96];
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    snprintf(where, sizeof where, "%s[%d] '%s'", key, index,
             cJSON_IsString(id) ? id->valuestring : "?");
    c.where = where;
    int rc = read_rule(&c, e, kind);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

static int read_generic_ops(const rctx_t *c, const cJSON *arr) {
  if (!cJSON_IsArray(arr))
    return rerr(c, "must be an array of op type names");
  c->r->n_generic_ops = 0;
  for (const cJSON *e = arr->child; e; e = e->next) {
    if (!cJSON_IsString(e) || strlen(e->valuestring) >= ARCH_GENERIC_NAME_MAX)
      return rerr(c, "op type names must be strings shorter than 24 characters");
    if (c->r->n_generic_ops == ARCH_GENERIC_OPS_MAX)
      return rerr(c, "too many op types");
    snprintf(c->r->generic_ops[c->r->n_generic_ops++], ARCH_GENERIC_NAME_MAX, "%s", e->valuestring);
  }
  return SCHED_OK;
}

static int read_notes(const rctx_t *c, const cJSON *v) {
  if (cJSON_IsString(v))
    return SCHED_OK;
  if (!cJSON_IsArray(v))
    return rerr(c, "must be a string or an array of strings");
  for (const cJSON *e = v->child; e; e = e->next)
    if (!cJSON_IsString(e))
      return rerr(c, "must be a string or an array of strings");
  return SCHED_OK;
}

bool arch_i_rules_key(const char *key) {
  static const char *const keys[] = {"source",          "notes",        "npu_ops",
                                     "npu_generic_ops", "restrictions", "tips"};
  for (int i = 0; i < SCHED_ARRAY_LEN(keys); i++)
    if (strcmp(key, keys[i]) == 0)
      return true;
  return false;
}

int arch_i_rules_read(const char *path, const char *key, const cJSON *v, arch_t *a,
                      sched_diag_t *diag) {
  rctx_t c = {path, key, &a->rules, diag};
  if (strcmp(key, "restrictions") == 0 || strcmp(key, "tips") == 0)
    return read_rules(path, key, v, &a->rules, diag);
  if (strcmp(key, "npu_ops") == 0)
    return read_ops(&c, v, &a->rules.npu_ops);
  if (strcmp(key, "npu_generic_ops") == 0)
    return read_generic_ops(&c, v);
  if (strcmp(key, "notes") == 0)
    return read_notes(&c, v);
  if (!cJSON_IsString(v) || strlen(v->valuestring) >= ARCH_SOURCE_MAX)
    return rerr(&c, "must be a string shorter than 512 characters");
  snprintf(a->rules.source, sizeof a->rules.source, "%s", v->valuestring);
  return SCHED_OK;
}

void arch_i_rules_describe(const arch_t *a, FILE *out) {
  const arch_rules_t *r = &a->rules;
  if (r->n_rules == 0 && r->npu_ops == ARCH_OP_CLASSES_ALL)
    return;
  int tips = 0;
  for (int i = 0; i < r->n_rules; i++)
    tips += r->rules[i].kind == ARCH_RULE_TIP;
  fprintf(out, "# operator rules: %d restrictions, %d tips%s\n", r->n_rules - tips, tips,
          r->fallback_downstream ? ", fallback_downstream" : "");
  if (r->source[0])
    fprintf(out, "# source: %s\n", r->source);
  fprintf(out, "# npu_ops:");
  for (int k = 1; k < ARCH_OP_CLASS_COUNT; k++)
    if (r->npu_ops & (UINT64_C(1) << k))
      fprintf(out, " %s", arch_op_class_name(k));
  fputc('\n', out);
}
