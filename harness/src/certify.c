/*
** certify.c: the certification run. First the capability self-check: every
** probe (a case tagged "probe" whose `needs` names its capability) runs,
** declared or not. Then the plan's tests run against the capabilities the
** DUT declared plus those it showed without declaring. The judgement is a
** pure function of the results (certify_judge), so unit tests can check
** every rule; docs/certification.md states the rules for people.
*/
#include "certify.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "certdoc.h"
#include "diag.h"
#include "junit.h"
#include "quarantine.h"
#include "report.h"
#include "sign.h"

int cert_lines_add(struct cert_lines *l, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n >= 0 && (s = ic_malloc((size_t)n + 1))) {
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  char **v = s ? ic_realloc(l->v, (size_t)(l->n + 1) * sizeof *v) : NULL;
  if (!v) {
    ic_free(s);
    return -1;
  }
  l->v = v;
  l->v[l->n++] = s;
  return 0;
}

void cert_lines_fini(struct cert_lines *l) {
  for (int i = 0; i < l->n; i++)
    ic_free(l->v[i]);
  ic_free(l->v);
  l->v = NULL;
  l->n = 0;
}

/* ---- the judgement -------------------------------------------------------- */

enum cert_cap_status certify_cap_status(const enum impcert_verdict *v,
                                        int n) {
  if (n == 0)
    return CAP_UNPROBED;
  bool all_pass = true;
  for (int i = 0; i < n; i++) {
    if (v[i] == IMPCERT_FAIL)
      return CAP_ABSENT;
    all_pass &= v[i] == IMPCERT_PASS;
  }
  return all_pass ? CAP_SHOWN : CAP_UNDECIDED;
}

const char *certify_cap_status_name(enum cert_cap_status s) {
  switch (s) {
  case CAP_SHOWN:
    return "shown";
  case CAP_ABSENT:
    return "absent";
  case CAP_UNDECIDED:
    return "undecided";
  case CAP_UNPROBED:
    break;
  }
  return "unprobed";
}

static void judge_caps(const struct cert_cap *caps, int ncaps,
                       struct cert_lines *why, struct cert_lines *notes) {
  for (int i = 0; i < ncaps; i++) {
    const struct cert_cap *c = &caps[i];
    const char *ev = c->evidence ? c->evidence : "";
    if (c->declared && c->status == CAP_ABSENT)
      cert_lines_add(why, "over-declared: the profile declares '%s', the "
                          "DUT does not show it: %s", c->name, ev);
    else if (c->declared && c->status == CAP_UNDECIDED)
      cert_lines_add(why, "unconfirmed: the profile declares '%s' and its "
                          "probe could not confirm it: %s", c->name, ev);
    else if (c->declared && c->status == CAP_UNPROBED)
      cert_lines_add(why, "unverifiable: the profile declares '%s', which "
                          "no probe of this suite can check; a certificate "
                          "carries only checked claims", c->name);
    else if (!c->declared && c->status == CAP_SHOWN)
      cert_lines_add(notes, "under-declared: the DUT shows '%s' without "
                            "declaring it; the plan's tests for it ran "
                            "anyway", c->name);
  }
}

bool certify_judge(const struct cert_cap *caps, int ncaps,
                   const char *not_in_class, const struct cert_test *tests,
                   int ntests, struct cert_lines *why,
                   struct cert_lines *notes) {
  int before = why->n, mandatory = 0;
  judge_caps(caps, ncaps, why, notes);
  if (not_in_class)
    cert_lines_add(why, "not in the plan's device class: the DUT neither "
                        "declares nor shows '%s'", not_in_class);
  for (int i = 0; i < ntests; i++) {
    const struct cert_test *t = &tests[i];
    if (t->probe)
      continue;
    const char *msg = t->message && *t->message ? t->message : "";
    bool is_m = t->role == PLAN_MANDATORY;
    struct cert_lines *to = is_m ? why : notes;
    mandatory += is_m;
    const char *kind = is_m ? "mandatory" : "optional";
    if (t->verdict != IMPCERT_PASS)
      cert_lines_add(to, "%s %s %s: %s", kind, t->id,
                     result_verdict_name(t->verdict), msg);
    else if (t->flaky)
      cert_lines_add(to, "%s %s flaky: it failed before passing on a "
                         "retry", kind, t->id);
    if (t->quarantine)
      cert_lines_add(to, "%s %s is quarantined (%s): a known failure is "
                         "not certified", kind, t->id, t->quarantine);
  }
  if (mandatory == 0)
    cert_lines_add(why, "the plan selected no mandatory test for this DUT");
  return why->n == before;
}

