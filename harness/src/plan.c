/*
** plan.c: reads, checks and applies certification plans.
** A plan is key = value lines like a DUT profile; `mandatory` and
** `optional` may repeat and take "GLOB, GLOB... [when CAP, CAP...]".
*/
#include "plan.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    *--e = '\0';
  return s;
}

static void list_fini(struct plan_list *l) {
  for (int i = 0; i < l->n; i++)
    ic_free(l->v[i]);
  ic_free(l->v);
  l->v = NULL;
  l->n = 0;
}

static int list_add(struct plan_list *l, const char *s) {
  char **v = ic_realloc(l->v, (size_t)(l->n + 1) * sizeof *v);
  if (!v)
    return -1;
  l->v = v;
  if (!(l->v[l->n] = ic_strdup(s)))
    return -1;
  l->n++;
  return 0;
}

/* A test-ID glob: letters, digits, '-', '_', '.', and glob characters;
** a leading '!' excludes what the rest matches. */
static bool valid_pattern(const char *s) {
  s += *s == '!';
  if (!*s)
    return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && !strchr("-_.*?[]!#", *s))
      return false;
  return true;
}

/* Split comma-separated v into l, checking each word with ok(); what
** names the kind of word for messages. */
static int split(char *v, struct plan_list *l, bool (*ok)(const char *),
                 const char *what, const char *where, struct ic_diag *d) {
  char *save = NULL;
  for (char *tok = strtok_r(v, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    char *w = trim(tok);
    if (!ok(w))
      return ic_fail(d, "%s: '%s' is not a %s", where, w, what);
    if (list_add(l, w) < 0)
      return ic_fail(d, "%s: out of memory", where);
  }
  if (l->n == 0)
    return ic_fail(d, "%s: no %s given", where, what);
  return 0;
}

static bool known_cap(const char *c) { return profile_known_cap(c); }

/* "GLOBS [when CAPS]" into a new rule. */
static int add_rule(struct plan *p, enum plan_role role, char *v,
                    const char *where, int line, struct ic_diag *d) {
  struct plan_rule *r =
      ic_realloc(p->rules, (size_t)(p->nrules + 1) * sizeof *r);
  if (!r)
    return ic_fail(d, "%s: out of memory", where);
  p->rules = r;
  r = &p->rules[p->nrules++];
  memset(r, 0, sizeof *r);
  r->role = role;
  r->line = line;
  char *when = NULL;
  for (char *s = v; (s = strstr(s, "when")); s += 4)
    if ((s == v || isspace((unsigned char)s[-1])) &&
        (!s[4] || isspace((unsigned char)s[4]))) {
      *s = '\0';
      when = s + 4;
      break;
    }
  if (split(v, &r->patterns, valid_pattern, "test ID pattern", where, d) < 0)
    return -1;
  if (when && split(when, &r->when, known_cap,
                    "capability of specs/capabilities.md", where, d) < 0)
    return -1;
  return 0;
}

static int set_key(struct plan *p, const char *key, char *val,
                   const char *where, int line, struct ic_diag *d) {
  char **str = !strcmp(key, "name")    ? &p->name
               : !strcmp(key, "title") ? &p->title
                                       : NULL;
  if (str) {
    if (*str)
      return ic_fail(d, "%s: '%s' given twice", where, key);
    if (!(*str = ic_strdup(val)))
      return ic_fail(d, "%s: out of memory", where);
    return 0;
  }
  if (!strcmp(key, "requires")) {
    if (p->requires.n)
      return ic_fail(d, "%s: 'requires' given twice", where);
    return split(val, &p->requires, known_cap,
                 "capability of specs/capabilities.md", where, d);
  }
  if (!strcmp(key, "mandatory"))
    return add_rule(p, PLAN_MANDATORY, val, where, line, d);
  if (!strcmp(key, "optional"))
    return add_rule(p, PLAN_OPTIONAL, val, where, line, d);
  return ic_fail(d, "%s: unknown key '%s' (see specs/plans/README.md)",
                 where, key);
}

int plan_load(const char *path, struct plan *p, struct ic_diag *d) {
  memset(p, 0, sizeof *p);
  FILE *f = fopen(path, "r");
  if (!f)
    return ic_fail(d, "%s: %s", path, strerror(errno));
  char line[4096], where[512];
  int lineno = 0, rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    snprintf(where, sizeof where, "%s:%d", path, lineno);
    if (!strchr(line, '\n') && !feof(f)) {
      rc = ic_fail(d, "%s: line longer than %zu bytes", where,
                   sizeof line - 1);
      break;
    }
    char *s = trim(line);
    if (!*s || *s == '#')
      continue;
    char *eq = strchr(s, '=');
    if (!eq) {
      rc = ic_fail(d, "%s: expected 'key = value', got '%s'", where, s);
      break;
    }
    *eq = '\0';
    char *key = trim(s), *val = trim(eq + 1);
    if (!*val)
      rc = ic_fail(d, "%s: '%s' has no value", where, key);
    else
      rc = set_key(p, key, val, where, lineno, d);
  }
  fclose(f);
  if (rc == 0 && !p->name)
    rc = ic_fail(d, "%s: no 'name' key: a certificate must name its plan",
                 path);
  if (rc == 0 && !p->nrules)
    rc = ic_fail(d, "%s: no 'mandatory' or 'optional' rule: the plan "
                    "selects no test", path);
  if (rc == 0) {
    bool any = false;
    for (int i = 0; i < p->nrules; i++)
      any |= p->rules[i].role == PLAN_MANDATORY;
    if (!any)
      rc = ic_fail(d, "%s: no 'mandatory' rule: a plan must make some test "
                      "mandatory", path);
  }
  if (rc == 0 && !p->title && !(p->title = ic_strdup(p->name)))
    rc = ic_fail(d, "out of memory");
  if (rc == 0 && !(p->path = ic_strdup(path)))
    rc = ic_fail(d, "out of memory");
  if (rc != 0)
    plan_fini(p);
  return rc;
}

