/* json.c - the one way a reader parses a JSON document (syntax errors and
 * text after the value are errors naming the line and column) and the one
 * way a writer prints one (always valid UTF-8). */
#include "common.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

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

/* Length of the well-formed UTF-8 sequence at s (Unicode 15, table 3-7),
 * or 0 when the byte at s does not start one. */
static int utf8_sequence(const unsigned char *s) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  int n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
  unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
  for (int i = 1; i < n; i++) /* stops at the NUL: it is no continuation byte */
    if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xBF))
      return 0;
  return n;
}

char *sched_utf8_repair(const char *s) {
  size_t len = 0; /* each bad byte grows by 2 (U+FFFD is 3 bytes) */
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    int n = utf8_sequence(p);
    len += n ? (size_t)n : 3;
    p += n ? n : 1;
  }
  char *out = malloc(len + 1), *o = out;
  if (!out)
    return NULL;
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    int n = utf8_sequence(p);
    if (n == 0) {
      memcpy(o, "\xEF\xBF\xBD", 3);
      o += 3;
      p++;
      continue;
    }
    memcpy(o, p, (size_t)n);
    o += n;
    p += n;
  }
  *o = '\0';
  return out;
}

char *sched_json_print(const cJSON *root, bool pretty) {
  char *text = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
  if (!text)
    return NULL;
  char *valid = sched_utf8_repair(text);
  cJSON_free(text);
  return valid;
}
