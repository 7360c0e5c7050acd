/* print.c - the advisor's report as a ranked text table and as JSON. Both
 * print only measured figures and the table's texts, so they are
 * deterministic. */
#include "advisor/advisor.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static void sites_text(const advisor_finding_t *f, int max_listed, FILE *out) {
  fprintf(out, "      sites:");
  for (int i = 0; i < f->n_sites && i < max_listed; i++)
    fprintf(out, "%s %s", i ? "," : "", f->sites[i].name);
  if (f->n_sites > max_listed)
    fprintf(out, " (+%d more)", f->n_sites - max_listed);
  fputc('\n', out);
  if (f->sites[0].note[0])
    fprintf(out, "      %s%s\n", f->sites[0].note, f->n_sites > 1 ? " (first site)" : "");
}

static void finding_text(const advisor_finding_t *f, int rank, const advisor_params_t *params,
                         FILE *out) {
  if (f->status == SCHED_OK)
    fprintf(out, "%4d %12.2f %8.2f%% %-26s %5d  %s\n", rank, f->saving_us, f->saving_pct,
            f->kind->id, f->n_sites, f->kind->title);
  else
    fprintf(out, "%4s %12s %9s %-26s %5d  %s\n", "-", "-", "-", f->kind->id, f->n_sites,
            f->kind->title);
  fprintf(out, "      rewrite: %s\n", f->kind->rewrite);
  sites_text(f, params->max_listed_sites, out);
  if (f->status == SCHED_OK)
    fprintf(out, "      latency_us after: %.2f\n", f->after.latency_us);
  else
    fprintf(out, "      not measured: %s\n", f->error);
  fprintf(out, "      caveat: %s\n", f->kind->caveat);
}

void advisor_report_text(const advisor_report_t *r, const char *net, const advisor_params_t *params,
                         FILE *out) {
  fprintf(out, "# sched advise: net %s, baseline latency_us %.2f\n", net, r->baseline.latency_us);
  if (r->n_findings == 0) {
    fprintf(out, "no findings\n");
    return;
  }
  fprintf(out, "%4s %12s %9s %-26s %5s  %s\n", "rank", "saving_us", "saving", "finding", "sites",
          "what");
  for (int i = 0; i < r->n_findings; i++)
    finding_text(&r->findings[i], i + 1, params, out);
}

static cJSON *finding_json(const advisor_finding_t *f, int rank) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "rank", rank);
  cJSON_AddStringToObject(j, "id", f->kind->id);
  cJSON_AddStringToObject(j, "title", f->kind->title);
  cJSON_AddStringToObject(j, "rewrite", f->kind->rewrite);
  cJSON_AddStringToObject(j, "caveat", f->kind->caveat);
  cJSON_AddNumberToObject(j, "n_sites", f->n_sites);
  cJSON *sites = cJSON_AddArrayToObject(j, "sites");
  for (int i = 0; i < f->n_sites; i++) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "name", f->sites[i].name);
    cJSON_AddStringToObject(s, "note", f->sites[i].note);
    cJSON_AddItemToArray(sites, s);
  }
  cJSON_AddBoolToObject(j, "measured", f->status == SCHED_OK);
  if (f->status != SCHED_OK) {
    cJSON_AddStringToObject(j, "error", f->error);
    return j;
  }
  cJSON_AddNumberToObject(j, "latency_us", f->after.latency_us);
  cJSON_AddNumberToObject(j, "saving_us", f->saving_us);
  cJSON_AddNumberToObject(j, "saving_pct", f->saving_pct);
  return j;
}

int advisor_report_json(const advisor_report_t *r, const char *net, FILE *out) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "net", net);
  cJSON_AddNumberToObject(root, "baseline_latency_us", r->baseline.latency_us);
  cJSON *findings = cJSON_AddArrayToObject(root, "findings");
  for (int i = 0; i < r->n_findings; i++)
    cJSON_AddItemToArray(findings, finding_json(&r->findings[i], i + 1));
  char *text = sched_json_print(root, true);
  cJSON_Delete(root);
  if (!text)
    return SCHED_ERR_NOMEM;
  fprintf(out, "%s\n", text);
  free(text);
  return SCHED_OK;
}
