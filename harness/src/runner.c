/*
** runner.c: case selection, one child process per case (its own process
** group, so a DUT it started dies with it), deadlines, results.
*/
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "fixture.h"
#include "junit.h"
#include "plugin.h"
#include "profile.h"
#include "quarantine.h"
#include "report.h"
#include "result.h"
#include "tls.h"
#include "trace.h"
#include "workdir.h"

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- selection ------------------------------------------------------------ */

/* True if the comma-separated list has an item equal to want (or, with
** glob, matching the shell pattern want). */
static bool list_has(const char *list, const char *want, bool glob) {
  char item[128];
  for (const char *s = list ? list : ""; *s;) {
    s += strspn(s, ", ");
    size_t len = strcspn(s, ", ");
    if (len && len < sizeof item) {
      memcpy(item, s, len);
      item[len] = '\0';
      if (glob ? fnmatch(want, item, 0) == 0 : strcmp(want, item) == 0)
        return true;
    }
    s += len;
  }
  return false;
}

int runner_select(const struct plugin *ps, int np, const struct run_opts *o,
                  struct runner_slot **out, int *n) {
  const char *filter = o->filter;
  int seen = 0;
  int cap = 0;
  *out = NULL;
  *n = 0;
  for (int i = 0; i < np; i++)
    cap += (int)ps[i].info->ncases;
  struct runner_slot *s = ic_calloc((size_t)(cap ? cap : 1), sizeof *s);
  if (!s)
    return -1;
  for (int i = 0; i < np; i++)
    for (size_t k = 0; k < ps[i].info->ncases; k++) {
      const struct impcert_case *tc = &ps[i].info->cases[k];
      if (filter && fnmatch(filter, tc->id, 0) != 0)
        continue;
      if (o->tag && !list_has(tc->tags, o->tag, false))
        continue;
      if (o->req && !list_has(tc->reqs, o->req, true))
        continue;
      /* Shards deal selected cases round-robin: stable for a given
      ** plugin set and filter, balanced whatever the plugin sizes. */
      if (o->shard_n > 0 && seen++ % o->shard_n != o->shard_k - 1)
        continue;
      s[*n].plugin = &ps[i];
      s[*n].tc = tc;
      s[*n].done_fd = -1;
      (*n)++;
    }
  *out = s;
  return 0;
}

void runner_free_slots(struct runner_slot *s, int n) {
  for (int i = 0; s && i < n; i++) {
    result_fini(&s[i].res);
    ic_free(s[i].dir);
    ic_free(s[i].firmware);
  }
  ic_free(s);
}

/* ---- order ---------------------------------------------------------------- */

/* splitmix64: a small generator with a fixed definition, so a seed gives
** the same order whatever the C library. */
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void runner_shuffle(struct runner_slot *s, int n, unsigned long seed) {
  uint64_t state = seed;
  for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
    int j = (int)(next_random(&state) % (uint64_t)(i + 1));
    struct runner_slot t = s[i];
    s[i] = s[j];
    s[j] = t;
  }
}

unsigned long runner_new_seed(void) {
  unsigned long seed = 0;
  FILE *f = fopen("/dev/urandom", "rb");
  if (!f || fread(&seed, sizeof seed, 1, f) != 1)
    seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
  if (f)
    fclose(f);
  return seed % 1000000000UL; /* short enough to type back in */
}

char *runner_order(const struct runner_slot *s, int n) {
  size_t len = 1;
  for (int i = 0; i < n; i++)
    len += strlen(s[i].tc->id) + 1;
  char *out = ic_malloc(len), *p = out;
  if (!out)
    return NULL;
  *p = '\0';
  for (int i = 0; i < n; i++)
    p += sprintf(p, "%s%s", i ? "," : "", s[i].tc->id);
  return out;
}

/* ---- the child's report, passed back through a file ------------------------ */

