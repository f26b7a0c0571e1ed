/*
** harness_junit_test.c: the JUnit writer against specs/junit.xsd.
** Every file written here is validated with libxml2's schema validator and
** read back with XPath. With `--write-sample FILE` the program only writes
** a sample report (all five verdicts, hostile text) for
** tests/junit-reader.sh and prints the counts it expects.
** Run from the repository root (or set IMPCERT_JUNIT_XSD).
*/
/* The tables below list results positionally up to capture_path; later
** fields (flaky) are meant to be NULL. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>

#include "cu_main.h"
#include "junit.h"
#include "result.h"

#define S(lit) ((char *)(lit))

/* ---- helpers ------------------------------------------------------------ */

static const char *xsd_path(void) {
  const char *p = getenv("IMPCERT_JUNIT_XSD");
  return p && *p ? p : "specs/junit.xsd";
}

/* 0 if file validates against specs/junit.xsd, else -1 (errors on
** stderr). */
static int validate(const char *file) {
  int rc = -1;
  xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd_path());
  xmlSchemaPtr schema = pc ? xmlSchemaParse(pc) : NULL;
  xmlSchemaValidCtxtPtr vc = schema ? xmlSchemaNewValidCtxt(schema) : NULL;
  if (!vc)
    fprintf(stderr, "cannot load schema %s\n", xsd_path());
  else
    rc = xmlSchemaValidateFile(vc, file, 0) == 0 ? 0 : -1;
  if (vc)
    xmlSchemaFreeValidCtxt(vc);
  if (schema)
    xmlSchemaFree(schema);
  if (pc)
    xmlSchemaFreeParserCtxt(pc);
  return rc;
}

/* A fresh directory for one test; dir has room for 64 bytes. */
static void make_dir(char dir[64]) {
  snprintf(dir, 64, "/tmp/impcert-junit-XXXXXX");
  CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
}

static void remove_dir(const char *dir, const char *file) {
  char p[160];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  unlink(p);
  snprintf(p, sizeof p, "%s/%s.tmp", dir, file);
  unlink(p);
  rmdir(dir);
}

/* The string value of an XPath expression (caller frees with xmlFree). */
static char *xp_str(xmlDocPtr doc, const char *expr) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression(BAD_CAST expr, ctx)
                            : NULL;
  xmlChar *s = o ? xmlXPathCastToString(o) : NULL;
  xmlXPathFreeObject(o);
  xmlXPathFreeContext(ctx);
  return (char *)s;
}

static int xp_eq(xmlDocPtr doc, const char *expr, const char *want) {
  char *got = xp_str(doc, expr);
  int ok = got && strcmp(got, want) == 0;
  if (!ok)
    fprintf(stderr, "  %s: got \"%s\", want \"%s\"\n", expr,
            got ? got : "(null)", want);
  xmlFree(got);
  return ok;
}

static double xp_num(xmlDocPtr doc, const char *expr) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression(BAD_CAST expr, ctx)
                            : NULL;
  double v = o ? xmlXPathCastToNumber(o) : NAN;
  xmlXPathFreeObject(o);
  xmlXPathFreeContext(ctx);
  return v;
}

static int xp_has(xmlDocPtr doc, const char *needle_expr, const char *sub) {
  char *got = xp_str(doc, needle_expr);
  int ok = got && strstr(got, sub) != NULL;
  if (!ok)
    fprintf(stderr, "  %s lacks \"%s\"\n", needle_expr, sub);
  xmlFree(got);
  return ok;
}

static const struct ic_run_info run_info = {
    .profile = "harness/duts/refimp-native.conf", .firmware = "refimp 0.1",
    .seed = 4242, .hostname = "buildhost", .started = 365 * 86400};

/* Writes rs[0..n) into dir/name, validates, parses; NULL on failure. */
static xmlDocPtr write_valid(const char *dir, const char *name,
                             const struct ic_case_result *rs, size_t n) {
  char path[160];
  struct ic_diag d = {""};
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int rc = junit_write(path, &run_info, rs, n, &d);
  if (rc != 0)
    fprintf(stderr, "  junit_write: %s\n", d.msg);
  CU_ASSERT_EQUAL(rc, 0);
  if (rc != 0)
    return NULL;
  CU_ASSERT_EQUAL(validate(path), 0);
  xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
  CU_ASSERT_PTR_NOT_NULL(doc);
  return doc;
}

