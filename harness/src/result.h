/*
** result.h: what one test case's run produced, as the reports need it.
** Filled by the runner, read by the JUnit writer and the terminal output.
*/
#ifndef IMPCERT_RESULT_H
#define IMPCERT_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <impcert/impcert.h>

struct ic_case_result {
  const char *suite;         /* plugin name: one JUnit testsuite each */
  const char *id;            /* test ID, e.g. "BOOT-001" */
  const char *title;
  const char *reqs;          /* requirement IDs, comma separated */
  enum impcert_verdict verdict;
  double seconds;            /* wall time of the case */
  char *message;             /* one-line reason for fail/skip/error/... */
  char *details;             /* every failed check, one per line */
  char *transcript;          /* the conversation as the harness saw it */
  char *dut_output;          /* the DUT's stdout and stderr */
  char *capture_path;        /* pcap of the case, or NULL */
  char *flaky;               /* --retries: one line per earlier attempt,
                                "fail: message" or "error: message"; the
                                verdict is that of the last attempt */
  const char *role;          /* certify: "mandatory", "optional", "probe";
                                NULL in a plain run (not owned) */
  char *quarantine;          /* "until DATE: reason" if quarantined */
  bool has_device_time;      /* the DUT was powered: device_seconds holds */
  double device_seconds;     /* device time the case covered (fixture.h
                                device_ms) */
};

/* Facts about the whole run that reports record. */
struct ic_run_info {
  const char *profile;       /* DUT profile path */
  const char *firmware;      /* firmware version the DUT reported, or "" */
  unsigned long seed;        /* run seed */
  const char *hostname;
  time_t started;            /* wall-clock start of the run */
  const char *order;         /* --shuffle: the IDs in run order, or NULL */
  const char *plan;          /* certify: the plan's name, or NULL */
  const char *certification; /* certify: "certified" or "not certified:
                                reason", or NULL */
};

/* Free the strings a result owns (not the struct). */
void result_fini(struct ic_case_result *r);

/* The lower-case name of a verdict: "pass", "fail", ... */
const char *result_verdict_name(enum impcert_verdict v);

#endif
