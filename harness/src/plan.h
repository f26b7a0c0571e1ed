/*
** plan.h: certification plans (specs/plans/NAME.plan): which tests are
** mandatory or optional for a device class, and which capabilities select
** them. Owns parsing and checking a plan and classifying a test by it;
** knows nothing of running (specs/plans/README.md defines the format).
*/
#ifndef IMPCERT_PLAN_H
#define IMPCERT_PLAN_H

#include <stdbool.h>

#include "diag.h"
#include "profile.h"

enum plan_role { PLAN_NONE = 0, PLAN_OPTIONAL = 1, PLAN_MANDATORY = 2 };

struct plan_list {
  char **v;
  int n;
};

struct plan_rule {
  enum plan_role role;
  struct plan_list patterns;   /* test ID globs */
  struct plan_list when;       /* capabilities, all needed; empty: always */
  int line;
};

struct plan {
  char *path;
  char *name;
  char *title;
  struct plan_list requires;   /* the device class: capabilities needed */
  struct plan_rule *rules;
  int nrules;
};

/* Parse the plan at path. Returns 0, or -1 with d naming file:line and
** what is wrong. On error p holds nothing to free. */
int plan_load(const char *path, struct plan *p, struct ic_diag *d);
void plan_fini(struct plan *p);

/* Check every pattern against the suite's test IDs ids[0..n): a pattern
** that matches no test is an error naming the plan's file:line (a missing
** plugin must not shrink a plan silently). Returns 0 or -1 with d. */
int plan_check_ids(const struct plan *p, const char *const *ids, int n,
                   struct ic_diag *d);

/* The role of test `id` for a DUT with capabilities `caps`: mandatory if
** an active mandatory rule matches it, else optional if an active optional
** rule does, else none. A rule is active when caps has all its `when`. */
enum plan_role plan_role_of(const struct plan *p, const struct profile *caps,
                            const char *id);

/* The first capability of the plan's `requires` that caps lacks, copied
** into out (size n); false if caps has them all. */
bool plan_missing_requires(const struct plan *p, const struct profile *caps,
                           char *out, size_t n);

/* "mandatory", "optional" or "none". */
const char *plan_role_name(enum plan_role r);

#endif
