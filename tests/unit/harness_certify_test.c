/* harness_certify_test.c: the certification rules (certify_judge), plans,
** the quarantine file, the shuffle and the capability names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certify.h"
#include "cu_main.h"
#include "diag.h"
#include "plan.h"
#include "profile.h"
#include "quarantine.h"
#include "runner.h"

static const char *write_tmp(const char *text) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/impcert-cert-XXXXXX");
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

/* True if some line of l contains s. */
static bool has_line(const struct cert_lines *l, const char *s) {
  for (int i = 0; i < l->n; i++)
    if (strstr(l->v[i], s))
      return true;
  return false;
}

static const struct cert_test base_test = {
    .id = "T-1", .suite = "s", .title = "t", .role = PLAN_MANDATORY,
    .verdict = IMPCERT_PASS};

/* Judge one mandatory test with verdict v (and flaky/quarantine). */
static bool judge_one(struct cert_test t, struct cert_lines *why,
                      struct cert_lines *notes) {
  struct cert_cap cap = {.name = "jig", .declared = true,
                         .status = CAP_SHOWN};
  return certify_judge(&cap, 1, NULL, &t, 1, why, notes);
}

static void judge_mandatory_verdicts(void) {
  static const struct {
    enum impcert_verdict v;
    const char *want;
  } cases[] = {{IMPCERT_FAIL, "mandatory T-1 fail"},
               {IMPCERT_ERROR, "mandatory T-1 error"},
               {IMPCERT_SKIP, "mandatory T-1 skip"},
               {IMPCERT_INCONCLUSIVE, "mandatory T-1 inconclusive"}};
  struct cert_lines why = {0}, notes = {0};
  CU_ASSERT_TRUE(judge_one(base_test, &why, &notes));
  CU_ASSERT_EQUAL(why.n, 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct cert_test t = base_test;
    t.verdict = cases[i].v;
    cert_lines_fini(&why);
    CU_ASSERT_FALSE(judge_one(t, &why, &notes));
    CU_ASSERT_TRUE(has_line(&why, cases[i].want));
  }
  struct cert_test flaky = base_test;
  flaky.flaky = true;
  cert_lines_fini(&why);
  CU_ASSERT_FALSE(judge_one(flaky, &why, &notes));
  CU_ASSERT_TRUE(has_line(&why, "mandatory T-1 flaky"));
  struct cert_test quarantined = base_test;
  quarantined.quarantine = "until 2099-01-01: known";
  cert_lines_fini(&why);
  CU_ASSERT_FALSE(judge_one(quarantined, &why, &notes));
  CU_ASSERT_TRUE(has_line(&why, "quarantined"));
  cert_lines_fini(&why);
  cert_lines_fini(&notes);
}

static void judge_optional_only_notes(void) {
  struct cert_test t[2] = {base_test, base_test};
  t[1].id = "T-2";
  t[1].role = PLAN_OPTIONAL;
  t[1].verdict = IMPCERT_FAIL;
  struct cert_lines why = {0}, notes = {0};
  CU_ASSERT_TRUE(certify_judge(NULL, 0, NULL, t, 2, &why, &notes));
  CU_ASSERT_TRUE(has_line(&notes, "optional T-2 fail"));
  /* No mandatory test at all: nothing was certified. */
  cert_lines_fini(&notes);
  CU_ASSERT_FALSE(certify_judge(NULL, 0, NULL, t + 1, 1, &why, &notes));
  CU_ASSERT_TRUE(has_line(&why, "no mandatory test"));
  cert_lines_fini(&why);
  cert_lines_fini(&notes);
}

