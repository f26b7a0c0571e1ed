/*
** certify.h: `impcert certify`, `impcert verify` and `impcert keygen`.
** Owns the certification run (capability self-check, then the plan), the
** judgement and its summary; certdoc.c owns certificate.json.
*/
#ifndef IMPCERT_CERTIFY_H
#define IMPCERT_CERTIFY_H

#include <stdbool.h>

#include <impcert/impcert.h>

#include "plan.h"
#include "runner.h"

/* What the self-check found for one capability. */
enum cert_cap_status {
  CAP_UNPROBED = 0,  /* no probe in this suite */
  CAP_SHOWN,         /* every probe of it passed */
  CAP_ABSENT,        /* a probe failed: evidence that the DUT lacks it */
  CAP_UNDECIDED      /* no probe failed, but one could not decide */
};

struct cert_cap {
  const char *name;
  bool declared;
  enum cert_cap_status status;
  char *evidence;    /* "PROBE-ID verdict: message" of the deciding probe */
};

struct cert_test {
  const char *id, *suite, *title;
  enum plan_role role;      /* PLAN_NONE for a probe */
  bool probe;
  enum impcert_verdict verdict;
  bool flaky;               /* passed only on a retry */
  const char *quarantine;   /* quarantine entry text, or NULL */
  const char *message;
};

/* A growing list of lines. */
struct cert_lines {
  char **v;
  int n;
};
int cert_lines_add(struct cert_lines *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cert_lines_fini(struct cert_lines *l);

/* The verdict of a certification from its facts. not_in_class is the
** first plan `requires` capability the DUT lacks, or NULL. Every reason
** against the certificate goes to `why`, every fact worth reporting that
** does not block it (under-declared capabilities, optional tests that did
** not pass) to `notes`. Returns true if certified. */
bool certify_judge(const struct cert_cap *caps, int ncaps,
                   const char *not_in_class, const struct cert_test *tests,
                   int ntests, struct cert_lines *why,
                   struct cert_lines *notes);

/* Status of a capability from the verdicts of its probes. */
enum cert_cap_status certify_cap_status(const enum impcert_verdict *v,
                                        int n);
const char *certify_cap_status_name(enum cert_cap_status s);

/* The commands; each returns an ic_exit code. */
int certify_run(const struct run_opts *o, const char *version);
int certify_verify(const char *dir, const char *pubkey);
int certify_keygen(const char *priv, const char *pub);

#endif
