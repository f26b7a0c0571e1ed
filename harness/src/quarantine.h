/*
** quarantine.h: the known-failures file for nightly gating (test ID,
** expiry date, reason). Owns parsing and checking it; the runner decides
** what a quarantined result means (docs/impcert.md, "Quarantine").
*/
#ifndef IMPCERT_QUARANTINE_H
#define IMPCERT_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "diag.h"

struct quarantine_entry {
  char *id;         /* test ID, exact */
  char *expires;    /* YYYY-MM-DD: the last day the entry holds (UTC) */
  char *reason;     /* why it fails, e.g. an issue reference */
  int line;         /* where it is in the file */
};

struct quarantine {
  char *path;
  struct quarantine_entry *e;
  int n;
};

/* Read the file at path. `today` (UTC, "YYYY-MM-DD") is when the run
** happens: an entry that expired before it is an error. Returns 0, or -1
** with d naming file:line and what is wrong. On error q holds nothing. */
int quarantine_load(const char *path, const char *today, struct quarantine *q,
                    struct ic_diag *d);
void quarantine_fini(struct quarantine *q);

/* The entry for test `id`, or NULL. */
const struct quarantine_entry *quarantine_find(const struct quarantine *q,
                                               const char *id);

/* Today's UTC date as YYYY-MM-DD into buf (at least 11 bytes). */
void quarantine_today(char *buf, size_t n);

#endif