static void judge_capabilities(void) {
  struct cert_cap caps[] = {
      {"jig-pins", true, CAP_ABSENT, "CAP-JIG-PINS fail: not offered"},
      {"jig", false, CAP_SHOWN, NULL},
      {"wifi", true, CAP_UNPROBED, NULL},
      {"board:imp001", true, CAP_UNDECIDED, "CAP-BOARD inconclusive"},
      {"bluetooth", false, CAP_ABSENT, NULL}};
  struct cert_lines why = {0}, notes = {0};
  CU_ASSERT_FALSE(
      certify_judge(caps, 5, "cellular", &base_test, 1, &why, &notes));
  CU_ASSERT_TRUE(has_line(&why, "over-declared: the profile declares "
                                "'jig-pins'"));
  CU_ASSERT_TRUE(has_line(&why, "not offered"));
  CU_ASSERT_TRUE(has_line(&why, "unverifiable: the profile declares 'wifi'"));
  CU_ASSERT_TRUE(has_line(&why, "unconfirmed: the profile declares "
                                "'board:imp001'"));
  CU_ASSERT_TRUE(has_line(&why, "device class") && has_line(&why, "cellular"));
  CU_ASSERT_EQUAL(why.n, 4);
  CU_ASSERT_TRUE(has_line(&notes, "under-declared: the DUT shows 'jig'"));
  CU_ASSERT_FALSE(has_line(&notes, "bluetooth"));
  cert_lines_fini(&why);
  cert_lines_fini(&notes);
}

static void cap_status_rules(void) {
  enum impcert_verdict pp[] = {IMPCERT_PASS, IMPCERT_PASS};
  enum impcert_verdict pi[] = {IMPCERT_PASS, IMPCERT_INCONCLUSIVE};
  enum impcert_verdict fi[] = {IMPCERT_INCONCLUSIVE, IMPCERT_FAIL};
  CU_ASSERT_EQUAL(certify_cap_status(pp, 0), CAP_UNPROBED);
  CU_ASSERT_EQUAL(certify_cap_status(pp, 2), CAP_SHOWN);
  CU_ASSERT_EQUAL(certify_cap_status(pi, 2), CAP_UNDECIDED);
  CU_ASSERT_EQUAL(certify_cap_status(fi, 2), CAP_ABSENT);
}

static void plan_loads_and_classifies(void) {
  const char *path = write_tmp(
      "# a plan\nname = t\ntitle = test plan\nrequires = jig\n"
      "mandatory = A-*, B-1 when jig\n"
      "mandatory = C-1 when jig, jig-power\n"
      "optional = C-*, D-1\n"
      "optional = E-*, !E-2\n");
  struct plan p;
  struct ic_diag d;
  CU_ASSERT_EQUAL_FATAL(plan_load(path, &p, &d), 0);
  CU_ASSERT_STRING_EQUAL(p.name, "t");
  CU_ASSERT_EQUAL(p.nrules, 4);
  struct profile caps = {0};
  char miss[64];
  CU_ASSERT_TRUE(plan_missing_requires(&p, &caps, miss, sizeof miss));
  CU_ASSERT_STRING_EQUAL(miss, "jig");
  CU_ASSERT_EQUAL(plan_role_of(&p, &caps, "A-1"), PLAN_NONE);
  CU_ASSERT_EQUAL(plan_role_of(&p, &caps, "C-1"), PLAN_OPTIONAL);
  CU_ASSERT_EQUAL(plan_role_of(&p, &caps, "D-1"), PLAN_OPTIONAL);
  CU_ASSERT_EQUAL(plan_role_of(&p, &caps, "E-1"), PLAN_OPTIONAL);
  CU_ASSERT_EQUAL(plan_role_of(&p, &caps, "E-2"), PLAN_NONE);
  CU_ASSERT_EQUAL_FATAL(profile_add_cap(&caps, "jig"), 0);
  CU_ASSERT_FALSE(plan_missing_requires(&p, &caps, miss, sizeof miss));
  CU_ASSERT_EQUAL(plan_role_of(&p, &caps, "A-1"), PLAN_MANDATORY);
  CU_ASSERT_EQUAL(plan_role_of(&p, &caps, "B-1"), PLAN_MANDATORY);
  CU_ASSERT_EQUAL(plan_role_of(&p, &caps, "B-2"), PLAN_NONE);
  CU_ASSERT_EQUAL(plan_role_of(&p, &caps, "C-1"), PLAN_OPTIONAL);
  CU_ASSERT_EQUAL_FATAL(profile_add_cap(&caps, "jig-power"), 0);
  CU_ASSERT_EQUAL(plan_role_of(&p, &caps, "C-1"), PLAN_MANDATORY);
  const char *ids[] = {"A-7", "B-1", "C-1", "E-1", "E-2", "D-1"};
  CU_ASSERT_EQUAL(plan_check_ids(&p, ids, 6, &d), 0);
  CU_ASSERT_EQUAL(plan_check_ids(&p, ids, 5, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, ":7: 'D-1' matches no test"));
  profile_fini(&caps);
  plan_fini(&p);
  unlink(path);
}