static void put_field(FILE *f, const char *s) {
  size_t n = s ? strlen(s) : 0;
  fprintf(f, "%zu\n", n);
  if (n)
    fwrite(s, 1, n, f);
  fputc('\n', f);
}

static char *get_field(FILE *f) {
  size_t n;
  if (fscanf(f, "%zu", &n) != 1 || fgetc(f) != '\n' || n > (64u << 20))
    return NULL;
  char *s = ic_malloc(n + 1);
  if (!s)
    return NULL;
  if (fread(s, 1, n, f) != n) {
    ic_free(s);
    return NULL;
  }
  s[n] = '\0';
  fgetc(f);
  return s;
}

/* Read a whole small file (the DUT's output), or NULL. */
static char *slurp(const char *path, size_t max) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *s = ic_malloc(max + 1);
  size_t n = s ? fread(s, 1, max, f) : 0;
  fclose(f);
  if (s)
    s[n] = '\0';
  return s;
}

/* ---- one case in a child ------------------------------------------------------ */


/* Absolute, so a report read from elsewhere still finds the file. */
static char *capture_file(const struct runner *rc, const struct runner_slot *s,
                          const char *ext) {
  if (!rc->o->capture_dir)
    return NULL;
  char *dir = realpath(rc->o->capture_dir, NULL);
  char *p = ic_asprintf("%s/%s.%s", dir ? dir : rc->o->capture_dir,
                        s->tc->id, ext);
  free(dir);
  return p;
}

static _Noreturn void child_main(const struct runner *rc, struct runner_slot *s) {
  setpgid(0, 0);
  signal(SIGPIPE, SIG_IGN);
  /* the parent stops the run; a case is only ever killed by it */
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  char *pcap = capture_file(rc, s, "pcap");
  char *keys = capture_file(rc, s, "keys");
  if (keys)
    unlink(keys);
  struct fixture_setup fs = {.tc = s->tc,
                             .prof = rc->prof,
                             .creds = rc->creds,
                             .bindir = rc->o->bindir,
                             .dir = s->dir,
                             .ca_path = rc->ca_path,
                             .pcap_path = pcap,
                             .keylog_path = keys,
                             .verbose = rc->o->verbose};
  struct fixture_outcome out;
  fixture_run(&fs, &out);
  char *path = ic_asprintf("%s/result", s->dir);
  FILE *f = path ? fopen(path, "w") : NULL;
  ic_free(path);
  if (!f)
    _exit(3);
  fprintf(f, "%d\n", (int)out.verdict);
  put_field(f, out.message);
  put_field(f, out.details);
  put_field(f, out.transcript);
  put_field(f, out.firmware);
  fprintf(f, "%lld\n", out.device_ms);
  /* freed although the child ends here: valgrind (tests/valgrind.sh) then
  ** shows real leaks only */
  ic_free(out.message);
  ic_free(out.details);
  ic_free(out.transcript);
  ic_free(out.firmware);
  _exit(fclose(f) == 0 ? 0 : 3);
}

static int start_case(struct runner *rc, struct runner_slot *s, int index) {
  ic_free(s->dir);
  s->dir = ic_asprintf("%s/%03d-%s-%d", rc->workdir, index + 1, s->tc->id,
                       s->attempt);
  if (!s->dir || mkdir(s->dir, 0755) < 0)
    return -1;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    close(p[0]);
    /* p[1] stays open (not inherited by exec) until this child exits. */
    child_main(rc, s);
  }
  setpgid(pid, pid);
  close(p[1]);
  s->pid = pid;
  s->done_fd = p[0];
  s->started = now_ms();
  /* a test's own limit is scaled for slow (emulated) DUTs; the profile's
  ** test_timeout_ms is already the DUT's own */
  unsigned limit = s->tc->timeout_ms
                       ? s->tc->timeout_ms * rc->prof->timeout_scale
                       : rc->prof->test_timeout_ms;
  s->deadline = s->started + limit;
  return 0;
}

static void remove_tree(const char *dir);

