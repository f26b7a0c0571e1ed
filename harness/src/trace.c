/*
** trace.c: requirement catalogue parsing and the coverage table.
*/
#include "trace.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Split a markdown table row into at most max trimmed cells (in place). */
static int cells(char *line, char **out, int max) {
  int n = 0;
  char *s = strchr(line, '|');
  while (s && n < max) {
    char *e = strchr(s + 1, '|');
    if (!e)
      break;
    *e = '\0';
    char *c = s + 1;
    while (isspace((unsigned char)*c))
      c++;
    char *t = c + strlen(c);
    while (t > c && isspace((unsigned char)t[-1]))
      *--t = '\0';
    out[n++] = c;
    s = e;
  }
  return n;
}

static bool is_req_id(const char *s) {
  const char *dash = strchr(s, '-');
  if (!dash || dash == s || strlen(dash + 1) != 3)
    return false;
  for (const char *p = s; p < dash; p++)
    if (!isupper((unsigned char)*p))
      return false;
  for (const char *p = dash + 1; *p; p++)
    if (!isdigit((unsigned char)*p))
      return false;
  return true;
}

int catalogue_load(const char *path, struct catalogue *c, struct ic_diag *d) {
  memset(c, 0, sizeof *c);
  FILE *f = fopen(path, "r");
  if (!f)
    return ic_fail(d, "%s: %s", path, strerror(errno));
  char line[4096];
  int lineno = 0, cap = 0, rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    char *cell[6];
    if (line[0] != '|' || cells(line, cell, 6) < 5 || !is_req_id(cell[0]))
      continue;
    for (int i = 0; i < c->n; i++)
      if (!strcmp(c->reqs[i].id, cell[0]))
        rc = ic_fail(d, "%s:%d: requirement %s listed twice", path, lineno,
                     cell[0]);
    if (rc)
      break;
    if (c->n == cap) {
      cap = cap ? cap * 2 : 256;
      struct requirement *nr = ic_realloc(c->reqs, (size_t)cap * sizeof *nr);
      if (!nr) {
        rc = ic_fail(d, "out of memory");
        break;
      }
      c->reqs = nr;
    }
    struct requirement *r = &c->reqs[c->n++];
    r->id = ic_strdup(cell[0]);
    r->text = ic_strdup(cell[1]);
    r->untestable = strncmp(cell[4], "no", 2) == 0
                        ? ic_strdup(cell[4][2] == ':' ? cell[4] + 3 : cell[4])
                        : NULL;
  }
  fclose(f);
  if (rc == 0 && c->n == 0)
    rc = ic_fail(d, "%s: no requirement rows found", path);
  if (rc)
    catalogue_fini(c);
  return rc;
}

void catalogue_fini(struct catalogue *c) {
  for (int i = 0; i < c->n; i++) {
    ic_free(c->reqs[i].id);
    ic_free(c->reqs[i].text);
    ic_free(c->reqs[i].untestable);
  }
  ic_free(c->reqs);
  memset(c, 0, sizeof *c);
}

/* True if the comma-separated list has the item. */
static bool list_has(const char *list, const char *item) {
  size_t n = strlen(item);
  for (const char *s = list ? list : ""; *s;) {
    while (*s == ',' || *s == ' ')
      s++;
    size_t len = strcspn(s, ", ");
    if (len == n && !strncmp(s, item, n))
      return true;
    s += len;
  }
  return false;
}


int trace_print(const struct catalogue *c, const struct plugin *ps, int np,
                bool json) {
  int covered = 0, untestable = 0, uncovered = 0, unknown = 0;
  if (json)
    printf("{\"requirements\": [");
  for (int i = 0; i < c->n; i++) {
    const struct requirement *r = &c->reqs[i];
    int hits = 0;
    if (json) {
      printf("%s\n {\"id\": \"%s\", \"tests\": [", i ? "," : "", r->id);
    } else
      printf("%-10s ", r->id);
    for (int p = 0; p < np; p++)
      for (size_t k = 0; k < ps[p].info->ncases; k++)
        if (list_has(ps[p].info->cases[k].reqs, r->id)) {
          if (json)
            printf("%s\"%s\"", hits ? ", " : "", ps[p].info->cases[k].id);
          else
            printf("%s%s", hits ? " " : "", ps[p].info->cases[k].id);
          hits++;
        }
    const char *state = hits ? "covered"
                        : r->untestable ? "untestable"
                                        : "UNCOVERED";
    if (json) {
      printf("], \"state\": \"%s\"", hits ? "covered"
                                     : r->untestable ? "untestable"
                                                     : "uncovered");
      if (r->untestable && !hits) {
        printf(", \"why\": ");
        ic_json_str(stdout, r->untestable);
      }
      printf("}");
    } else if (!hits)
      printf("%s%s%s", state, r->untestable ? ": " : "",
             r->untestable ? r->untestable : "");
    if (!json)
      putchar('\n');
    if (hits)
      covered++;
    else if (r->untestable)
      untestable++;
    else
      uncovered++;
  }
  /* Tests naming requirements the catalogue does not have. */
  if (json)
    printf("\n], \"unknown_references\": [");
  for (int p = 0; p < np; p++)
    for (size_t k = 0; k < ps[p].info->ncases; k++) {
      const char *s = ps[p].info->cases[k].reqs ? ps[p].info->cases[k].reqs : "";
      while (*s) {
        while (*s == ',' || *s == ' ')
          s++;
        size_t len = strcspn(s, ", ");
        bool found = len == 0;
        for (int i = 0; !found && i < c->n; i++)
          found = strlen(c->reqs[i].id) == len &&
                  !strncmp(c->reqs[i].id, s, len);
        if (!found) {
          if (json)
            printf("%s{\"test\": \"%s\", \"requirement\": \"%.*s\"}",
                   unknown ? ", " : "", ps[p].info->cases[k].id, (int)len, s);
          else
            printf("test %s names unknown requirement %.*s\n",
                   ps[p].info->cases[k].id, (int)len, s);
          unknown++;
        }
        s += len;
      }
    }
  if (json)
    printf("],\n \"covered\": %d, \"untestable\": %d, \"uncovered\": %d}\n",
           covered, untestable, uncovered);
  else
    printf("%d requirements: %d covered, %d untestable (with reason), "
           "%d uncovered; %d unknown references\n",
           c->n, covered, untestable, uncovered, unknown);
  return uncovered + unknown;
}