/* ---- the sample: all five verdicts in two suites ------------------------ */

static const struct ic_case_result sample[] = {
    {"boot", "BOOT-001", "cold boot sends a device state", "BOOT-R1,BOOT-R2",
     IMPCERT_PASS, 0.25, NULL, NULL, S("-> hello\n<- state\n"),
     S("booting\n"), S("/tmp/caps/BOOT-001.pcap"), NULL, NULL, NULL, true,
     12.5},
    {"boot", "BOOT-002", "bad hash triggers a download", "BOOT-R3",
     IMPCERT_FAIL, 1.5, S("expected code download"),
     S("boot.c:40: no code frame\nboot.c:41: hash not resent\n"),
     S("-> state\n"), NULL, NULL},
    {"net", "NET-001", "cellular fallback port", "NET-R9", IMPCERT_SKIP,
     0.0, S("needs capability cellular"), NULL, NULL, NULL, NULL},
    {"net", "NET-002", "reconnect after close", "NET-R1", IMPCERT_ERROR,
     2.0, S("DUT crashed (signal 11)"), NULL, S("-> hello\n"),
     S("Segmentation fault\n"), NULL},
    {"boot", "BOOT-003", "timer drift within 1 %", "BOOT-R7",
     IMPCERT_INCONCLUSIVE, 0.75, S("clock sample too small"),
     S("3 samples, need 10"), NULL, NULL, NULL},
    {"boot", "BOOT-004", "hostile \x1b[31mtext\x1b[0m <&>'\" ]]>",
     "BOOT-R8", IMPCERT_FAIL, 0.125, S("bad \x01\xff bytes ]]> <&>'\""),
     S("NUL-free \x1b[1m\xc0\x80 details ]]>"),
     S("\x1b[32mgreen\x1b[0m \xed\xa0\x80 transcript"),
     S("dut says \x07\x08 \xf4\x90\x80\x80"), NULL},
};
#define NSAMPLE (sizeof sample / sizeof sample[0])