/* Collect a finished (or killed) child's result, then remove its folder
** (all it holds is read by now: a retry gets a folder of its own). */
static void finish_case(struct runner *rc, struct runner_slot *s, bool timed_out) {
  int st = 0;
  if (timed_out)
    kill(-s->pid, SIGKILL);
  while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
    ;
  kill(-s->pid, SIGKILL); /* anything the case left behind */
  close(s->done_fd);
  s->done_fd = -1;
  struct ic_case_result *r = &s->res;
  r->seconds = (double)(now_ms() - s->started) / 1000.0;
  char *path = ic_asprintf("%s/result", s->dir);
  FILE *f = path && !timed_out ? fopen(path, "r") : NULL;
  ic_free(path);
  int v;
  if (f && fscanf(f, "%d\n", &v) == 1 && v >= 0 && v <= 4) {
    r->verdict = (enum impcert_verdict)v;
    r->message = get_field(f);
    r->details = get_field(f);
    r->transcript = get_field(f);
    s->firmware = get_field(f);
    long long dms;
    if (fscanf(f, "%lld", &dms) == 1 && dms >= 0) {
      r->has_device_time = true;
      r->device_seconds = (double)dms / 1000.0;
    }
  } else {
    r->verdict = IMPCERT_ERROR;
    if (timed_out)
      r->message = ic_asprintf("timed out after %.0f ms: the test and its DUT "
                               "were killed", r->seconds * 1000);
    else if (WIFSIGNALED(st))
      r->message = ic_asprintf("the test process crashed (signal %d): a bug "
                               "in the plugin or the harness",
                               WTERMSIG(st));
    else
      r->message = ic_strdup("the test process ended without a result");
  }
  if (f)
    fclose(f);
  char *log = ic_asprintf("%s/dut.log", s->dir);
  r->dut_output = log ? slurp(log, 1 << 20) : NULL;
  ic_free(log);
  r->capture_path = capture_file(rc, s, "pcap");
  remove_tree(s->dir);
  s->finished = true;
}

/* ---- terminal output ---------------------------------------------------------- */

static const char *verdict_word(enum impcert_verdict v) {
  switch (v) {
  case IMPCERT_PASS:
    return "PASS";
  case IMPCERT_FAIL:
    return "FAIL";
  case IMPCERT_SKIP:
    return "SKIP";
  case IMPCERT_ERROR:
    return "ERROR";
  case IMPCERT_INCONCLUSIVE:
    return "INCONCLUSIVE";
  }
  return "?";
}

static void print_line(const struct run_opts *o, int done, int total,
                       const struct runner_slot *s) {
  const struct ic_case_result *r = &s->res;
  bool tty = isatty(1);
  const char *col = "", *off = "";
  if (tty) {
    off = "\033[0m";
    col = r->verdict == IMPCERT_PASS   ? "\033[32m"
          : r->verdict == IMPCERT_SKIP ? "\033[33m"
                                       : "\033[31m";
  }
  bool flaky = r->verdict == IMPCERT_PASS && r->flaky;
  if (flaky && tty)
    col = "\033[33m";
  /* A self-check probe says whether the DUT shows its capability. */
  const char *word = flaky ? "FLAKY" : verdict_word(r->verdict);
  if (s->ignore_needs && r->verdict == IMPCERT_PASS)
    word = "SHOWN";
  else if (s->ignore_needs && r->verdict == IMPCERT_FAIL)
    word = "ABSENT";
  if (!o->quiet || r->verdict != IMPCERT_PASS || flaky)
    printf("[%3d/%d] %-12s %s%-5s%s %6.0f ms  %s\n", done, total, s->tc->id,
           col, word, off,
           r->seconds * 1000,
           r->verdict == IMPCERT_PASS ? s->tc->title
                                      : (r->message ? r->message : ""));
  if (r->verdict != IMPCERT_PASS && r->verdict != IMPCERT_SKIP &&
      r->details && *r->details && !o->quiet)
    printf("%s", r->details);
  fflush(stdout);
}

