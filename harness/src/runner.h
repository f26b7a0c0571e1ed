/*
** runner.h: selecting cases and running each in its own child process
** with a deadline, up to N at once; collecting results in a stable order.
** Owns scheduling, isolation and the terminal lines; the fixture owns what
** happens inside a case, the JUnit writer the report.
*/
#ifndef IMPCERT_RUNNER_H
#define IMPCERT_RUNNER_H

#include <stdbool.h>

/* impcert's exit codes (docs/impcert.md): stable, never renumbered. */
enum ic_exit {
  IC_EXIT_OK = 0,       /* every selected test passed or was skipped */
  IC_EXIT_FAILED = 1,   /* a test failed, errored or was inconclusive */
  IC_EXIT_USAGE = 2     /* bad command line, profile, plugin folder... */
};

struct run_opts {
  const char *profile;     /* DUT profile path */
  const char *plugin_dir;  /* folder of *.so plugins */
  const char *filter;      /* glob on test IDs, or NULL */
  const char *junit;       /* JUnit XML path, or NULL */
  const char *html;        /* HTML report path, or NULL */
  const char *capture_dir; /* pcap + key log per test, or NULL */
  const char *bindir;      /* folder of the impcert binary ({bindir}) */
  int jobs;                /* tests at once, >= 1 */
  int shard_k, shard_n;    /* run slice K of N (1-based); 0/0: all */
  int repeat;              /* rounds of the whole selection, >= 1 */
  bool until_fail;         /* stop after the first round with a failure */
  int retries;             /* re-runs of a case that did not pass */
  bool verbose, quiet;
};

/* `impcert run`. Returns an ic_exit code; messages go to stderr. */
int runner_run(const struct run_opts *o);

/* `impcert list`: the selected cases, one per line (or JSON). */
int runner_list(const struct run_opts *o, bool json);

/* `impcert trace`: requirements and the tests covering them. */
int runner_trace(const struct run_opts *o, const char *catalogue, bool json,
                 bool strict);

#endif
