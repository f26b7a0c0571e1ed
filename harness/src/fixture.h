/*
** fixture.h: the per-case world behind the SDK's impcert_fx: DUT process,
** cloud listeners and session, jig socket, transcript and verdict.
** Runs inside the case's child process; the runner owns everything else.
*/
#ifndef IMPCERT_FIXTURE_H
#define IMPCERT_FIXTURE_H

#include <impcert/impcert.h>

#include "diag.h"
#include "profile.h"
#include "tls.h"

/* What a case needs from the run. */
struct fixture_setup {
  const struct impcert_case *tc;
  const struct profile *prof;
  struct tls_creds *creds;
  const char *bindir;      /* where impcert (and refimp) live */
  const char *dir;         /* the case's private work folder */
  const char *ca_path;     /* the CA the DUT must trust (PEM) */
  const char *pcap_path;   /* live capture file, or NULL */
  const char *keylog_path; /* TLS key log, or NULL */
  bool verbose;            /* print frames as they pass */
};

/* What the case produced (strings owned by the caller, ic_free). */
struct fixture_outcome {
  enum impcert_verdict verdict;
  char *message;
  char *details;
  char *transcript;
  char *firmware;    /* os_version of the first DeviceState seen, or NULL */
  long long device_ms; /* device time the case covered: on the virtual
                          clock the time the harness gave the DUT, in real
                          time the span from the first power-on to the
                          end; -1 if the DUT was never powered */
};

/* For the SDK's modules beside fixture.c (btpeer.c): send a jig message
** (waiting for the DUT's jig first; ends the test with verdict error if
** the profile has no jig or the send fails; `what` names it), every jig
** message received so far in order, the harness's clock, and one wait
** for input until deadline (fixture_now_ms time). */
void fixture_jig_send(impcert_fx *fx, const ProtobufCMessage *m,
                      const char *what);
Impjig__JigEnvelope *const *fixture_jig_history(impcert_fx *fx, size_t *n);
long long fixture_now_ms(void);
void fixture_wait(impcert_fx *fx, long long deadline);

/* Run one case to its end in this process. Never returns early: a plugin
** failure, a harness failure and a DUT failure all become an outcome. */
void fixture_run(const struct fixture_setup *s, struct fixture_outcome *out);

#endif