/* ---- the run ------------------------------------------------------------------ */

int runner_load(const struct run_opts *o, struct profile *prof,
                struct plugin **ps, int *np) {
  struct ic_diag d;
  int nbad;
  memset(prof, 0, sizeof *prof);
  if (o->profile && profile_load(o->profile, prof, &d) < 0) {
    fprintf(stderr, "impcert: %s\n", d.msg);
    return -1;
  }
  if (plugin_load_dir(o->plugin_dir, ps, np, &nbad, &d) < 0) {
    fprintf(stderr, "impcert: %s\n", d.msg);
    profile_fini(prof);
    return -1;
  }
  if (nbad) {
    fprintf(stderr, "impcert: %d plugin(s) refused; fix or remove them\n",
            nbad);
    plugin_unload_all(*ps, *np);
    *ps = NULL; /* the caller's clean-up must not unload them again */
    *np = 0;
    profile_fini(prof);
    return -1;
  }
  return 0;
}

/* Skip a case the profile cannot serve, without starting anything. */
static bool skip_if_missing(const struct runner *rc, struct runner_slot *s) {
  char cap[128];
  if (s->ignore_needs ||
      !profile_missing(rc->prof, s->tc->needs, cap, sizeof cap))
    return false;
  s->res.verdict = IMPCERT_SKIP;
  s->res.message =
      cap[0] == '!'
          ? ic_asprintf("DUT profile declares capability '%s', which the "
                        "test excludes", cap + 1)
          : ic_asprintf("DUT profile does not declare capability '%s'", cap);
  s->finished = true;
  return true;
}

/* --retries: if s did not pass and has retries left, log the attempt in
** s->res.flaky and start it again. True if it was restarted. */
static bool retry_case(struct runner *rc, struct runner_slot *s, int index) {
  struct ic_case_result *r = &s->res;
  if (r->verdict == IMPCERT_PASS || r->verdict == IMPCERT_SKIP ||
      s->attempt >= rc->o->retries)
    return false;
  char *log = ic_asprintf("%s%s: attempt %d: %s\n", r->flaky ? r->flaky : "",
                          r->verdict == IMPCERT_FAIL ? "fail" : "error",
                          s->attempt + 1, r->message ? r->message : "");
  if (!log)
    return false;
  if (!rc->o->quiet)
    printf("        %-12s attempt %d %s, retrying: %s\n", s->tc->id,
           s->attempt + 1, verdict_word(r->verdict),
           r->message ? r->message : "");
  char *quarantine = r->quarantine;
  r->quarantine = NULL;
  result_fini(r);
  ic_free(s->firmware);
  s->firmware = NULL;
  memset(r, 0, sizeof *r);
  r->flaky = log;
  r->quarantine = quarantine;
  s->attempt++;
  s->finished = false;
  if (start_case(rc, s, index) < 0) {
    r->verdict = IMPCERT_ERROR;
    r->message = ic_strdup("cannot restart the test");
    s->finished = true;
    return false;
  }
  return true;
}

/* GLOBAL: the signal that asked the run to stop (set by the handler). */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig) {
  stop_signal = sig;
}

int runner_interrupted(void) {
  return stop_signal;
}

/* No SA_RESTART: the poll of runner_exec returns at once. */
static void catch_stop_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    sigaction(sigs[i], &sa, NULL);
}

/* A signal arrived: end the running cases as errors (their DUTs killed,
** their folders removed); the ones not started stay out of the report. */
static int stop_running(struct runner *rc, struct runner_slot *slots,
                        int next, int total) {
  for (int i = 0; i < next; i++) {
    struct runner_slot *s = &slots[i];
    if (s->done_fd < 0)
      continue;
    finish_case(rc, s, true);
    ic_free(s->res.message);
    s->res.message = ic_asprintf("interrupted by signal %d after %.0f ms: "
                                 "the test and its DUT were killed",
                                 (int)stop_signal, s->res.seconds * 1000);
    print_line(rc->o, ++rc->done, total, s);
  }
  return next;
}

