/* glpk.c - GLPK calls whose failures come back as errors. GLPK reports a
 * bad argument (a name with a control character, bounds it refuses) by
 * printing a message and calling abort(); its error hook may instead leave
 * by longjmp, after which GLPK's whole environment must be freed. */
#include "common.h"

#include <glpk.h>
#include <setjmp.h>

typedef struct {
  jmp_buf env;
} glpk_guard_t;

static void on_glpk_error(void *info) { longjmp(((glpk_guard_t *)info)->env, 1); }

int sched_glpk_call(int (*body)(void *ctx), void *ctx, const char *what, bool *glpk_failed,
                    sched_diag_t *diag) {
  glpk_guard_t guard;
  *glpk_failed = false;
  glp_error_hook(on_glpk_error, &guard);
  if (setjmp(guard.env) != 0) {
    glp_error_hook(NULL, NULL);
    glp_free_env(); /* frees every GLPK object: body's problem is gone */
    *glpk_failed = true;
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "%s: GLPK failed on the model", what);
  }
  int rc = body(ctx);
  glp_error_hook(NULL, NULL);
  return rc;
}

void sched_glpk_name(const char *name, char out[SCHED_GLPK_NAME_MAX + 1]) {
  size_t n = 0;
  for (const char *c = name ? name : ""; *c && n < SCHED_GLPK_NAME_MAX; c++)
    out[n++] = (unsigned char)*c < 0x20 || *c == 0x7f ? '_' : *c;
  out[n] = '\0';
  if (n == 0)
    snprintf(out, SCHED_GLPK_NAME_MAX + 1, "unnamed");
}