static void plan_refuses_bad(void) {
  static const struct {
    const char *text, *want;
  } bad[] = {
      {"name = x\nmandatory = A-1\nbogus = 2\n", ":3: unknown key 'bogus'"},
      {"mandatory = A-1\n", "no 'name' key"},
      {"name = x\noptional = A-1\n", "no 'mandatory' rule"},
      {"name = x\n", "selects no test"},
      {"name = x\nmandatory = A-1 when teleport\n",
       ":2: 'teleport' is not a capability"},
      {"name = x\nmandatory = A/1\n", ":2: 'A/1' is not a test ID pattern"},
      {"name = x\nmandatory = A-1 when\n", ":2: no capability"},
      {"name = x\nname = y\nmandatory = A-1\n", ":2: 'name' given twice"},
      {"name = x\nmandatory\n", ":2: expected 'key = value'"},
      {"name = x\nrequires = warp\nmandatory = A-1\n", ":2: 'warp'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *path = write_tmp(bad[i].text);
    struct plan p;
    struct ic_diag d;
    CU_ASSERT_EQUAL(plan_load(path, &p, &d), -1);
    if (!strstr(d.msg, bad[i].want) || !strstr(d.msg, path))
      fprintf(stderr, "case %zu: got '%s', want '%s'\n", i, d.msg,
              bad[i].want);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, bad[i].want));
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, path));
    unlink(path);
  }
}

static void shipped_plans_load(void) {
  struct plan p;
  struct ic_diag d;
  CU_ASSERT_EQUAL_FATAL(plan_load("specs/plans/core.plan", &p, &d), 0);
  CU_ASSERT_STRING_EQUAL(p.name, "core");
  plan_fini(&p);
}

static void quarantine_rules(void) {
  struct quarantine q;
  struct ic_diag d;
  const char *path = write_tmp("# known\nA-1 2026-06-30 flaky on CI: #12\n"
                               "\nB-2  2026-06-01\tslow runner\n");
  CU_ASSERT_EQUAL_FATAL(quarantine_load(path, "2026-06-01", &q, &d), 0);
  CU_ASSERT_EQUAL(q.n, 2);
  CU_ASSERT_STRING_EQUAL(quarantine_find(&q, "A-1")->reason,
                         "flaky on CI: #12");
  CU_ASSERT_EQUAL(quarantine_find(&q, "B-2")->line, 4);
  CU_ASSERT_PTR_NULL(quarantine_find(&q, "C-3"));
  quarantine_fini(&q);
  /* The day after B-2's expiry it is an error naming its line. */
  CU_ASSERT_EQUAL(quarantine_load(path, "2026-06-02", &q, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, ":4: the quarantine of B-2 expired "
                                       "on 2026-06-01"));
  unlink(path);
  static const struct {
    const char *text, *want;
  } bad[] = {
      {"A-1 2026-02-30 x\n", ":1: expiry '2026-02-30' is not a date"},
      {"A-1 2026-13-01 x\n", "is not a date"},
      {"A-1 tomorrow x\n", "is not a date"},
      {"A-1 2027-01-01\n", ":1: expected 'TEST-ID YYYY-MM-DD reason'"},
      {"A-1 2027-01-01 a\nA-1 2027-01-01 b\n",
       ":2: A-1 is already quarantined at line 1"},
      {"A<1> 2027-01-01 x\n", "is not a test ID"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    path = write_tmp(bad[i].text);
    CU_ASSERT_EQUAL(quarantine_load(path, "2026-01-01", &q, &d), -1);
    if (!strstr(d.msg, bad[i].want))
      fprintf(stderr, "case %zu: got '%s', want '%s'\n", i, d.msg,
              bad[i].want);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, bad[i].want));
    unlink(path);
  }
}

