/*
** harness_report_test.c: the HTML report writer (report.h).
** The page is written as well-formed XML on purpose (polyglot HTML), so
** these tests parse it with libxml2 and check its structure with XPath:
** one section and one chart per case, one arrow per message, hostile text
** that stays text, no network references, and clean failures.
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "cu_main.h"
#include "report.h"
#include "result.h"

#define S(lit) ((char *)(lit))

/* ---- helpers ------------------------------------------------------------ */

static const struct ic_run_info run_info = {
    .profile = "harness/duts/refimp-native.conf",
    .firmware = "38.0 refimp 0.1", .seed = 7, .hostname = "labhost",
    .started = 1795400000};

/* Four messages (one of each direction) and four notes. */
static const char transcript4[] =
    "    0.000 harness cloud on 127.0.0.1 ports 1,2,3\n"
    "    0.008 power  DUT powered on (pid 1)\n"
    "    0.021 jig->D BlinkUp{ssid=\"lab\"}\n"
    "    0.033 D->jig Hello{board=\"imp001\"}\n"
    "    0.034 D->C   ActivationRequest{plan_id=\"p\"}\n"
    "    0.079 C->D   ActivationResult{activated=true}\n"
    "    0.080 check  boot.c:12: failed: x == 1\n"
    "    0.081 end    x was 2\n";

static struct ic_case_result sample[] = {
    {.suite = "boot", .id = "BOOT-001",
     .title = "Pending Activation sends plan ID", .reqs = "BOOT-001",
     .verdict = IMPCERT_PASS, .seconds = 0.162, .transcript = S(transcript4),
     .dut_output = S("dut line\n"), .flaky = S("fail: x was 3\n")},
    {.suite = "boot", .id = "BOOT-002", .title = "Activation fails",
     .reqs = "BOOT-002,BOOT-003", .verdict = IMPCERT_FAIL, .seconds = 0.5,
     .message = S("x was 2"), .details = S("boot.c:12: failed: x == 1\n"),
     .transcript = S("    0.000 D->C   DeviceState{mac=\"0c2a69000001\"}\n"
                     "    0.010 cloud  session closed\n"),
     .capture_path = S("/tmp/caps/BOOT-002.pcap")},
    {.suite = "wake", .id = "<script>alert(1)</script>",
     .title = "title \"q\" 'a' & <b>bold</b>", .reqs = "R-<i>",
     .verdict = IMPCERT_ERROR, .seconds = 1.0,
     .message = S("bad \x01\xff bytes <script>alert(2)</script>"),
     .details = S("details \x1b[1m <img src=x onerror=alert(3)>"),
     .transcript =
         S("    0.001 D->C   Msg{s=\"<script>alert(4)</script>"
           "\x07\xc0\x80\"}\n"
           "    0.002 test   see http://example.com/x.js & <svg onload=y>\n"),
     .dut_output =
         S("dut says <script src=\"https://evil.example/x.js\"></script>\n")},
    {.suite = "wake", .id = "WAKE-009", .title = "no transcript",
     .reqs = "", .verdict = IMPCERT_SKIP, .message = S("no LED")},
};
#define NSAMPLE (sizeof sample / sizeof sample[0])

/* A fresh directory for one test; dir has room for 64 bytes. */
static void make_dir(char dir[64]) {
  snprintf(dir, 64, "/tmp/impcert-report-XXXXXX");
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

/* The whole file as a new string (free()), or NULL. */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *nb = realloc(buf, 2 * cap + 1);
      if (!nb)
        free(buf);
      buf = nb, cap *= 2;
    }
  }
  fclose(f);
  if (buf)
    buf[n] = '\0';
  return buf;
}

/* Write results to dir/name and parse the page as XML; NULL if either
** fails. *raw gets the file's bytes (free()). */
static xmlDocPtr write_parse(const char *dir, const char *name,
                             const struct ic_case_result *rs, size_t n,
                             char **raw) {
  char path[128];
  struct ic_diag d = {""};
  snprintf(path, sizeof path, "%s/%s", dir, name);
  *raw = NULL;
  if (report_write_html(path, &run_info, rs, n, &d) != 0) {
    fprintf(stderr, "report_write_html: %s\n", d.msg);
    return NULL;
  }
  *raw = slurp(path);
  if (!*raw)
    return NULL;
  return xmlReadMemory(*raw, (int)strlen(*raw), path, "UTF-8",
                       XML_PARSE_NONET);
}