/* Writes the sample to path and prints the counts of its verdicts. */
static int write_sample(const char *path) {
  struct ic_diag d = {""};
  if (junit_write(path, &run_info, sample, NSAMPLE, &d) != 0) {
    fprintf(stderr, "harness_junit_test: %s\n", d.msg);
    return 1;
  }
  size_t count[5] = {0};
  for (size_t i = 0; i < NSAMPLE; i++)
    count[sample[i].verdict]++;
  printf("tests=%zu failures=%zu errors=%zu skipped=%zu\n", NSAMPLE,
         count[IMPCERT_FAIL], count[IMPCERT_ERROR] +
         count[IMPCERT_INCONCLUSIVE], count[IMPCERT_SKIP]);
  return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_five_verdicts(void) {
  char dir[64];
  make_dir(dir);
  xmlDocPtr doc = write_valid(dir, "r.xml", sample, NSAMPLE);
  if (doc) {
    CU_ASSERT_EQUAL(xp_num(doc, "count(/testsuites/testsuite)"), 2);
    CU_ASSERT_EQUAL(xp_num(doc, "count(/testsuites/@*)"), 0);
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[1]/@name", "boot"));
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[1]/@package",
                    "impcert.boot"));
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[2]/@id", "1"));
    CU_ASSERT(xp_eq(doc, "//testsuite[@name='boot']/@tests", "4"));
    CU_ASSERT(xp_eq(doc, "//testsuite[@name='boot']/@failures", "2"));
    CU_ASSERT(xp_eq(doc, "//testsuite[@name='boot']/@errors", "1"));
    CU_ASSERT(xp_eq(doc, "//testsuite[@name='boot']/@skipped", "0"));
    CU_ASSERT(xp_eq(doc, "//testsuite[@name='net']/@skipped", "1"));
    CU_ASSERT(xp_eq(doc, "//testsuite[@name='net']/@errors", "1"));
    CU_ASSERT(xp_eq(doc, "//testsuite[@name='boot']/@time", "2.625"));
    CU_ASSERT(xp_eq(doc, "//testsuite[1]/@timestamp",
                    "1971-01-01T00:00:00"));
    CU_ASSERT(xp_eq(doc, "//testsuite[1]/@hostname", "buildhost"));
    /* pass: a bare testcase */
    CU_ASSERT_EQUAL(xp_num(doc, "count(//testcase[@name='BOOT-001']/*)"), 0);
    CU_ASSERT(xp_eq(doc, "//testcase[@name='BOOT-001']/@classname",
                    "impcert.boot"));
    CU_ASSERT(xp_eq(doc, "//testcase[@name='BOOT-001']/@time", "0.250"));
    /* fail */
    CU_ASSERT(xp_eq(doc, "//testcase[@name='BOOT-002']/failure/@type",
                    "fail"));
    CU_ASSERT(xp_eq(doc, "//testcase[@name='BOOT-002']/failure/@message",
                    "expected code download"));
    CU_ASSERT(xp_eq(doc, "//testcase[@name='BOOT-002']/failure",
                    "boot.c:40: no code frame\nboot.c:41: hash not resent\n"));
    /* skip */
    CU_ASSERT(xp_eq(doc, "//testcase[@name='NET-001']/skipped/@message",
                    "needs capability cellular"));
    /* error */
    CU_ASSERT(xp_eq(doc, "//testcase[@name='NET-002']/error/@type", "error"));
    CU_ASSERT(xp_eq(doc, "//testcase[@name='NET-002']/error/@message",
                    "DUT crashed (signal 11)"));
    /* inconclusive: an error of its own type plus a suite property */
    CU_ASSERT(xp_eq(doc, "//testcase[@name='BOOT-003']/error/@type",
                    "inconclusive"));
    CU_ASSERT(xp_eq(doc, "//testcase[@name='BOOT-003']/error/@message",
                    "inconclusive: clock sample too small"));
    CU_ASSERT(xp_has(doc, "//testcase[@name='BOOT-003']/error",
                     "inconclusive: clock sample too small\n3 samples"));
    CU_ASSERT(xp_eq(doc, "//property[@name='inconclusive.BOOT-003']/@value",
                    "clock sample too small"));
    /* requirements, titles and run facts */
    CU_ASSERT(xp_eq(doc, "//property[@name='requirements.BOOT-001']/@value",
                    "BOOT-R1,BOOT-R2"));
    CU_ASSERT(xp_eq(doc, "//property[@name='title.NET-002']/@value",
                    "reconnect after close"));
    CU_ASSERT_EQUAL(xp_num(doc, "count(//property[@name='run.seed'"
                                " and @value='4242'])"), 2);
    CU_ASSERT(xp_eq(doc, "//testsuite[2]//property[@name='dut.profile']"
                         "/@value", "harness/duts/refimp-native.conf"));
    CU_ASSERT(xp_eq(doc, "//testsuite[1]//property[@name='firmware.version']"
                         "/@value", "refimp 0.1"));
    /* suite output, one section per test */
    CU_ASSERT(xp_has(doc, "//testsuite[1]/system-out",
                     "===== BOOT-001: cold boot sends a device state [pass]"
                     " =====\n-> hello\n<- state\n"
                     "[[ATTACHMENT|/tmp/caps/BOOT-001.pcap]]\n"));
    CU_ASSERT(xp_has(doc, "//testsuite[1]/system-out",
                     "===== BOOT-003: timer drift within 1 % [inconclusive]"));
    CU_ASSERT(xp_has(doc, "//testsuite[1]/system-err",
                     "===== BOOT-001 =====\nbooting\n"));
    CU_ASSERT(xp_has(doc, "//testsuite[2]/system-err",
                     "===== NET-002 =====\nSegmentation fault\n"));
    xmlFreeDoc(doc);
  }
  remove_dir(dir, "r.xml");
}