/* ---- the run -------------------------------------------------------------- */

static bool has_tag(const char *tags, const char *tag) {
  size_t n = strlen(tag);
  for (const char *s = tags ? tags : ""; *s;) {
    s += strspn(s, ", ");
    size_t len = strcspn(s, ", ");
    if (len == n && !strncmp(s, tag, n))
      return true;
    s += len;
  }
  return false;
}

/* The UTC time t as YYYY-MM-DDTHH:MM:SSZ. */
static void iso_time(time_t t, char *buf, size_t n) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* DIR must be new or hold nothing but hidden files: every file in it goes
** into the certificate, so a stale one would be vouched for. */
static int prepare_outdir(const char *dir, struct ic_diag *d) {
  if (mkdir(dir, 0755) < 0 && errno != EEXIST)
    return ic_fail(d, "%s: %s", dir, strerror(errno));
  DIR *dh = opendir(dir);
  if (!dh)
    return ic_fail(d, "%s: %s", dir, strerror(errno));
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(dh)))
    if (e->d_name[0] != '.')
      rc = ic_fail(d, "%s is not empty (it holds '%s'): certification writes "
                      "into a new or empty folder", dir, e->d_name);
  closedir(dh);
  return rc;
}

/* Everything one certification holds; freed by cert_fini. */
struct cert {
  const struct run_opts *o;
  struct profile declared, probe_prof, effective;
  struct plan plan;
  struct quarantine q;
  struct plugin *ps;
  int np;
  struct runner_slot *slots;   /* probes first, then the plan's tests */
  int nslots, nprobes;
  struct cert_cap caps[64];
  int ncaps;
  struct cert_test *tests;
  struct certdoc_file *plugin_files;
  char *order;
};

static void cert_fini(struct cert *c) {
  runner_free_slots(c->slots, c->nslots);
  for (int i = 0; i < c->ncaps; i++)
    ic_free(c->caps[i].evidence);
  for (int i = 0; c->plugin_files && i < c->np; i++) {
    ic_free((char *)c->plugin_files[i].path);
    ic_free((char *)c->plugin_files[i].sha256);
  }
  ic_free(c->plugin_files);
  ic_free(c->tests);
  ic_free(c->order);
  if (c->ps)
    plugin_unload_all(c->ps, c->np);
  plan_fini(&c->plan);
  quarantine_fini(&c->q);
  profile_fini(&c->declared);
  profile_fini(&c->probe_prof);
  profile_fini(&c->effective);
}