/* The number an XPath expression evaluates to, or -1. */
static double xp_num(xmlDocPtr doc, const char *expr) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression(BAD_CAST expr, ctx)
                            : NULL;
  double v = o ? xmlXPathCastToNumber(o) : -1;
  xmlXPathFreeObject(o);
  xmlXPathFreeContext(ctx);
  return v;
}

/* The string value of an XPath expression (free with xmlFree). */
static char *xp_str(xmlDocPtr doc, const char *expr) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression(BAD_CAST expr, ctx)
                            : NULL;
  xmlChar *s = o ? xmlXPathCastToString(o) : NULL;
  xmlXPathFreeObject(o);
  xmlXPathFreeContext(ctx);
  return (char *)s;
}

static int xp_str_is(xmlDocPtr doc, const char *expr, const char *want) {
  char *s = xp_str(doc, expr);
  int ok = s && strcmp(s, want) == 0;
  if (!ok)
    fprintf(stderr, "%s: got '%s', want '%s'\n", expr, s ? s : "(null)",
            want);
  xmlFree(s);
  return ok;
}

static int xp_str_has(xmlDocPtr doc, const char *expr, const char *want) {
  char *s = xp_str(doc, expr);
  int ok = s && strstr(s, want) != NULL;
  if (!ok)
    fprintf(stderr, "%s: '%s' lacks '%s'\n", expr, s ? s : "(null)", want);
  xmlFree(s);
  return ok;
}

#define CASE(k) "(//section[contains(@class,'case')])[" #k "]"

/* ---- tests -------------------------------------------------------------- */

/* Summary, one section per case with ID, title, requirements, verdict,
** message, failed checks and DUT output in <details>. */
static void test_structure(void) {
  char dir[64], *raw;
  make_dir(dir);
  xmlDocPtr doc = write_parse(dir, "r.html", sample, NSAMPLE, &raw);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  CU_ASSERT(strncmp(raw, "<!DOCTYPE html>", 15) == 0);
  CU_ASSERT_EQUAL(xp_num(doc, "count(//head/style)"), 1);
  CU_ASSERT(xp_str_is(doc, "//*[@id='count-pass']", "1"));
  CU_ASSERT(xp_str_is(doc, "//*[@id='count-fail']", "1"));
  CU_ASSERT(xp_str_is(doc, "//*[@id='count-error']", "1"));
  CU_ASSERT(xp_str_is(doc, "//*[@id='count-skip']", "1"));
  CU_ASSERT(xp_str_is(doc, "//*[@id='count-inconclusive']", "0"));
  CU_ASSERT(xp_str_is(doc, "//*[@id='count-total']", "4"));
  CU_ASSERT(xp_str_is(doc, "//*[@id='count-flaky']", "1"));
  CU_ASSERT(xp_str_is(doc, CASE(1) "//pre[@class='flaky']",
                      "fail: x was 3\n"));
  CU_ASSERT_EQUAL(xp_num(doc, "count(//pre[@class='flaky'])"), 1);
  CU_ASSERT(xp_str_has(doc, "//section[@class='summary']",
                       "38.0 refimp 0.1"));
  CU_ASSERT(xp_str_has(doc, "//section[@class='summary']",
                       "harness/duts/refimp-native.conf"));
  CU_ASSERT(xp_str_has(doc, "//section[@class='summary']",
                       "2026-11-23 02:13:20 UTC"));
  CU_ASSERT_EQUAL(xp_num(doc, "count(//section[contains(@class,'case')])"),
                  4);
  CU_ASSERT(xp_str_is(doc, CASE(1) "/h2/span[@class='id']", "BOOT-001"));
  CU_ASSERT(xp_str_has(doc, CASE(1) "/h2", "Pending Activation"));
  CU_ASSERT(xp_str_is(doc, CASE(1) "/@class", "case v-pass"));
  CU_ASSERT(xp_str_is(doc, CASE(2) "/@class", "case v-fail"));
  CU_ASSERT(xp_str_is(doc, CASE(3) "/@class", "case v-error"));
  CU_ASSERT(xp_str_is(doc, CASE(4) "/@class", "case v-skip"));
  CU_ASSERT(xp_str_is(doc, CASE(2) "//span[contains(@class,'verdict')]",
                      "fail"));
  CU_ASSERT(xp_str_has(doc, CASE(2) "/table", "BOOT-002,BOOT-003"));
  CU_ASSERT(xp_str_is(doc, CASE(2) "//td[@class='msg']", "x was 2"));
  CU_ASSERT(xp_str_is(doc, CASE(2) "//pre[@class='checks']",
                      "boot.c:12: failed: x == 1\n"));
  CU_ASSERT(xp_str_has(doc, CASE(2) "/table", "/tmp/caps/BOOT-002.pcap"));
  CU_ASSERT(xp_str_is(doc, CASE(1) "/details[2]/pre", "dut line\n"));
  CU_ASSERT(xp_str_has(doc, CASE(1) "/details[2]/summary", "DUT output"));
  CU_ASSERT_EQUAL(xp_num(doc, "count(" CASE(1) "//pre[@class='checks'])"),
                  0);
  /* the index links to each section */
  CU_ASSERT(xp_str_is(doc, "//table[@class='index']//a[1]/@href",
                      "#case-1"));
  CU_ASSERT(xp_str_is(doc, CASE(1) "/@id", "case-1"));
  xmlFreeDoc(doc);
  free(raw);
  remove_dir(dir, "r.html");
}