int runner_exec(struct runner *rc, struct runner_slot *slots, int n) {
  const struct run_opts *o = rc->o;
  int next = 0, running = 0, done = 0, base = rc->started;
  int total = rc->total ? rc->total : n;
  rc->started += n;
  while (done < n) {
    if (stop_signal)
      return stop_running(rc, slots, next, total);
    while (running < o->jobs && next < n) {
      struct runner_slot *s = &slots[next];
      if (skip_if_missing(rc, s)) {
        done++;
        print_line(o, ++rc->done, total, s);
        next++;
        continue;
      }
      if (start_case(rc, s, base + next) < 0) {
        s->res.verdict = IMPCERT_ERROR;
        s->res.message = ic_asprintf("cannot start the test: %s",
                                     strerror(errno));
        s->finished = true;
        done++;
        print_line(o, ++rc->done, total, s);
      } else
        running++;
      next++;
    }
    if (!running)
      continue;
    struct pollfd p[64];
    int idx[64], np = 0;
    long long soonest = now_ms() + 1000;
    for (int i = 0; i < next && np < 64; i++)
      if (slots[i].done_fd >= 0) {
        p[np] = (struct pollfd){slots[i].done_fd, POLLIN, 0};
        idx[np++] = i;
        if (slots[i].deadline < soonest)
          soonest = slots[i].deadline;
      }
    long long wait = soonest - now_ms();
    poll(p, (nfds_t)np, wait > 0 ? (int)wait : 0);
    for (int k = 0; k < np; k++) {
      struct runner_slot *s = &slots[idx[k]];
      bool gone = p[k].revents != 0;
      bool late = !gone && now_ms() >= s->deadline;
      if (gone || late) {
        finish_case(rc, s, late);
        running--;
        if (retry_case(rc, s, base + idx[k]))
          running++;
        else {
          done++;
          print_line(o, ++rc->done, total, s);
        }
      }
    }
  }
  return n;
}

/* True if a verdict fails a gating run (quarantined cases never do). */
static bool gates(const struct runner_slot *s) {
  return !s->quarantined && s->res.verdict != IMPCERT_PASS &&
         s->res.verdict != IMPCERT_SKIP;
}

/* True if any of slots[0..n) fails the gate. */
static bool any_bad(const struct runner_slot *slots, int n) {
  for (int i = 0; i < n; i++)
    if (gates(&slots[i]))
      return true;
  return false;
}

/* Run the selection o->repeat times (--until-fail: until a round fails,
** at most o->repeat rounds). Each round gets its own copy of the slots,
** appended to *slots. Returns how many slots ran, or -1 on ENOMEM. */
static int run_rounds(struct runner *rc, struct runner_slot **slots, int n) {
  const struct run_opts *o = rc->o;
  int rounds = o->repeat > 1 ? o->repeat : 1;
  if (rounds > 1) {
    struct runner_slot *all =
        ic_realloc(*slots, (size_t)n * rounds * sizeof *all);
    if (!all)
      return -1;
    for (int r = 1; r < rounds; r++)
      for (int i = 0; i < n; i++) {
        all[r * n + i] = (struct runner_slot){.plugin = all[i].plugin,
                                              .tc = all[i].tc,
                                              .quarantined =
                                                  all[i].quarantined,
                                              .done_fd = -1};
        if (all[i].res.quarantine)
          all[r * n + i].res.quarantine = ic_strdup(all[i].res.quarantine);
      }
    *slots = all;
  }
  int ran = 0;
  for (int r = 0; r < rounds; r++) {
    if (rounds > 1 && !o->quiet)
      printf("impcert: round %d of %d\n", r + 1, rounds);
    rc->done = 0;
    rc->total = n;
    ran += runner_exec(rc, *slots + ran, n);
    if (stop_signal)
      break;
    if (o->until_fail && any_bad(*slots + ran - n, n)) {
      printf("impcert: round %d failed; stopping (--until-fail)\n", r + 1);
      break;
    }
  }
  return ran;
}