static void test_hostile_text(void) {
  char dir[64];
  make_dir(dir);
  struct ic_case_result r = {
      "suite \x1b x", "ID\x01-1", "t\xff", "R\x02", IMPCERT_FAIL, 0.5,
      S("A\x1b[31mB\x01" "C]]><&>'\"\xff\xc0\x80" "D\xed\xa0\x80"
        "E\xef\xbf\xbe" "F\xe2\x82G \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
      S("x\ty\r\nz\x1f\x7f"), S("]]>\x1b"), S("\x0c"), S("/p/\x1b.pcap")};
  xmlDocPtr doc = write_valid(dir, "h.xml", &r, 1);
  if (doc) {
    CU_ASSERT(xp_eq(doc, "//failure/@message",
                    "A[31mBC]]><&>'\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                    "D\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                    "E\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                    "F\xef\xbf\xbd\xef\xbf\xbdG \xc3\xa9\xe2\x82\xac"
                    "\xf0\x9f\x98\x80"));
    /* TAB, CR, LF and DEL are XML characters and survive; 0x1f does not */
    CU_ASSERT(xp_eq(doc, "//failure", "x\ty\r\nz\x7f"));
    CU_ASSERT(xp_eq(doc, "//testcase/@name", "ID-1"));
    CU_ASSERT(xp_eq(doc, "//testsuite/@name", "suite  x"));
    CU_ASSERT(xp_has(doc, "//system-out", "]]>\n[[ATTACHMENT|/p/.pcap]]"));
    CU_ASSERT(xp_eq(doc, "//property[@name='requirements.ID-1']/@value",
                    "R"));
    xmlFreeDoc(doc);
  }
  remove_dir(dir, "h.xml");
}

static void test_sample_file_valid(void) {
  /* The sample itself (hostile case included) validates. */
  char dir[64];
  make_dir(dir);
  xmlDocPtr doc = write_valid(dir, "s.xml", sample, NSAMPLE);
  if (doc) {
    CU_ASSERT(xp_has(doc, "//testcase[@name='BOOT-004']/failure",
                     "NUL-free [1m\xef\xbf\xbd\xef\xbf\xbd details ]]>"));
    CU_ASSERT(xp_has(doc, "//testsuite[1]/system-err",
                     "dut says  \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                     "\xef\xbf\xbd\n"));
    xmlFreeDoc(doc);
  }
  remove_dir(dir, "s.xml");
}

static void test_clean_text(void) {
  char *c = junit_clean_text("a\0b\tc\x7f\x1b", 7);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_STRING_EQUAL(c, "ab\tc\x7f");
  ic_free(c);
  c = junit_clean_text(NULL, 5);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_STRING_EQUAL(c, "");
  ic_free(c);
  /* a truncated 4-byte sequence at the very end */
  c = junit_clean_text("ok\xf0\x9f\x98", 5);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_STRING_EQUAL(c, "ok\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  ic_free(c);
  /* the largest code point and U+D7FF, U+E000 are kept */
  c = junit_clean_text("\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80", 10);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_STRING_EQUAL(c, "\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80");
  ic_free(c);
}

static void test_suite_grouping(void) {
  char dir[64];
  make_dir(dir);
  struct ic_case_result r[] = {
      {"b", "B1", "", "", IMPCERT_PASS, 0.001, NULL, NULL, NULL, NULL, NULL},
      {"a", "A1", "", "", IMPCERT_FAIL, 0.002, NULL, NULL, NULL, NULL, NULL},
      {"b", "B2", "", "", IMPCERT_SKIP, 0.003, NULL, NULL, NULL, NULL, NULL},
      {"c", "C1", "", "", IMPCERT_ERROR, 0, NULL, NULL, NULL, NULL, NULL},
      {"a", "A2", "", "", IMPCERT_INCONCLUSIVE, 0, NULL, NULL, NULL, NULL,
       NULL}};
  xmlDocPtr doc = write_valid(dir, "g.xml", r, 5);
  if (doc) {
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[1]/@name", "b"));
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[2]/@name", "a"));
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[3]/@name", "c"));
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[3]/@id", "2"));
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[1]/testcase[2]/@name", "B2"));
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[1]/@time", "0.004"));
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[2]/@failures", "1"));
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[2]/@errors", "1"));
    CU_ASSERT(xp_eq(doc, "/testsuites/testsuite[3]/@errors", "1"));
    /* every suite's attributes agree with its testcases */
    for (int s = 1; s <= 3; s++) {
      char e1[128], e2[128];
      snprintf(e1, sizeof e1, "count(/testsuites/testsuite[%d]/testcase)", s);
      snprintf(e2, sizeof e2, "number(/testsuites/testsuite[%d]/@tests)", s);
      CU_ASSERT_EQUAL(xp_num(doc, e1), xp_num(doc, e2));
      snprintf(e1, sizeof e1,
               "count(/testsuites/testsuite[%d]/testcase/error)", s);
      snprintf(e2, sizeof e2, "number(/testsuites/testsuite[%d]/@errors)", s);
      CU_ASSERT_EQUAL(xp_num(doc, e1), xp_num(doc, e2));
    }
    xmlFreeDoc(doc);
  }
  remove_dir(dir, "g.xml");
}

static void test_missing_directory(void) {
  struct ic_diag d = {""};
  const char *path = "/nonexistent-impcert-dir/sub/report.xml";
  CU_ASSERT_EQUAL(junit_write(path, &run_info, sample, NSAMPLE, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, path));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "No such file"));
  CU_ASSERT_EQUAL(junit_write(NULL, &run_info, sample, 1, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "path"));
  CU_ASSERT_EQUAL(junit_write("x.xml", &run_info, NULL, 3, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "x.xml"));
}

static void test_path_is_directory(void) {
  char dir[64], tmp[96];
  make_dir(dir);
  struct ic_diag d = {""};
  CU_ASSERT_EQUAL(junit_write(dir, &run_info, sample, NSAMPLE, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, dir));
  snprintf(tmp, sizeof tmp, "%s.tmp", dir);
  CU_ASSERT_EQUAL(access(tmp, F_OK), -1); /* the temporary file is gone */
  unlink(tmp);
  rmdir(dir);
}

static void test_empty_list(void) {
  char dir[64];
  make_dir(dir);
  xmlDocPtr doc = write_valid(dir, "e.xml", NULL, 0);
  if (doc) {
    CU_ASSERT(xp_eq(doc, "name(/*)", "testsuites"));
    CU_ASSERT_EQUAL(xp_num(doc, "count(//testsuite)"), 0);
    xmlFreeDoc(doc);
  }
  remove_dir(dir, "e.xml");
}

static void test_duplicate_ids(void) {
  char dir[64];
  make_dir(dir);
  struct ic_case_result r[] = {
      {"s", "X", "", "", IMPCERT_PASS, 0, NULL, NULL, NULL, NULL, NULL},
      {"s", "X", "", "", IMPCERT_FAIL, 0, NULL, NULL, NULL, NULL, NULL},
      {"s", "X#2", "", "", IMPCERT_PASS, 0, NULL, NULL, NULL, NULL, NULL},
      {"s", "X", "", "", IMPCERT_INCONCLUSIVE, 0, NULL, NULL, NULL, NULL,
       NULL}};
  xmlDocPtr doc = write_valid(dir, "d.xml", r, 4);
  if (doc) {
    CU_ASSERT(xp_eq(doc, "//testcase[1]/@name", "X"));
    CU_ASSERT(xp_eq(doc, "//testcase[2]/@name", "X#2"));
    CU_ASSERT(xp_eq(doc, "//testcase[3]/@name", "X#2#2"));
    CU_ASSERT(xp_eq(doc, "//testcase[4]/@name", "X#3"));
    CU_ASSERT_EQUAL(xp_num(doc, "count(//property[@name='inconclusive.X#3'])"),
                    1);
    xmlFreeDoc(doc);
  }
  remove_dir(dir, "d.xml");
}

static void test_times_and_nulls(void) {
  char dir[64];
  make_dir(dir);
  struct ic_case_result r[] = {
      {NULL, NULL, NULL, NULL, IMPCERT_PASS, 0.0004, NULL, NULL, NULL, NULL,
       NULL},
      {NULL, "", NULL, NULL, IMPCERT_FAIL, -3, NULL, NULL, NULL, NULL, NULL},
      {"", " ", NULL, NULL, IMPCERT_SKIP, NAN, NULL, NULL, NULL, NULL, NULL},
      {NULL, "T", NULL, NULL, (enum impcert_verdict)9, 12345.678, NULL, NULL,
       NULL, NULL, NULL},
      {NULL, "U", NULL, NULL, IMPCERT_INCONCLUSIVE, 1e300, NULL, NULL, NULL,
       NULL, NULL}};
  struct ic_run_info bare = {.profile = NULL};
  char path[96];
  struct ic_diag d = {""};
  snprintf(path, sizeof path, "%s/t.xml", dir);
  CU_ASSERT_EQUAL_FATAL(junit_write(path, &bare, r, 5, &d), 0);
  CU_ASSERT_EQUAL(validate(path), 0);
  xmlDocPtr doc = xmlReadFile(path, NULL, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  CU_ASSERT(xp_eq(doc, "//testcase[1]/@time", "0.000"));
  CU_ASSERT(xp_eq(doc, "//testcase[2]/@time", "0.000"));
  CU_ASSERT(xp_eq(doc, "//testcase[3]/@time", "0.000"));
  CU_ASSERT(xp_eq(doc, "//testcase[4]/@time", "12345.678"));
  CU_ASSERT(xp_eq(doc, "//testcase[5]/@time", "0.000"));
  /* NULL and "" suites are one suite; "" and blank IDs get a name */
  CU_ASSERT_EQUAL(xp_num(doc, "count(//testsuite)"), 1);
  CU_ASSERT(xp_eq(doc, "//testsuite/@name", "unnamed"));
  CU_ASSERT(xp_eq(doc, "//testcase[1]/@name", "unnamed"));
  CU_ASSERT(xp_eq(doc, "//testcase[2]/@name", "unnamed#2"));
  CU_ASSERT(xp_eq(doc, "//testcase[4]/error/@message", "unknown verdict 9"));
  CU_ASSERT(xp_eq(doc, "//testsuite/@errors", "2"));
  CU_ASSERT(xp_eq(doc, "//testsuite/@time", "12345.678"));
  char *host = xp_str(doc, "string(//testsuite/@hostname)");
  CU_ASSERT(host && *host);
  xmlFree(host);
  xmlFreeDoc(doc);
  remove_dir(dir, "t.xml");
}

/* Failing each allocation in turn gives -1 with a message, leaves the
** previous report in place and no temporary file. */
static void test_alloc_failures(void) {
  char dir[64], path[96], tmp[128];
  make_dir(dir);
  snprintf(path, sizeof path, "%s/a.xml", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("old\n", f);
  fclose(f);
  int done = 0;
  unsigned long k;
  for (k = 1; k < 5000 && !done; k++) {
    struct ic_diag d = {""};
    ic_alloc_fail_after(k);
    int rc = junit_write(path, &run_info, sample, NSAMPLE, &d);
    ic_alloc_fail_after(0);
    if (rc == 0) {
      done = 1;
      break;
    }
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT(d.msg[0] != '\0');
    CU_ASSERT_EQUAL(access(tmp, F_OK), -1);
    char buf[8] = "";
    f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(buf, sizeof buf, f));
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, "old\n");
  }
  CU_ASSERT(done);
  CU_ASSERT(k > 10); /* the loop did exercise failures */
  CU_ASSERT_EQUAL(validate(path), 0);
  remove_dir(dir, "a.xml");
}

/* A write that fails half way (file size limit, as on a full disk) gives
** -1 naming the file and the cause, and leaves no partial report. */
static void test_write_error(void) {
  char dir[64], path[96], tmp[128];
  make_dir(dir);
  snprintf(path, sizeof path, "%s/f.xml", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  struct rlimit old, small;
  CU_ASSERT_FATAL(getrlimit(RLIMIT_FSIZE, &old) == 0);
  small = old;
  small.rlim_cur = 300;
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &small) == 0);
  struct ic_diag d = {""};
  int rc = junit_write(path, &run_info, sample, NSAMPLE, &d);
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, prev);
  CU_ASSERT_EQUAL(rc, -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, tmp));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "too large"));
  CU_ASSERT_EQUAL(access(tmp, F_OK), -1);
  CU_ASSERT_EQUAL(access(path, F_OK), -1);
  remove_dir(dir, "f.xml");
}