void plan_fini(struct plan *p) {
  for (int i = 0; i < p->nrules; i++) {
    list_fini(&p->rules[i].patterns);
    list_fini(&p->rules[i].when);
  }
  ic_free(p->rules);
  list_fini(&p->requires);
  ic_free(p->path);
  ic_free(p->name);
  ic_free(p->title);
  memset(p, 0, sizeof *p);
}

int plan_check_ids(const struct plan *p, const char *const *ids, int n,
                   struct ic_diag *d) {
  for (int r = 0; r < p->nrules; r++)
    for (int k = 0; k < p->rules[r].patterns.n; k++) {
      const char *pat = p->rules[r].patterns.v[k];
      pat += pat[0] == '!';
      bool hit = false;
      for (int i = 0; i < n && !hit; i++)
        hit = fnmatch(pat, ids[i], 0) == 0;
      if (!hit)
        return ic_fail(d, "%s:%d: '%s' matches no test of the loaded "
                          "plugins: a plugin is missing or the plan is "
                          "wrong", p->path, p->rules[r].line, pat);
    }
  return 0;
}

static bool rule_active(const struct plan_rule *r, const struct profile *c) {
  for (int i = 0; i < r->when.n; i++)
    if (!profile_has(c, r->when.v[i]))
      return false;
  return true;
}

/* A rule matches an ID that one of its patterns matches and none of its
** "!" patterns does. */
static bool rule_matches(const struct plan_rule *r, const char *id) {
  bool hit = false;
  for (int i = 0; i < r->patterns.n; i++) {
    const char *pat = r->patterns.v[i];
    if (pat[0] == '!' && fnmatch(pat + 1, id, 0) == 0)
      return false;
    hit |= pat[0] != '!' && fnmatch(pat, id, 0) == 0;
  }
  return hit;
}

enum plan_role plan_role_of(const struct plan *p, const struct profile *caps,
                            const char *id) {
  enum plan_role best = PLAN_NONE;
  for (int i = 0; i < p->nrules; i++) {
    const struct plan_rule *r = &p->rules[i];
    if (r->role > best && rule_active(r, caps) && rule_matches(r, id))
      best = r->role;
  }
  return best;
}

bool plan_missing_requires(const struct plan *p, const struct profile *caps,
                           char *out, size_t n) {
  for (int i = 0; i < p->requires.n; i++)
    if (!profile_has(caps, p->requires.v[i])) {
      snprintf(out, n, "%s", p->requires.v[i]);
      return true;
    }
  return false;
}

const char *plan_role_name(enum plan_role r) {
  switch (r) {
  case PLAN_MANDATORY:
    return "mandatory";
  case PLAN_OPTIONAL:
    return "optional";
  case PLAN_NONE:
    break;
  }
  return "none";
}