struct ic_case_result *runner_results(const struct runner_slot *s, int n) {
  struct ic_case_result *rs = ic_calloc((size_t)(n ? n : 1), sizeof *rs);
  for (int i = 0; rs && i < n; i++) {
    rs[i] = s[i].res;
    rs[i].suite = s[i].plugin->info->name;
    rs[i].id = s[i].tc->id;
    rs[i].title = s[i].tc->title;
    rs[i].reqs = s[i].tc->reqs;
  }
  return rs;
}

/* The first firmware version any case saw, or "". */
static const char *firmware_of(const struct runner_slot *s, int n) {
  for (int i = 0; i < n; i++)
    if (s[i].firmware && *s[i].firmware)
      return s[i].firmware;
  return "";
}

static int summarize(const struct run_opts *o, struct runner_slot *slots,
                     int n, time_t started, const char *order) {
  int count[5] = {0}, quarantined = 0;
  for (int i = 0; i < n; i++) {
    count[slots[i].res.verdict]++;
    quarantined += slots[i].quarantined;
  }
  if (o->junit || o->html) {
    struct ic_case_result *rs = runner_results(slots, n);
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    struct ic_run_info info = {.profile = o->profile,
                               .firmware = firmware_of(slots, n),
                               .seed = o->shuffle ? o->seed : 0,
                               .hostname = host,
                               .started = started,
                               .order = order};
    struct ic_diag d;
    if (!rs || (o->junit &&
                junit_write(o->junit, &info, rs, (size_t)n, &d) < 0)) {
      fprintf(stderr, "impcert: cannot write the JUnit report: %s\n",
              rs ? d.msg : "out of memory");
      ic_free(rs);
      return IC_EXIT_USAGE;
    }
    if (o->html &&
        report_write_html(o->html, &info, rs, (size_t)n, &d) < 0) {
      fprintf(stderr, "impcert: cannot write the HTML report: %s\n", d.msg);
      ic_free(rs);
      return IC_EXIT_USAGE;
    }
    ic_free(rs);
    if (!o->quiet && o->junit)
      printf("impcert: JUnit report in %s\n", o->junit);
    if (!o->quiet && o->html)
      printf("impcert: HTML report in %s\n", o->html);
  }
  int bad = 0, excused = 0;
  for (int i = 0; i < n; i++) {
    bad += gates(&slots[i]);
    excused += slots[i].quarantined && slots[i].res.verdict != IMPCERT_PASS &&
               slots[i].res.verdict != IMPCERT_SKIP;
  }
  int flaky = 0;
  for (int i = 0; i < n; i++)
    flaky += slots[i].res.verdict == IMPCERT_PASS && slots[i].res.flaky;
  if (flaky)
    printf("impcert: %d of the passes are flaky: they failed before passing "
           "on a retry\n", flaky);
  if (quarantined)
    printf("impcert: %d quarantined test(s) ran; %d of them did not pass "
           "and do not fail the run (%s)\n", quarantined, excused,
           o->quarantine);
  if (order)
    printf("impcert: order shuffled with seed %lu (--shuffle --seed %lu "
           "repeats it)\n", o->seed, o->seed);
  printf("impcert: %d tests: %d pass, %d fail, %d error, %d inconclusive, "
         "%d skip\n",
         n, count[IMPCERT_PASS], count[IMPCERT_FAIL], count[IMPCERT_ERROR],
         count[IMPCERT_INCONCLUSIVE], count[IMPCERT_SKIP]);
  printf("%d passed, %d failed, %d skipped\n", count[IMPCERT_PASS], bad,
         count[IMPCERT_SKIP]);
  return bad ? IC_EXIT_FAILED : IC_EXIT_OK;
}

