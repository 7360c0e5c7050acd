/* arch_internal.h - what the files of arch/ share beyond arch.h. */
#ifndef SCHED_ARCH_INTERNAL_H
#define SCHED_ARCH_INTERNAL_H

#include "arch/arch.h"

/* Rules of `kind` that op (and its fused activation) breaks; appends a
 * finding per broken rule to out and marks rules it could not check
 * (out may be NULL). */
int arch_i_op_breaks(const arch_t *a, const ir_graph_t *g, int op, arch_rule_kind_t kind,
                     arch_check_t *out);

/* Reads the operator-rule keys of an arch file ("restrictions", "tips",
 * "npu_ops", "npu_generic_ops", "source") from a cJSON value into a->rules;
 * errors name the file, key and rule. */
struct cJSON;
int arch_i_rules_read(const char *path, const char *key, const struct cJSON *v, arch_t *a,
                      sched_diag_t *diag);
/* Whether key is one arch_i_rules_read handles. */
bool arch_i_rules_key(const char *key);
/* Prints the rule summary lines of arch_describe (none on VPU presets). */
void arch_i_rules_describe(const arch_t *a, FILE *out);

#endif