/* Build the slots: every probe, then every test the plan names (its role
** is decided after the self-check, so all non-probe cases are kept). */
static int make_slots(struct cert *c, struct ic_diag *d) {
  int total = 0;
  for (int i = 0; i < c->np; i++)
    total += (int)c->ps[i].info->ncases;
  c->slots = ic_calloc((size_t)(total ? total : 1), sizeof *c->slots);
  const char **ids = ic_calloc((size_t)(total ? total : 1), sizeof *ids);
  if (!c->slots || !ids) {
    ic_free(ids);
    return ic_fail(d, "out of memory");
  }
  int n = 0, rc = 0;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < c->np; i++)
      for (size_t k = 0; k < c->ps[i].info->ncases; k++) {
        const struct impcert_case *tc = &c->ps[i].info->cases[k];
        bool probe = has_tag(tc->tags, "probe");
        if (probe != (pass == 0))
          continue;
        if (probe && !profile_known_cap(tc->needs ? tc->needs : ""))
          rc = rc ? rc : ic_fail(d, "%s: probe %s must need exactly one "
                                    "capability of specs/capabilities.md, "
                                    "not '%s'", c->ps[i].path, tc->id,
                                 tc->needs ? tc->needs : "");
        if (!probe)
          ids[n - c->nprobes] = tc->id;
        c->slots[n] = (struct runner_slot){.plugin = &c->ps[i],
                                           .tc = tc,
                                           .ignore_needs = probe,
                                           .done_fd = -1};
        c->nprobes += probe;
        n++;
      }
  c->nslots = n;
  if (rc == 0)
    rc = plan_check_ids(&c->plan, ids, n - c->nprobes, d);
  ic_free(ids);
  return rc;
}

/* After the self-check: the status of every capability name. */
static int read_probes(struct cert *c, struct ic_diag *d) {
  const char *const *names = profile_cap_names();
  for (int k = 0; names[k] && c->ncaps < 64; k++) {
    struct cert_cap *cap = &c->caps[c->ncaps++];
    enum impcert_verdict v[64];
    int nv = 0;
    const struct runner_slot *decider = NULL;
    for (int i = 0; i < c->nprobes && nv < 64; i++)
      if (!strcmp(c->slots[i].tc->needs, names[k])) {
        v[nv++] = c->slots[i].res.verdict;
        if (!decider || c->slots[i].res.verdict != IMPCERT_PASS)
          decider = &c->slots[i];
      }
    cap->name = names[k];
    cap->declared = profile_has(&c->declared, names[k]);
    cap->status = certify_cap_status(v, nv);
    if (cap->status == CAP_ABSENT)
      for (int i = 0; i < c->nprobes; i++)
        if (!strcmp(c->slots[i].tc->needs, names[k]) &&
            c->slots[i].res.verdict == IMPCERT_FAIL)
          decider = &c->slots[i];
    if (decider)
      cap->evidence = ic_asprintf(
          "%s %s%s%s", decider->tc->id,
          result_verdict_name(decider->res.verdict),
          decider->res.message ? ": " : "",
          decider->res.message ? decider->res.message : "");
    if (!cap->declared && cap->status == CAP_SHOWN &&
        profile_add_cap(&c->effective, names[k]) < 0)
      return ic_fail(d, "out of memory");
  }
  return 0;
}

/* Keep the plan's tests (by the effective capabilities), drop the rest,
** mark quarantined ones, shuffle. */
static int select_plan(struct cert *c, struct ic_diag *d) {
  int kept = c->nprobes;
  for (int i = c->nprobes; i < c->nslots; i++) {
    enum plan_role r = plan_role_of(&c->plan, &c->effective,
                                    c->slots[i].tc->id);
    if (r == PLAN_NONE)
      continue;
    struct runner_slot s = c->slots[i];
    s.res.role = plan_role_name(r);
    const struct quarantine_entry *e = quarantine_find(&c->q, s.tc->id);
    if (e && !(s.res.quarantine = ic_asprintf("until %s: %s", e->expires,
                                              e->reason)))
      return ic_fail(d, "out of memory");
    c->slots[kept++] = s;
  }
  c->nslots = kept;
  for (int i = 0; i < c->nprobes; i++)
    c->slots[i].res.role = "probe";
  if (c->o->shuffle) {
    runner_shuffle(c->slots + c->nprobes, c->nslots - c->nprobes,
                   c->o->seed);
    if (!(c->order = runner_order(c->slots + c->nprobes,
                                  c->nslots - c->nprobes)))
      return ic_fail(d, "out of memory");
  }
  return 0;
}