/* Remove a work folder (the run's, or a case's flash, sockets, logs). */
static void remove_tree(const char *dir) {
  struct ic_diag d;
  if (workdir_remove(dir, &d) < 0)
    fprintf(stderr, "impcert: could not remove a work folder: %s\n", d.msg);
}

int runner_open(struct runner *r, const struct run_opts *o,
                const struct profile *prof, struct ic_diag *d) {
  memset(r, 0, sizeof *r);
  r->o = o;
  r->prof = prof;
  if (o->capture_dir && mkdir(o->capture_dir, 0755) < 0 && errno != EEXIST)
    return ic_fail(d, "%s: %s", o->capture_dir, strerror(errno));
  if (workdir_make(r->workdir, sizeof r->workdir, "impcert", d) < 0)
    return -1;
  catch_stop_signals();
  r->ca_path = ic_asprintf("%s/ca.pem", r->workdir);
  if (!r->ca_path) {
    remove_tree(r->workdir);
    return ic_fail(d, "out of memory");
  }
  if (!(r->creds = tls_creds_create(r->ca_path, d))) {
    remove_tree(r->workdir);
    ic_free(r->ca_path);
    r->ca_path = NULL;
    return -1;
  }
  return 0;
}

void runner_close(struct runner *r) {
  if (r->creds)
    tls_creds_destroy(r->creds);
  if (r->ca_path)
    remove_tree(r->workdir);
  ic_free(r->ca_path);
  memset(r, 0, sizeof *r);
}

/* --quarantine: load the file and mark the slots it names. An entry that
** names no test of the plugins is an error: stale entries must go. */
static int apply_quarantine(const struct run_opts *o,
                            const struct plugin *ps, int np,
                            struct runner_slot *s, int n) {
  char today[16];
  struct quarantine q;
  struct ic_diag d;
  quarantine_today(today, sizeof today);
  if (quarantine_load(o->quarantine, today, &q, &d) < 0) {
    fprintf(stderr, "impcert: %s\n", d.msg);
    return -1;
  }
  int rc = 0;
  for (int k = 0; k < q.n && rc == 0; k++) {
    bool known = false;
    for (int i = 0; i < np && !known; i++)
      for (size_t c = 0; c < ps[i].info->ncases; c++)
        known |= !strcmp(ps[i].info->cases[c].id, q.e[k].id);
    if (!known) {
      fprintf(stderr, "impcert: %s:%d: %s is no test of the loaded plugins: "
                      "remove the entry\n", q.path, q.e[k].line, q.e[k].id);
      rc = -1;
    }
  }
  for (int i = 0; i < n && rc == 0; i++) {
    const struct quarantine_entry *e = quarantine_find(&q, s[i].tc->id);
    if (!e)
      continue;
    s[i].quarantined = true;
    s[i].res.quarantine = ic_asprintf("until %s: %s", e->expires, e->reason);
  }
  quarantine_fini(&q);
  return rc;
}