/* The same seed gives the same permutation; every slot survives. */
static void shuffle_is_reproducible(void) {
  enum { N = 20 };
  static struct impcert_case tcs[N];
  static char names[N][8];
  struct runner_slot a[N], b[N];
  for (int i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "T-%02d", i);
    tcs[i].id = names[i];
    a[i] = (struct runner_slot){.tc = &tcs[i]};
    b[i] = a[i];
  }
  runner_shuffle(a, N, 12345);
  runner_shuffle(b, N, 12345);
  char *oa = runner_order(a, N), *ob = runner_order(b, N);
  CU_ASSERT_STRING_EQUAL(oa, ob);
  int seen[N] = {0}, moved = 0;
  for (int i = 0; i < N; i++) {
    int k = atoi(a[i].tc->id + 2);
    seen[k]++;
    moved += k != i;
  }
  for (int i = 0; i < N; i++)
    CU_ASSERT_EQUAL(seen[i], 1);
  CU_ASSERT_TRUE(moved > 0);
  runner_shuffle(b, N, 54321);
  char *oc = runner_order(b, N);
  CU_ASSERT_STRING_NOT_EQUAL(oa, oc);
  ic_free(oa);
  ic_free(ob);
  ic_free(oc);
}

/* profile.c's table of names is the table of specs/capabilities.md. */
static void capability_names_match_spec(void) {
  FILE *f = fopen("specs/capabilities.md", "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  char line[4096];
  int n = 0;
  bool in_table = false;
  const char *const *names = profile_cap_names();
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "## Capabilities", 15))
      in_table = true;
    else if (!strncmp(line, "## ", 3))
      in_table = false;
    if (!in_table || strncmp(line, "| `", 3))
      continue;
    char name[64];
    if (sscanf(line, "| `%63[^`]`", name) != 1)
      continue;
    if (!strcmp(name, "board:imp001")) { /* one row for all boards */
      for (; names[n] && !strncmp(names[n], "board:", 6); n++)
        ;
      continue;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(names[n]);
    if (strcmp(names[n], name))
      fprintf(stderr, "capabilities.md has '%s', profile.c '%s'\n", name,
              names[n]);
    CU_ASSERT_STRING_EQUAL(names[n], name);
    n++;
  }
  fclose(f);
  CU_ASSERT_PTR_NULL(names[n]);
}

static const struct cu_test judge_tests[] = {
    {"a mandatory non-pass blocks, each with its reason",
     judge_mandatory_verdicts},
    {"optional misses are notes; no mandatory test blocks",
     judge_optional_only_notes},
    {"over-declared, unprobed, undecided and out-of-class block",
     judge_capabilities},
    {"a capability's status from its probes", cap_status_rules},
    {NULL, NULL}};
static const struct cu_test plan_tests[] = {
    {"a plan loads and classifies tests", plan_loads_and_classifies},
    {"bad plans are refused with file:line", plan_refuses_bad},
    {"the shipped plans load", shipped_plans_load},
    {NULL, NULL}};
static const struct cu_test misc_tests[] = {
    {"quarantine entries, expiry and errors", quarantine_rules},
    {"the same seed gives the same order", shuffle_is_reproducible},
    {"capability names match specs/capabilities.md",
     capability_names_match_spec},
    {NULL, NULL}};
static const struct cu_suite suites[] = {{"certify judgement", judge_tests},
                                         {"plans", plan_tests},
                                         {"quarantine, shuffle, names",
                                          misc_tests}};
CU_MAIN(suites)