/* One <svg> per case with a transcript, one arrow per message line with
** a <line> and a <path> head, one note per other line, three lifelines. */
static void test_chart_arrows(void) {
  char dir[64], *raw;
  make_dir(dir);
  xmlDocPtr doc = write_parse(dir, "c.html", sample, NSAMPLE, &raw);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  CU_ASSERT_EQUAL(xp_num(doc, "count(//svg)"), 3);
  CU_ASSERT_EQUAL(xp_num(doc, "count(" CASE(1) "//svg)"), 1);
  CU_ASSERT_EQUAL(xp_num(doc, "count(" CASE(4) "//svg)"), 0);
  CU_ASSERT_EQUAL(xp_num(doc, "count(" CASE(1) "//g[@class='arrow'])"), 4);
  CU_ASSERT_EQUAL(
      xp_num(doc, "count(" CASE(1) "//g[@class='arrow']/line)"), 4);
  CU_ASSERT_EQUAL(
      xp_num(doc, "count(" CASE(1) "//g[@class='arrow']/path)"), 4);
  CU_ASSERT_EQUAL(
      xp_num(doc, "count(" CASE(1) "//g[starts-with(@class,'note')])"), 4);
  CU_ASSERT_EQUAL(xp_num(doc, "count(" CASE(1) "//g[@class='lane'])"), 3);
  CU_ASSERT_EQUAL(xp_num(doc, "count(" CASE(2) "//g[@class='arrow'])"), 1);
  CU_ASSERT_EQUAL(xp_num(doc, "count(" CASE(3) "//g[@class='arrow'])"), 1);
  /* labels carry the message text and the timestamp */
  CU_ASSERT(xp_str_is(doc, "(" CASE(1) "//g[@class='arrow'])[1]/text",
                      "BlinkUp{ssid=\"lab\"}"));
  CU_ASSERT(xp_str_is(doc, "(" CASE(1) "//g[@class='arrow'])[3]/title",
                      "0.034 D->C ActivationRequest{plan_id=\"p\"}"));
  CU_ASSERT_EQUAL(xp_num(doc, "count(" CASE(1)
                              "//text[@class='time'][.='0.079'])"), 1);
  /* direction: jig->D runs left to right, C->D right to left */
  double a1 = xp_num(doc, "(" CASE(1) "//g[@class='arrow'])[1]/line/@x1");
  double b1 = xp_num(doc, "(" CASE(1) "//g[@class='arrow'])[1]/line/@x2");
  double a4 = xp_num(doc, "(" CASE(1) "//g[@class='arrow'])[4]/line/@x1");
  double b4 = xp_num(doc, "(" CASE(1) "//g[@class='arrow'])[4]/line/@x2");
  CU_ASSERT(a1 < b1);
  CU_ASSERT(a4 > b4);
  CU_ASSERT(xp_str_is(doc, CASE(1) "//g[@class='note n-check']/title",
                      "0.080 check boot.c:12: failed: x == 1"));
  CU_ASSERT(xp_str_has(doc, CASE(4), "No transcript"));
  xmlFreeDoc(doc);
  free(raw);
  remove_dir(dir, "c.html");
}