static int load(struct cert *c, struct ic_diag *d) {
  const struct run_opts *o = c->o;
  if (runner_load(o, &c->declared, &c->ps, &c->np) < 0)
    return ic_fail(d, "cannot load the profile or the plugins");
  if (plan_load(o->plan, &c->plan, d) < 0)
    return -1;
  if (o->quarantine) {
    char today[16];
    quarantine_today(today, sizeof today);
    if (quarantine_load(o->quarantine, today, &c->q, d) < 0)
      return -1;
  }
  if (profile_copy(&c->probe_prof, &c->declared) < 0 ||
      profile_copy(&c->effective, &c->declared) < 0)
    return ic_fail(d, "out of memory");
  if (make_slots(c, d) < 0)
    return -1;
  /* Probes run whatever was declared, so the fixture must allow what each
  ** probe tries (BlinkUp over the jig) even when it is not declared. */
  for (int i = 0; i < c->nprobes; i++)
    if (profile_add_cap(&c->probe_prof, c->slots[i].tc->needs) < 0)
      return ic_fail(d, "out of memory");
  c->plugin_files = ic_calloc((size_t)(c->np ? c->np : 1),
                              sizeof *c->plugin_files);
  if (!c->plugin_files)
    return ic_fail(d, "out of memory");
  for (int i = 0; i < c->np; i++) {
    char hex[65];
    if (sign_file_sha256(c->ps[i].path, hex, NULL, d) < 0)
      return -1;
    c->plugin_files[i].path = ic_strdup(c->ps[i].path);
    c->plugin_files[i].sha256 = ic_strdup(hex);
  }
  return 0;
}

static void print_summary(const struct cert *c, bool certified,
                          const struct cert_lines *why,
                          const struct cert_lines *notes, const int *counts,
                          const char *signer) {
  const struct run_opts *o = c->o;
  printf("\n==== impcert certification: %s ====\n",
         certified ? "CERTIFIED" : "NOT CERTIFIED");
  printf("plan     %s (%s)\n", c->plan.name, c->plan.path);
  printf("DUT      %s (%s)\n", c->declared.name, o->profile);
  printf("capabilities declared:");
  for (int i = 0; i < c->declared.ncaps; i++)
    printf(" %s", c->declared.caps[i]);
  printf("\nself-check: %d probes;", c->nprobes);
  for (int i = 0; i < c->ncaps; i++)
    if (c->caps[i].declared || c->caps[i].status == CAP_SHOWN)
      printf(" %s %s%s;", c->caps[i].name,
             certify_cap_status_name(c->caps[i].status),
             c->caps[i].declared ? "" : " (undeclared)");
  int m = 0, opt = 0;
  for (int i = c->nprobes; i < c->nslots; i++)
    *(c->slots[i].res.role[0] == 'm' ? &m : &opt) += 1;
  printf("\ntests    %d mandatory, %d optional: %d pass, %d fail, %d error, "
         "%d inconclusive, %d skip%s\n", m, opt, counts[IMPCERT_PASS],
         counts[IMPCERT_FAIL], counts[IMPCERT_ERROR],
         counts[IMPCERT_INCONCLUSIVE], counts[IMPCERT_SKIP],
         c->order ? " (shuffled)" : "");
  if (c->order)
    printf("order    seed %lu: %s\n", o->seed, c->order);
  if (why->n) {
    printf("why not certified (%d):\n", why->n);
    for (int i = 0; i < why->n && i < 20; i++)
      printf("  - %s\n", why->v[i]);
    if (why->n > 20)
      printf("  ... and %d more in %s/%s\n", why->n - 20, o->outdir,
             CERTDOC_JSON);
  }
  if (notes->n) {
    printf("notes (%d):\n", notes->n);
    for (int i = 0; i < notes->n && i < 10; i++)
      printf("  - %s\n", notes->v[i]);
  }
  printf("folder   %s: junit.xml, report.html, captures/, %s%s\n", o->outdir,
         CERTDOC_JSON, signer ? ", " CERTDOC_SIG ", " CERTDOC_PUB : "");
  if (signer)
    printf("signed   Ed25519 key %.16s...; check with: impcert verify %s "
           "--pubkey KEY.pub\n", signer, o->outdir);
  else
    printf("signed   NO: no --key given; the certificate cannot be "
           "verified\n");
}

