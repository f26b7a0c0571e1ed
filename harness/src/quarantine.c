/*
** quarantine.c: reads and checks the quarantine file.
** Format (docs/impcert.md): one entry per line, "ID EXPIRES REASON...",
** words separated by blanks; '#' starts a comment line.
*/
#include "quarantine.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

void quarantine_today(char *buf, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%d", &tm);
}

/* True if s is a real calendar date written YYYY-MM-DD. */
static bool valid_date(const char *s) {
  int y, m, d;
  char tail;
  if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
      sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return false;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
      return false;
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 2000 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
    return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

static bool valid_id(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && !strchr("-_.:", *s))
      return false;
  return true;
}

/* Parse one non-comment line into e; where is "file:line". */
static int parse_line(char *s, const char *where, const char *today,
                      struct quarantine_entry *e, struct ic_diag *d) {
  char *id = strtok(s, " \t");
  char *date = strtok(NULL, " \t");
  char *reason = strtok(NULL, "");
  while (reason && isspace((unsigned char)*reason))
    reason++;
  if (!date || !reason || !*reason)
    return ic_fail(d, "%s: expected 'TEST-ID YYYY-MM-DD reason', got '%s%s%s'",
                   where, id, date ? " " : "", date ? date : "");
  if (!valid_id(id))
    return ic_fail(d, "%s: '%s' is not a test ID", where, id);
  if (!valid_date(date))
    return ic_fail(d, "%s: expiry '%s' is not a date YYYY-MM-DD", where,
                   date);
  if (strcmp(date, today) < 0)
    return ic_fail(d, "%s: the quarantine of %s expired on %s (today is %s): "
                      "fix the test's failure, or renew the entry with a "
                      "reason", where, id, date, today);
  e->id = ic_strdup(id);
  e->expires = ic_strdup(date);
  e->reason = ic_strdup(reason);
  if (!e->id || !e->expires || !e->reason)
    return ic_fail(d, "%s: out of memory", where);
  return 0;
}

int quarantine_load(const char *path, const char *today, struct quarantine *q,
                    struct ic_diag *d) {
  memset(q, 0, sizeof *q);
  FILE *f = fopen(path, "r");
  if (!f)
    return ic_fail(d, "%s: %s", path, strerror(errno));
  char line[2048], where[512];
  int lineno = 0, rc = 0;
  if (!(q->path = ic_strdup(path)))
    rc = ic_fail(d, "out of memory");
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    snprintf(where, sizeof where, "%s:%d", path, lineno);
    if (!strchr(line, '\n') && !feof(f)) {
      rc = ic_fail(d, "%s: line longer than %zu bytes", where,
                   sizeof line - 1);
      break;
    }
    line[strcspn(line, "\r\n")] = '\0';
    char *s = line;
    while (isspace((unsigned char)*s))
      s++;
    if (!*s || *s == '#')
      continue;
    struct quarantine_entry *grown =
        ic_realloc(q->e, (size_t)(q->n + 1) * sizeof *grown);
    if (!grown) {
      rc = ic_fail(d, "%s: out of memory", where);
      break;
    }
    q->e = grown;
    struct quarantine_entry *e = &q->e[q->n++];
    memset(e, 0, sizeof *e);
    e->line = lineno;
    rc = parse_line(s, where, today, e, d);
    for (int i = 0; rc == 0 && i < q->n - 1; i++)
      if (!strcmp(q->e[i].id, e->id))
        rc = ic_fail(d, "%s: %s is already quarantined at line %d", where,
                     e->id, q->e[i].line);
  }
  fclose(f);
  if (rc != 0)
    quarantine_fini(q);
  return rc;
}

void quarantine_fini(struct quarantine *q) {
  for (int i = 0; i < q->n; i++) {
    ic_free(q->e[i].id);
    ic_free(q->e[i].expires);
    ic_free(q->e[i].reason);
  }
  ic_free(q->e);
  ic_free(q->path);
  memset(q, 0, sizeof *q);
}

const struct quarantine_entry *quarantine_find(const struct quarantine *q,
                                               const char *id) {
  for (int i = 0; q && i < q->n; i++)
    if (!strcmp(q->e[i].id, id))
      return &q->e[i];
  return NULL;
}
