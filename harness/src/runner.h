/*
** runner.h: selecting cases and running each in its own child process
** with a deadline, up to N at once; collecting results in a stable order.
** Owns scheduling, isolation and the terminal lines; the fixture owns what
** happens inside a case, the JUnit writer the report.
*/
#ifndef IMPCERT_RUNNER_H
#define IMPCERT_RUNNER_H

#include <stdbool.h>
#include <sys/types.h>

#include "plugin.h"
#include "profile.h"
#include "result.h"
#include "tls.h"

/* impcert's exit codes (docs/impcert.md): stable, never renumbered. */
enum ic_exit {
  IC_EXIT_OK = 0,       /* every selected test passed or was skipped */
  IC_EXIT_FAILED = 1,   /* a test failed, errored or was inconclusive */
  IC_EXIT_USAGE = 2,    /* bad command line, profile, plugin folder... */
  IC_EXIT_INTERRUPTED = 3 /* a signal stopped the run before its end */
};

struct run_opts {
  const char *profile;     /* DUT profile path */
  const char *plugin_dir;  /* folder of *.so plugins */
  const char *filter;      /* glob on test IDs, or NULL */
  const char *tag;         /* only cases with this tag, or NULL */
  const char *req;         /* only cases naming a requirement ID matching
                              this glob, or NULL */
  const char *junit;       /* JUnit XML path, or NULL */
  const char *html;        /* HTML report path, or NULL */
  const char *capture_dir; /* pcap + key log per test, or NULL */
  const char *bindir;      /* folder of the impcert binary ({bindir}) */
  int jobs;                /* tests at once, >= 1 */
  int shard_k, shard_n;    /* run slice K of N (1-based); 0/0: all */
  int repeat;              /* rounds of the whole selection, >= 1 */
  bool until_fail;         /* stop after the first round with a failure */
  int retries;             /* re-runs of a case that did not pass */
  bool shuffle;            /* run in a random order from `seed` */
  bool seed_given;         /* --seed N given (else a fresh seed) */
  unsigned long seed;
  const char *quarantine;  /* known-failures file, or NULL */
  const char *plan;        /* (certify) the certification plan */
  const char *outdir;      /* (certify) the folder to hand over */
  const char *key;         /* (certify) Ed25519 private key PEM, or NULL */
  bool verbose, quiet;
};

/* One case to run and, once run, its result. The fields after `res` are
** the runner's own. */
struct runner_slot {
  const struct plugin *plugin;
  const struct impcert_case *tc;
  bool ignore_needs;  /* run even if the profile lacks a need (probes) */
  bool quarantined;   /* a known failure: does not fail a gating run */
  struct ic_case_result res;
  char *firmware;     /* what the DUT reported as its OS version */
  char *dir;          /* private work folder */
  pid_t pid;          /* child while running */
  int done_fd;        /* read end: EOF when the child is gone */
  long long started, deadline;
  bool finished;
  int attempt;        /* 0 for the first run, then each retry */
};

/* What runs share: the work folder, the test CA and server keys, and the
** progress count of the terminal lines. */
struct runner {
  const struct run_opts *o;
  const struct profile *prof;  /* the profile runner_exec gives each case */
  struct tls_creds *creds;
  char workdir[256];
  char *ca_path;
  int started;                 /* cases started: numbers work folders */
  int done, total;             /* progress: [done/total] */
};

/* Make the work folder, the CA and the capture folder. 0, or -1 with d. */
int runner_open(struct runner *r, const struct run_opts *o,
                const struct profile *prof, struct ic_diag *d);
/* Run slots[0..n) with r->prof, o->jobs at once, in array order. Returns
** how many ran: n, or fewer when a signal stopped the run (the first ones,
** those still running then ended as errors; runner_interrupted()). */
int runner_exec(struct runner *r, struct runner_slot *slots, int n);
/* From runner_open on, SIGINT, SIGTERM and SIGHUP stop the run: running
** tests and their DUTs are killed, the work folder is removed. The signal
** that did, or 0. */
int runner_interrupted(void);
void runner_close(struct runner *r);

/* Load the profile (if o->profile) and every plugin; a refused plugin is
** an error. 0, or -1 after printing why. */
int runner_load(const struct run_opts *o, struct profile *prof,
                struct plugin **ps, int *np);

/* Every case of ps[0..np) matching o->filter and o->shard, in plugin
** order, as new slots (*out, *n). 0, or -1 on ENOMEM. */
int runner_select(const struct plugin *ps, int np, const struct run_opts *o,
                  struct runner_slot **out, int *n);
void runner_free_slots(struct runner_slot *s, int n);

/* Put slots[0..n) in the pseudo-random order that `seed` gives (the same
** seed gives the same order on every machine). */
void runner_shuffle(struct runner_slot *s, int n, unsigned long seed);
/* A fresh seed from the system's randomness. */
unsigned long runner_new_seed(void);
/* The IDs of slots[0..n) joined by ','; ic_free it. */
char *runner_order(const struct runner_slot *s, int n);

/* Copy each slot's result with its names filled in, for the writers.
** The strings stay owned by the slots. NULL on ENOMEM. */
struct ic_case_result *runner_results(const struct runner_slot *s, int n);

/* `impcert run`. Returns an ic_exit code; messages go to stderr. */
int runner_run(const struct run_opts *o);

/* `impcert list`: the selected cases, one per line (or JSON). */
int runner_list(const struct run_opts *o, bool json);

/* `impcert trace`: requirements and the tests covering them. */
int runner_trace(const struct run_opts *o, const char *catalogue, bool json,
                 bool strict);

#endif
