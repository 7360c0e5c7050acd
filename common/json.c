/* json.c - the one way a reader parses a JSON document: syntax errors and
 * text after the value are errors naming the line and column. */
#include "common.h"

#include <cjson/cJSON.h>

static void position_of(const char *text, size_t at, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < at; i++) {
    *col = text[i] == '\n' ? 1 : *col + 1;
    *line += text[i] == '\n';
  }
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

struct cJSON *sched_json_parse(const char *text, size_t len, const char *where,
                               sched_diag_t *diag) {
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
  size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
  if (root) {
    while (at < len && is_space(text[at]))
      at++;
    if (at == len || (text[at] == '\0' && at + 1 == len))
      return root;
    cJSON_Delete(root);
  }
  int line, col;
  position_of(text, at, &line, &col);
  sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d:%d: %s", where, line, col,
                 root ? "text after the JSON value" : "JSON syntax error");
  return NULL;
}