int runner_run(const struct run_opts *o) {
  struct runner rc;
  struct profile prof;
  struct plugin *ps;
  int np;
  if (runner_load(o, &prof, &ps, &np) < 0)
    return IC_EXIT_USAGE;
  struct runner_slot *slots;
  int n, rcode = IC_EXIT_USAGE;
  char *order = NULL;
  struct ic_diag d;
  if (runner_select(ps, np, o, &slots, &n) < 0) {
    fprintf(stderr, "impcert: out of memory\n");
    goto out_plugins;
  }
  if (n == 0) {
    fprintf(stderr, "impcert: no test matches --filter '%s'%s%s%s%s\n",
            o->filter ? o->filter : "*", o->tag ? " --tag " : "",
            o->tag ? o->tag : "", o->req ? " --req " : "",
            o->req ? o->req : "");
    goto out_slots;
  }
  if (o->quarantine && apply_quarantine(o, ps, np, slots, n) < 0)
    goto out_slots;
  if (o->shuffle) {
    runner_shuffle(slots, n, o->seed);
    if (!(order = runner_order(slots, n)))
      goto out_slots;
  }
  if (runner_open(&rc, o, &prof, &d) < 0) {
    fprintf(stderr, "impcert: %s\n", d.msg);
    goto out_slots;
  }
  if (!o->quiet)
    printf("impcert: %d tests against %s (%s), %d at a time\n", n,
           prof.name, o->profile, o->jobs);
  if (order && !o->quiet)
    printf("impcert: shuffled with seed %lu: %s\n", o->seed, order);
  time_t started = time(NULL);
  int ran = run_rounds(&rc, &slots, n);
  rcode = ran < 0 ? IC_EXIT_USAGE : summarize(o, slots, ran, started, order);
  if (ran >= 0 && o->repeat > 1)
    n *= o->repeat; /* every round's slots are freed below */
  runner_close(&rc);
  if (ran >= 0 && stop_signal) {
    fprintf(stderr, "impcert: interrupted by signal %d: %d of the selected "
            "tests ran (the report holds those); work folder removed\n",
            (int)stop_signal, ran);
    rcode = IC_EXIT_INTERRUPTED;
  }
out_slots:
  ic_free(order);
  runner_free_slots(slots, n);
out_plugins:
  plugin_unload_all(ps, np);
  profile_fini(&prof);
  return rcode;
}


int runner_list(const struct run_opts *o, bool json) {
  struct plugin *ps;
  int np, nbad;
  struct ic_diag d;
  if (plugin_load_dir(o->plugin_dir, &ps, &np, &nbad, &d) < 0) {
    fprintf(stderr, "impcert: %s\n", d.msg);
    return IC_EXIT_USAGE;
  }
  struct runner_slot *slots;
  int n;
  if (runner_select(ps, np, o, &slots, &n) < 0) {
    plugin_unload_all(ps, np);
    return IC_EXIT_USAGE;
  }
  if (json)
    printf("[");
  for (int i = 0; i < n; i++) {
    const struct impcert_case *tc = slots[i].tc;
    if (json) {
      const char *keys[] = {"id", "suite", "title", "requirements", "tags",
                            "needs"};
      const char *vals[] = {tc->id,   slots[i].plugin->info->name,
                            tc->title, tc->reqs, tc->tags, tc->needs};
      printf("%s\n {", i ? "," : "");
      for (int k = 0; k < 6; k++) {
        printf("%s\"%s\": ", k ? ", " : "", keys[k]);
        ic_json_str(stdout, vals[k]);
      }
      printf("}");
    } else
      printf("%-12s %-8s %-40s [%s]\n", tc->id, slots[i].plugin->info->name,
             tc->title, tc->reqs ? tc->reqs : "");
  }
  if (json)
    printf("\n]\n");
  ic_free(slots);
  plugin_unload_all(ps, np);
  return nbad ? IC_EXIT_USAGE : IC_EXIT_OK;
}

int runner_trace(const struct run_opts *o, const char *catalogue, bool json,
                 bool strict) {
  struct catalogue c;
  struct plugin *ps;
  int np, nbad;
  struct ic_diag d;
  if (catalogue_load(catalogue, &c, &d) < 0) {
    fprintf(stderr, "impcert: %s\n", d.msg);
    return IC_EXIT_USAGE;
  }
  if (plugin_load_dir(o->plugin_dir, &ps, &np, &nbad, &d) < 0) {
    fprintf(stderr, "impcert: %s\n", d.msg);
    catalogue_fini(&c);
    return IC_EXIT_USAGE;
  }
  int problems = trace_print(&c, ps, np, json);
  plugin_unload_all(ps, np);
  catalogue_fini(&c);
  if (nbad)
    return IC_EXIT_USAGE;
  return strict && problems ? IC_EXIT_FAILED : IC_EXIT_OK;
}