/* Hostile text stays text: no element, attribute or URL gets through. */
static void test_hostile_text(void) {
  char dir[64], *raw;
  make_dir(dir);
  xmlDocPtr doc = write_parse(dir, "h.html", sample, NSAMPLE, &raw);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  CU_ASSERT_PTR_NULL(strstr(raw, "<script"));
  CU_ASSERT_PTR_NULL(strstr(raw, "<img"));
  CU_ASSERT_PTR_NULL(strstr(raw, "<b>"));
  CU_ASSERT_PTR_NULL(strstr(raw, "<svg onload"));
  CU_ASSERT_PTR_NULL(strstr(raw, "src=\""));
  CU_ASSERT_PTR_NULL(strstr(raw, "src='"));
  CU_ASSERT_PTR_NULL(strstr(raw, "\x07"));
  CU_ASSERT_PTR_NULL(strstr(raw, "\x1b"));
  CU_ASSERT_PTR_NULL(strstr(raw, "\xff"));
  CU_ASSERT_PTR_NOT_NULL(strstr(raw, "&lt;script&gt;alert(1)"));
  CU_ASSERT_EQUAL(xp_num(doc, "count(//script|//img|//b|//i)"), 0);
  CU_ASSERT_EQUAL(xp_num(doc, "count(//@onload|//@onerror|//@src)"), 0);
  /* read back, the text is what the plugin said, cleaned */
  CU_ASSERT(xp_str_is(doc, CASE(3) "/h2/span[@class='id']",
                      "<script>alert(1)</script>"));
  CU_ASSERT(xp_str_has(doc, CASE(3) "/h2", "title \"q\" 'a' & <b>bold</b>"));
  CU_ASSERT(xp_str_is(doc, CASE(3) "//td[@class='msg']",
                      "bad \xef\xbf\xbd bytes <script>alert(2)</script>"));
  CU_ASSERT(xp_str_has(doc, CASE(3) "//g[@class='arrow']/title",
                       "<script>alert(4)</script>"));
  /* every href is a fragment of this page */
  CU_ASSERT_EQUAL(xp_num(doc, "count(//@href[not(starts-with(.,'#'))])"),
                  0);
  xmlFreeDoc(doc);
  free(raw);
  remove_dir(dir, "h.html");
}

/* Transcript parsing edge cases: continuation lines, blank lines, an
** unknown who column, a line that is all time, CRLF. */
static void test_odd_transcripts(void) {
  char dir[64], *raw;
  make_dir(dir);
  struct ic_case_result r = {
      .suite = "s", .id = "ODD-001", .title = "odd", .reqs = "R",
      .verdict = IMPCERT_INCONCLUSIVE,
      .transcript = S("\n  \n    0.001 D->C   one\r\n continuation of a note\n"
        "    0.002 X->Y   not an arrow\n    0.003\n1.5 C->D\n"
        "    0.004 D->C")};
  xmlDocPtr doc = write_parse(dir, "o.html", &r, 1, &raw);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  CU_ASSERT_EQUAL(xp_num(doc, "count(//svg)"), 1);
  CU_ASSERT_EQUAL(xp_num(doc, "count(//g[@class='arrow'])"), 3);
  CU_ASSERT_EQUAL(xp_num(doc, "count(//g[starts-with(@class,'note')])"), 3);
  CU_ASSERT(xp_str_is(doc, "(//g[@class='arrow'])[1]/text", "one"));
  CU_ASSERT(xp_str_is(doc, "//*[@id='count-inconclusive']", "1"));
  xmlFreeDoc(doc);
  free(raw);
  remove_dir(dir, "o.html");
}