/* Write the reports, the certificate and the summary; returns the exit. */
static int finish(struct cert *c, time_t started, const char *version,
                  struct ic_diag *d) {
  const struct run_opts *o = c->o;
  int n = c->nslots, counts[5] = {0};
  c->tests = ic_calloc((size_t)(n ? n : 1), sizeof *c->tests);
  if (!c->tests)
    return ic_fail(d, "out of memory");
  for (int i = 0; i < n; i++) {
    const struct runner_slot *s = &c->slots[i];
    c->tests[i] = (struct cert_test){
        .id = s->tc->id, .suite = s->plugin->info->name,
        .title = s->tc->title, .probe = i < c->nprobes,
        .role = i < c->nprobes ? PLAN_NONE
                : s->res.role[0] == 'm' ? PLAN_MANDATORY : PLAN_OPTIONAL,
        .verdict = s->res.verdict,
        .flaky = s->res.verdict == IMPCERT_PASS && s->res.flaky,
        .quarantine = s->res.quarantine, .message = s->res.message};
    if (i >= c->nprobes)
      counts[s->res.verdict]++;
  }
  char missing[128];
  bool out_of_class = plan_missing_requires(&c->plan, &c->effective, missing,
                                            sizeof missing);
  struct cert_lines why = {0}, notes = {0};
  bool ok = certify_judge(c->caps, c->ncaps, out_of_class ? missing : NULL,
                          c->tests, n, &why, &notes);
  char verdict_line[256], host[256] = "localhost", stamp[32];
  snprintf(verdict_line, sizeof verdict_line, "%s%s%s",
           ok ? "certified" : "not certified", ok ? "" : ": ",
           ok ? "" : why.v[0]);
  gethostname(host, sizeof host - 1);
  iso_time(started, stamp, sizeof stamp);
  const char *firmware = "";
  for (int i = 0; i < n && !*firmware; i++)
    if (c->slots[i].firmware)
      firmware = c->slots[i].firmware;
  struct ic_run_info info = {.profile = o->profile, .firmware = firmware,
                             .seed = o->shuffle ? o->seed : 0,
                             .hostname = host, .started = started,
                             .order = c->order, .plan = c->plan.name,
                             .certification = verdict_line};
  struct ic_case_result *rs = runner_results(c->slots, n);
  char *junit = ic_asprintf("%s/junit.xml", o->outdir);
  char *html = ic_asprintf("%s/report.html", o->outdir);
  int rc = -1;
  if (!rs || !junit || !html)
    ic_fail(d, "out of memory");
  else if (junit_write(junit, &info, rs, (size_t)n, d) == 0 &&
           report_write_html(html, &info, rs, (size_t)n, d) == 0)
    rc = 0;
  ic_free(rs);
  ic_free(junit);
  ic_free(html);
  char signer[2 * SIGN_PUB_SIZE + 1] = "";
  if (rc == 0 && o->key) {
    uint8_t pub[SIGN_PUB_SIZE];
    char *pubpath = ic_asprintf("%s/%s", o->outdir, CERTDOC_PUB);
    rc = pubpath ? sign_write_public(o->key, pubpath, d)
                 : ic_fail(d, "out of memory");
    if (rc == 0)
      rc = sign_key_public(o->key, pub, d);
    if (rc == 0)
      sign_hex(pub, SIGN_PUB_SIZE, signer);
    ic_free(pubpath);
  }
  char plan_hash[65] = "", prof_hash[65] = "";
  if (rc == 0)
    rc = sign_file_sha256(c->plan.path, plan_hash, NULL, d);
  if (rc == 0)
    rc = sign_file_sha256(o->profile, prof_hash, NULL, d);
  if (rc == 0) {
    struct certdoc doc = {
        .certified = ok, .why = &why, .notes = &notes,
        .impcert_version = version, .plan_name = c->plan.name,
        .plan_path = c->plan.path, .plan_sha256 = plan_hash,
        .profile_name = c->declared.name, .profile_path = o->profile,
        .profile_sha256 = prof_hash, .firmware = firmware, .host = host,
        .started = stamp, .shuffled = o->shuffle, .seed = o->seed,
        .order = c->order, .plugins = c->plugin_files, .nplugins = c->np,
        .caps = c->caps, .ncaps = c->ncaps, .tests = c->tests,
        .ntests = n, .signer = o->key ? signer : NULL};
    rc = certdoc_write(o->outdir, &doc, o->key, d);
  }
  if (rc == 0)
    print_summary(c, ok, &why, &notes, counts, o->key ? signer : NULL);
  cert_lines_fini(&why);
  cert_lines_fini(&notes);
  if (rc < 0)
    return IC_EXIT_USAGE;
  return ok ? IC_EXIT_OK : IC_EXIT_FAILED;
}