/* Device time goes in the suite property device_time.<name> (seconds, as
** testcase/@time), only for a case that had a device. */
static void test_device_time(void) {
  char dir[64];
  make_dir(dir);
  struct ic_case_result r[2] = {
      {.suite = "boot", .id = "TIME-002", .verdict = IMPCERT_PASS,
       .seconds = 0.25, .has_device_time = true, .device_seconds = 10.0},
      {.suite = "boot", .id = "SKIPPED", .verdict = IMPCERT_SKIP}};
  xmlDocPtr doc = write_valid(dir, "d.xml", r, 2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  CU_ASSERT(xp_eq(doc, "//property[@name='device_time.TIME-002']/@value",
                  "10.000"));
  CU_ASSERT(xp_eq(doc, "//testcase[@name='TIME-002']/@time", "0.250"));
  CU_ASSERT_EQUAL(
      xp_num(doc, "count(//property[starts-with(@name,'device_time.')])"), 1);
  xmlFreeDoc(doc);
  remove_dir(dir, "d.xml");
}

static void test_result_helpers(void) {
  CU_ASSERT_STRING_EQUAL(result_verdict_name(IMPCERT_PASS), "pass");
  CU_ASSERT_STRING_EQUAL(result_verdict_name(IMPCERT_FAIL), "fail");
  CU_ASSERT_STRING_EQUAL(result_verdict_name(IMPCERT_SKIP), "skip");
  CU_ASSERT_STRING_EQUAL(result_verdict_name(IMPCERT_ERROR), "error");
  CU_ASSERT_STRING_EQUAL(result_verdict_name(IMPCERT_INCONCLUSIVE),
                         "inconclusive");
  CU_ASSERT_STRING_EQUAL(result_verdict_name((enum impcert_verdict)77),
                         "unknown");
  struct ic_case_result r = {"s", "i", "t", "q", IMPCERT_PASS, 0,
                             ic_strdup("m"), ic_strdup("d"), ic_strdup("t"),
                             ic_strdup("o"), ic_strdup("c")};
  result_fini(&r);
  CU_ASSERT_PTR_NULL(r.message);
  CU_ASSERT_PTR_NULL(r.capture_path);
  result_fini(&r); /* twice is harmless */
  result_fini(NULL);
}

static const struct cu_test junit_tests[] = {
    {"five verdicts map as specs/junit.md says", test_five_verdicts},
    {"hostile text is cleaned, file stays valid", test_hostile_text},
    {"the sample report validates", test_sample_file_valid},
    {"junit_clean_text", test_clean_text},
    {"suites in first-appearance order, counts", test_suite_grouping},
    {"missing directory names the path", test_missing_directory},
    {"path is a directory: no temp file left", test_path_is_directory},
    {"empty result list writes a valid file", test_empty_list},
    {"duplicate IDs get unique names", test_duplicate_ids},
    {"times, NULL fields, unknown verdict", test_times_and_nulls},
    {"every allocation failure is clean", test_alloc_failures},
    {"a failing write leaves no report", test_write_error},
    {"device time as a suite property", test_device_time},
    {"result_fini and verdict names", test_result_helpers},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"junit", junit_tests}};

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--write-sample") == 0)
    return write_sample(argv[2]);
  if (argc != 1) {
    fprintf(stderr, "usage: %s [--write-sample FILE]\n", argv[0]);
    return 2;
  }
  int rc = cu_run(suites, sizeof suites / sizeof suites[0]);
  xmlCleanupParser();
  return rc;
}