/* A long transcript draws REPORT_MAX_EVENTS lines and says how many more;
** long labels are shortened, the tooltip keeps the whole line. */
static void test_long_transcript(void) {
  char dir[64], *raw;
  make_dir(dir);
  size_t lines = REPORT_MAX_EVENTS + 5;
  char *t = malloc(lines * 220 + 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  size_t o = 0;
  for (size_t i = 0; i < lines; i++)
    o += (size_t)sprintf(t + o, "%9.3f D->C   Msg{n=%zu, pad=\"%0150d\"}\n",
                         i / 1000.0, i, 0);
  struct ic_case_result r = {.suite = "s", .id = "LONG-001",
                             .title = "long", .reqs = "R",
                             .verdict = IMPCERT_PASS, .transcript = t};
  xmlDocPtr doc = write_parse(dir, "l.html", &r, 1, &raw);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  CU_ASSERT_EQUAL(xp_num(doc, "count(//g[@class='arrow'])"),
                  REPORT_MAX_EVENTS);
  CU_ASSERT(xp_str_has(doc, "//svg", "5 more lines not drawn"));
  CU_ASSERT(xp_str_has(doc, "(//g[@class='arrow'])[1]/title", "pad="));
  char *label = xp_str(doc, "(//g[@class='arrow'])[1]/text");
  CU_ASSERT(label && strlen(label) < 60);
  xmlFree(label);
  xmlFreeDoc(doc);
  free(raw);
  free(t);
  remove_dir(dir, "l.html");
}

/* A missing folder: -1 with a message naming the path. */
static void test_missing_directory(void) {
  struct ic_diag d = {""};
  const char *path = "/nonexistent-impcert-dir/sub/report.html";
  CU_ASSERT_EQUAL(report_write_html(path, &run_info, sample, NSAMPLE, &d),
                  -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, path));
  CU_ASSERT_EQUAL(report_write_html("", &run_info, sample, NSAMPLE, &d), -1);
  CU_ASSERT(d.msg[0] != '\0');
  CU_ASSERT_EQUAL(report_write_html("x.html", &run_info, NULL, 2, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "x.html"));
}

/* A write that fails half way (file size limit, as on a full disk) gives
** -1 naming the file and the cause, and leaves no partial report. */
static void test_write_error(void) {
  char dir[64], path[96], tmp[128];
  make_dir(dir);
  snprintf(path, sizeof path, "%s/f.html", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  struct rlimit old, small;
  CU_ASSERT_FATAL(getrlimit(RLIMIT_FSIZE, &old) == 0);
  small = old;
  small.rlim_cur = 300;
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &small) == 0);
  struct ic_diag d = {""};
  int rc = report_write_html(path, &run_info, sample, NSAMPLE, &d);
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, prev);
  CU_ASSERT_EQUAL(rc, -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, tmp));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "too large"));
  CU_ASSERT_EQUAL(access(tmp, F_OK), -1);
  CU_ASSERT_EQUAL(access(path, F_OK), -1);
  remove_dir(dir, "f.html");
}

/* Failing each allocation in turn gives -1 with a message, leaves the
** previous report in place and no temporary file. */
static void test_alloc_failures(void) {
  char dir[64], path[96], tmp[128];
  make_dir(dir);
  snprintf(path, sizeof path, "%s/a.html", dir);
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
    int rc = report_write_html(path, &run_info, sample, NSAMPLE, &d);
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
  CU_ASSERT(k > 5); /* the loop did exercise failures */
  remove_dir(dir, "a.html");
}

/* No results and no run info still make a valid page. */
static void test_empty(void) {
  char dir[64], path[96];
  make_dir(dir);
  snprintf(path, sizeof path, "%s/e.html", dir);
  struct ic_diag d = {""};
  CU_ASSERT_EQUAL(report_write_html(path, NULL, NULL, 0, &d), 0);
  char *raw = slurp(path);
  CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
  xmlDocPtr doc = xmlReadMemory(raw, (int)strlen(raw), path, "UTF-8",
                                XML_PARSE_NONET);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  CU_ASSERT(xp_str_is(doc, "//*[@id='count-total']", "0"));
  CU_ASSERT_EQUAL(xp_num(doc, "count(//svg)"), 0);
  xmlFreeDoc(doc);
  free(raw);
  remove_dir(dir, "e.html");
}

static const struct cu_test report_tests[] = {
    {"summary and one section per case", test_structure},
    {"one chart per case, one arrow per message", test_chart_arrows},
    {"hostile text stays text", test_hostile_text},
    {"odd transcript lines", test_odd_transcripts},
    {"long transcripts are capped", test_long_transcript},
    {"missing directory names the path", test_missing_directory},
    {"a failing write names the file, leaves none", test_write_error},
    {"every allocation failure is clean", test_alloc_failures},
    {"empty run", test_empty},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"report", report_tests}};

CU_MAIN(suites)