int certify_run(const struct run_opts *opts, const char *version) {
  struct run_opts o = *opts;
  struct cert c = {.o = &o};
  struct ic_diag d;
  struct runner r = {0};
  int rc = IC_EXIT_USAGE;
  char *captures = NULL;
  uint8_t pub[SIGN_PUB_SIZE];
  if (o.key && sign_key_public(o.key, pub, &d) < 0)
    goto fail;
  if (load(&c, &d) < 0 || prepare_outdir(o.outdir, &d) < 0)
    goto fail;
  if (!(captures = ic_asprintf("%s/captures", o.outdir))) {
    ic_fail(&d, "out of memory");
    goto fail;
  }
  o.capture_dir = captures;
  o.junit = o.html = NULL;
  if (runner_open(&r, &o, &c.probe_prof, &d) < 0)
    goto fail;
  time_t started = time(NULL);
  if (!o.quiet)
    printf("impcert certify: plan %s, DUT %s; self-check: %d probes\n",
           c.plan.name, c.declared.name, c.nprobes);
  r.total = c.nprobes;
  runner_exec(&r, c.slots, c.nprobes);
  if (runner_interrupted())
    goto interrupted;
  if (read_probes(&c, &d) < 0 || select_plan(&c, &d) < 0) {
    runner_close(&r);
    goto fail;
  }
  if (!o.quiet)
    printf("impcert certify: %d tests of plan %s%s\n",
           c.nslots - c.nprobes, c.plan.name,
           c.order ? " (shuffled)" : "");
  r.prof = &c.effective;
  r.done = 0;
  r.total = c.nslots - c.nprobes;
  runner_exec(&r, c.slots + c.nprobes, c.nslots - c.nprobes);
  if (runner_interrupted())
    goto interrupted;
  runner_close(&r);
  rc = finish(&c, started, version, &d);
  if (rc == IC_EXIT_USAGE)
    goto fail;
  ic_free(captures);
  cert_fini(&c);
  return rc;
interrupted:
  /* an interrupted run certifies nothing: no report, no signature */
  runner_close(&r);
  fprintf(stderr, "impcert certify: interrupted by signal %d; nothing "
          "written but the captures so far\n", runner_interrupted());
  ic_free(captures);
  cert_fini(&c);
  return IC_EXIT_INTERRUPTED;
fail:
  fprintf(stderr, "impcert certify: %s\n", d.msg);
  ic_free(captures);
  cert_fini(&c);
  return IC_EXIT_USAGE;
}

int certify_verify(const char *dir, const char *pubkey) {
  return certdoc_verify(dir, pubkey);
}

int certify_keygen(const char *priv, const char *pub) {
  struct ic_diag d;
  if (sign_keygen(priv, pub, &d) < 0) {
    fprintf(stderr, "impcert keygen: %s\n", d.msg);
    return IC_EXIT_USAGE;
  }
  printf("impcert keygen: private key %s (keep it secret), public key %s\n",
         priv, pub);
  return IC_EXIT_OK;
}
