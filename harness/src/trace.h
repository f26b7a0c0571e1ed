/*
** trace.h: the requirement catalogue (specs/requirements.md) and which
** tests cover each requirement. Owns parsing the catalogue's strict table
** format; knows nothing of running tests.
*/
#ifndef IMPCERT_TRACE_H
#define IMPCERT_TRACE_H

#include <stdbool.h>

#include "diag.h"
#include "plugin.h"

struct requirement {
  char *id;          /* "BOOT-001" */
  char *text;        /* the MUST sentence */
  char *untestable;  /* why it cannot be observed, or NULL */
};

struct catalogue {
  struct requirement *reqs;
  int n;
};

/* Read the catalogue at path. Returns 0, or -1 with d naming file:line. */
int catalogue_load(const char *path, struct catalogue *c, struct ic_diag *d);
void catalogue_fini(struct catalogue *c);

/* `impcert trace`: print each requirement with the tests covering it, flag
** the uncovered ones and test references to unknown IDs. Returns the
** number of problems (uncovered + unknown references). */
int trace_print(const struct catalogue *c, const struct plugin *ps, int np,
                bool json);

#endif
