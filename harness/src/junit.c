/*
** junit.c: the JUnit XML writer (specs/junit.md, specs/junit.xsd).
** The only harness file that includes libxml2. Sections: text cleaning,
** formatting of times and counts, the xmlTextWriter wrappers, one suite,
** the file (written to path.tmp, then renamed).
*/
#include "junit.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlwriter.h>

/* ---- text cleaning ------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n) holding an XML 1.0 Char,
** or 0 if the bytes there are not one. s[0] >= 0x80. */
static size_t utf8_char_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned long cp, min;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, cp = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, cp = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
      cp == 0xfffe || cp == 0xffff)
    return 0;
  return len;
}

char *junit_clean_text(const char *s, size_t n) {
  if (!s)
    n = 0;
  if (n > (((size_t)-1) - 1) / 3)
    return NULL;
  char *out = ic_malloc(3 * n + 1);
  if (!out)
    return NULL;
  const unsigned char *u = (const unsigned char *)s;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    if (u[i] < 0x80) {
      if (u[i] >= 0x20 || u[i] == '\t' || u[i] == '\n' || u[i] == '\r')
        out[o++] = (char)u[i];
      i++;
      continue;
    }
    size_t len = utf8_char_len(u + i, n - i);
    if (len) {
      memcpy(out + o, u + i, len);
      o += len, i += len;
    } else {
      memcpy(out + o, "\xef\xbf\xbd", 3); /* U+FFFD */
      o += 3, i++;
    }
  }
  out[o] = '\0';
  return out;
}

/* Clean a NUL-terminated string (NULL reads as ""). */
static char *clean(const char *s) {
  return junit_clean_text(s, s ? strlen(s) : 0);
}

/* True if s has a character other than XML white space (a token with
** minLength 1 once collapsed). */
static int has_ink(const char *s) {
  for (; s && *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
      return 1;
  return 0;
}

/* ---- times and counts --------------------------------------------------- */

/* Whole milliseconds of a duration; negative, NaN or absurd become 0. */
static unsigned long long to_ms(double seconds) {
  if (!(seconds >= 0.0) || seconds > 1e12)
    return 0;
  return (unsigned long long)llround(seconds * 1000.0);
}

/* "S.mmm": digits, a point, three digits (never exponent or locale). */
static void fmt_ms(char *buf, size_t cap, unsigned long long ms) {
  snprintf(buf, cap, "%llu.%03llu", ms / 1000, ms % 1000);
}

/* YYYY-MM-DDTHH:MM:SS in UTC; an unset or unprintable t means now. */
static void fmt_timestamp(char *buf, size_t cap, time_t t) {
  struct tm tm;
  if (t <= 0 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999) {
    t = time(NULL);
    if (!gmtime_r(&t, &tm))
      memset(&tm, 0, sizeof tm), tm.tm_year = 70, tm.tm_mday = 1;
  }
  if (!strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm))
    snprintf(buf, cap, "1970-01-01T00:00:00");
}

/* ---- the writer --------------------------------------------------------- */

/* One file being written. After the first failure every call is a no-op;
** err says what went wrong (ENOMEM or an I/O failure). */
struct jw {
  xmlTextWriterPtr w;
  int err;       /* 0, ENOMEM, or EIO for a libxml2 write failure */
};

static void xw_check(struct jw *j, int rc) {
  if (rc < 0 && !j->err)
    j->err = EIO;
}

static void xw_start(struct jw *j, const char *name) {
  if (!j->err)
    xw_check(j, xmlTextWriterStartElement(j->w, BAD_CAST name));
}

static void xw_end(struct jw *j) {
  if (!j->err)
    xw_check(j, xmlTextWriterEndElement(j->w));
}

/* End with a separate end tag, for elements holding text. */
static void xw_full_end(struct jw *j) {
  if (!j->err)
    xw_check(j, xmlTextWriterFullEndElement(j->w));
}

/* Write an attribute from raw text; an empty token becomes fallback. */
static void xw_attr(struct jw *j, const char *name, const char *raw,
                    const char *fallback) {
  if (j->err)
    return;
  char *c = clean(raw);
  if (!c) {
    j->err = ENOMEM;
    return;
  }
  const char *v = (fallback && !has_ink(c)) ? fallback : c;
  xw_check(j, xmlTextWriterWriteAttribute(j->w, BAD_CAST name, BAD_CAST v));
  ic_free(c);
}

static void xw_attr_ull(struct jw *j, const char *name,
                        unsigned long long v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%llu", v);
  xw_attr(j, name, buf, NULL);
}

static void xw_text(struct jw *j, const char *raw) {
  if (j->err || !raw || !*raw)
    return;
  char *c = clean(raw);
  if (!c) {
    j->err = ENOMEM;
    return;
  }
  if (*c)
    xw_check(j, xmlTextWriterWriteString(j->w, BAD_CAST c));
  ic_free(c);
}

/* <property name="prefix+key" value="value"/> */
static void xw_property(struct jw *j, const char *prefix, const char *key,
                        const char *value) {
  if (j->err)
    return;
  char *name = ic_asprintf("%s%s", prefix, key ? key : "");
  if (!name) {
    j->err = ENOMEM;
    return;
  }
  xw_start(j, "property");
  xw_attr(j, "name", name, NULL);
  xw_attr(j, "value", value ? value : "", NULL);
  xw_end(j);
  ic_free(name);
}

/* ---- one suite ---------------------------------------------------------- */

/* What a suite needs about its cases: indexes into results and the
** testcase names (cleaned, made unique within the suite). */
struct suite {
  const char *name;          /* raw r->suite of its first case */
  char *label;               /* cleaned name, or "unnamed" */
  size_t *idx;               /* results[idx[k]] is its k-th case */
  char **cname;              /* testcase name of the k-th case */
  size_t n;
};

static int same_suite(const char *a, const char *b) {
  return strcmp(a ? a : "", b ? b : "") == 0;
}

static void suite_free(struct suite *s) {
  for (size_t k = 0; s->cname && k < s->n; k++)
    ic_free(s->cname[k]);
  ic_free(s->cname);
  ic_free(s->idx);
  ic_free(s->label);
}

/* raw cleaned, or "unnamed" if that leaves no token; NULL on ENOMEM. */
static char *label_of(const char *raw) {
  char *c = clean(raw);
  if (c && !has_ink(c)) {
    ic_free(c);
    c = ic_strdup("unnamed");
  }
  return c;
}

/* A unique, non-empty testcase name for id among the first k names:
** the ID itself, else ID#2, ID#3... (GitLab keys cases by name). */
static char *unique_name(const struct suite *s, size_t k, const char *id) {
  char *base = label_of(id);
  if (!base)
    return NULL;
  char *name = ic_strdup(base);
  for (unsigned long nth = 2; name; nth++) {
    size_t m = 0;
    while (m < k && strcmp(s->cname[m], name) != 0)
      m++;
    if (m == k)
      break;
    ic_free(name);
    name = ic_asprintf("%s#%lu", base, nth);
  }
  ic_free(base);
  return name;
}

/* Collect the cases of the suite that results[first] opens. */
static int suite_collect(struct suite *s, const struct ic_case_result *rs,
                         size_t n, size_t first) {
  memset(s, 0, sizeof *s);
  s->name = rs[first].suite;
  size_t count = 0;
  for (size_t i = first; i < n; i++)
    count += same_suite(rs[i].suite, s->name);
  s->idx = ic_calloc(count, sizeof *s->idx);
  s->cname = ic_calloc(count, sizeof *s->cname);
  s->label = label_of(s->name);
  if (!s->idx || !s->cname || !s->label)
    return -1;
  for (size_t i = first; i < n; i++) {
    if (!same_suite(rs[i].suite, s->name))
      continue;
    s->idx[s->n] = i;
    s->cname[s->n] = unique_name(s, s->n, rs[i].id);
    if (!s->cname[s->n])
      return -1;
    s->n++;
  }
  return 0;
}

/* The <failure>/<skipped>/<error> of one case (nothing for pass). */
static void write_outcome(struct jw *j, const struct ic_case_result *r) {
  const char *msg = r->message;
  const char *body = (r->details && *r->details) ? r->details : msg;
  switch (r->verdict) {
  case IMPCERT_PASS:
    if (r->flaky && *r->flaky) {
      /* One element per earlier attempt ("fail: ..." / "error: ..."). */
      for (const char *l = r->flaky; *l;) {
        size_t len = strcspn(l, "\n");
        bool err = strncmp(l, "error", 5) == 0;
        char *line = ic_asprintf("%.*s", (int)len, l);
        xw_start(j, err ? "flakyError" : "flakyFailure");
        xw_attr(j, "type", err ? "error" : "fail", NULL);
        xw_attr(j, "message", line ? line : "", NULL);
        xw_full_end(j);
        ic_free(line);
        l += len + (l[len] == '\n');
      }
    }
    return;
  case IMPCERT_SKIP:
    xw_start(j, "skipped");
    xw_attr(j, "message", msg ? msg : "skipped", NULL);
    xw_end(j);
    return;
  case IMPCERT_FAIL:
    xw_start(j, "failure");
    xw_attr(j, "type", "fail", NULL);
    xw_attr(j, "message", msg ? msg : "failed", NULL);
    xw_text(j, body);
    xw_full_end(j);
    return;
  case IMPCERT_INCONCLUSIVE: {
    /* Prefixed so that GitLab, which shows only the text, says so too. */
    char *m = ic_asprintf("inconclusive: %s", msg ? msg : "undecided");
    char *t = ic_asprintf("%s\n%s", m ? m : "",
                          (r->details && *r->details) ? r->details : "");
    if (!m || !t)
      j->err = j->err ? j->err : ENOMEM;
    xw_start(j, "error");
    xw_attr(j, "type", "inconclusive", NULL);
    xw_attr(j, "message", m, NULL);
    xw_text(j, t);
    xw_full_end(j);
    ic_free(t);
    ic_free(m);
    return;
  }
  case IMPCERT_ERROR:
    break;
  }
  /* IMPCERT_ERROR, and any value outside the enum. */
  char unknown[64];
  if (r->verdict != IMPCERT_ERROR && !msg) {
    snprintf(unknown, sizeof unknown, "unknown verdict %d", (int)r->verdict);
    msg = unknown;
  }
  xw_start(j, "error");
  xw_attr(j, "type", "error", NULL);
  xw_attr(j, "message", msg ? msg : "error", NULL);
  xw_text(j, body ? body : msg);
  xw_full_end(j);
}

/* The section header that opens a case's part of system-out/-err. */
static void write_section(struct jw *j, const char *name,
                          const struct ic_case_result *r, int with_title) {
  char *h = with_title
                ? ic_asprintf("===== %s: %s [%s] =====\n", name,
                              r->title ? r->title : "",
                              result_verdict_name(r->verdict))
                : ic_asprintf("===== %s =====\n", name);
  if (!h) {
    j->err = j->err ? j->err : ENOMEM;
    return;
  }
  xw_text(j, h);
  ic_free(h);
}

/* Append s and make sure what was written ends with a newline. */
static void write_block(struct jw *j, const char *s) {
  if (!s || !*s)
    return;
  xw_text(j, s);
  if (s[strlen(s) - 1] != '\n')
    xw_text(j, "\n");
}

static void write_suite(struct jw *j, const struct suite *s, size_t id,
                        const struct ic_case_result *rs,
                        const struct ic_run_info *run, const char *host,
                        const char *stamp) {
  unsigned long long ms = 0;
  size_t fails = 0, errors = 0, skips = 0;
  for (size_t k = 0; k < s->n; k++) {
    const struct ic_case_result *r = &rs[s->idx[k]];
    ms += to_ms(r->seconds);
    fails += r->verdict == IMPCERT_FAIL;
    skips += r->verdict == IMPCERT_SKIP;
    errors += r->verdict != IMPCERT_PASS && r->verdict != IMPCERT_FAIL &&
              r->verdict != IMPCERT_SKIP;
  }
  char tbuf[48], seed[32];
  char *pkg = ic_asprintf("impcert.%s", s->label);
  if (!pkg) {
    j->err = j->err ? j->err : ENOMEM;
    return;
  }
  xw_start(j, "testsuite");
  xw_attr(j, "name", s->label, NULL);
  xw_attr(j, "package", pkg, NULL);
  xw_attr_ull(j, "id", id);
  xw_attr(j, "timestamp", stamp, NULL);
  xw_attr(j, "hostname", host, "localhost");
  xw_attr_ull(j, "tests", s->n);
  xw_attr_ull(j, "failures", fails);
  xw_attr_ull(j, "errors", errors);
  xw_attr_ull(j, "skipped", skips);
  fmt_ms(tbuf, sizeof tbuf, ms);
  xw_attr(j, "time", tbuf, NULL);

  xw_start(j, "properties");
  snprintf(seed, sizeof seed, "%lu", run->seed);
  xw_property(j, "dut.profile", NULL, run->profile);
  xw_property(j, "firmware.version", NULL, run->firmware);
  xw_property(j, "run.seed", NULL, seed);
  if (run->order)
    xw_property(j, "run.order", NULL, run->order);
  if (run->plan)
    xw_property(j, "certify.plan", NULL, run->plan);
  if (run->certification)
    xw_property(j, "certify.verdict", NULL, run->certification);
  for (size_t k = 0; k < s->n; k++) {
    const struct ic_case_result *r = &rs[s->idx[k]];
    if (r->title)
      xw_property(j, "title.", s->cname[k], r->title);
    if (r->reqs)
      xw_property(j, "requirements.", s->cname[k], r->reqs);
    if (r->verdict == IMPCERT_INCONCLUSIVE)
      xw_property(j, "inconclusive.", s->cname[k],
                  r->message ? r->message : "undecided");
    if (r->role)
      xw_property(j, "role.", s->cname[k], r->role);
    if (r->quarantine)
      xw_property(j, "quarantine.", s->cname[k], r->quarantine);
    if (r->has_device_time) {
      char dbuf[32];
      fmt_ms(dbuf, sizeof dbuf, to_ms(r->device_seconds));
      xw_property(j, "device_time.", s->cname[k], dbuf);
    }
  }
  xw_end(j);

  for (size_t k = 0; k < s->n; k++) {
    const struct ic_case_result *r = &rs[s->idx[k]];
    xw_start(j, "testcase");
    xw_attr(j, "name", s->cname[k], NULL);
    xw_attr(j, "classname", pkg, NULL);
    fmt_ms(tbuf, sizeof tbuf, to_ms(r->seconds));
    xw_attr(j, "time", tbuf, NULL);
    write_outcome(j, r);
    xw_end(j);
  }

  xw_start(j, "system-out");
  for (size_t k = 0; k < s->n; k++) {
    const struct ic_case_result *r = &rs[s->idx[k]];
    write_section(j, s->cname[k], r, 1);
    write_block(j, r->transcript);
    if (r->capture_path && *r->capture_path) {
      xw_text(j, "[[ATTACHMENT|");
      xw_text(j, r->capture_path);
      xw_text(j, "]]\n");
    }
  }
  xw_full_end(j);
  xw_start(j, "system-err");
  for (size_t k = 0; k < s->n; k++) {
    const struct ic_case_result *r = &rs[s->idx[k]];
    if (r->dut_output && *r->dut_output) {
      write_section(j, s->cname[k], r, 0);
      write_block(j, r->dut_output);
    }
  }
  xw_full_end(j);
  xw_end(j);
  ic_free(pkg);
}

/* ---- the file ----------------------------------------------------------- */

/* The whole document into j; returns j->err. */
static int write_doc(struct jw *j, const struct ic_run_info *run,
                     const struct ic_case_result *rs, size_t n) {
  char host[256] = "";
  char stamp[32];
  const char *h = run->hostname;
  if (!has_ink(h)) {
    if (gethostname(host, sizeof host - 1) != 0)
      host[0] = '\0';
    h = host;
  }
  fmt_timestamp(stamp, sizeof stamp, run->started);

  xw_check(j, xmlTextWriterSetIndent(j->w, 1));
  xw_check(j, xmlTextWriterSetIndentString(j->w, BAD_CAST "  "));
  if (!j->err)
    xw_check(j, xmlTextWriterStartDocument(j->w, NULL, "UTF-8", NULL));
  xw_start(j, "testsuites");
  size_t id = 0;
  for (size_t i = 0; i < n && !j->err; i++) {
    size_t p = 0;
    while (p < i && !same_suite(rs[p].suite, rs[i].suite))
      p++;
    if (p < i)
      continue; /* this suite was written when it first appeared */
    struct suite s;
    if (suite_collect(&s, rs, n, i) != 0)
      j->err = ENOMEM;
    else
      write_suite(j, &s, id++, rs, run, h, stamp);
    suite_free(&s);
  }
  xw_full_end(j);
  if (!j->err)
    xw_check(j, xmlTextWriterEndDocument(j->w));
  if (!j->err)
    xw_check(j, xmlTextWriterFlush(j->w));
  return j->err;
}

/* Write the document into the open file f; returns 0 or an errno. */
static int write_file(FILE *f, const struct ic_run_info *run,
                      const struct ic_case_result *rs, size_t n) {
  /* The buffer flushes but never closes f; the caller does. */
  xmlOutputBufferPtr out = xmlOutputBufferCreateFile(f, NULL);
  if (!out)
    return ENOMEM;
  struct jw j = {xmlNewTextWriter(out), 0};
  if (!j.w) {
    xmlOutputBufferClose(out);
    return ENOMEM;
  }
  int err = write_doc(&j, run, rs, n);
  xmlFreeTextWriter(j.w); /* frees out too; f stays open */
  if (err == EIO && ferror(f) && errno)
    err = errno; /* the cause of the failed fwrite, e.g. ENOSPC */
  return err;
}

int junit_write(const char *path, const struct ic_run_info *run,
                const struct ic_case_result *results, size_t n,
                struct ic_diag *d) {
  if (!path || !*path)
    return ic_fail(d, "junit: no report path given");
  if (n && !results)
    return ic_fail(d, "junit: %s: no results given for %zu cases", path, n);
  struct ic_run_info none = {.profile = "", .firmware = ""};
  if (!run)
    run = &none;
  char *tmp = ic_asprintf("%s.tmp", path);
  if (!tmp)
    return ic_fail(d, "junit: %s: out of memory", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    int e = errno;
    ic_fail(d, "junit: cannot create %s: %s", tmp, strerror(e));
    ic_free(tmp);
    return -1;
  }
  errno = 0;
  int err = write_file(f, run, results, n);
  const char *what = "writing";
  if (!err && (fflush(f) != 0 || ferror(f))) /* an earlier flush failed */
    err = errno ? errno : EIO;
  if (!err && fsync(fileno(f)) != 0 && errno != EINVAL)
    err = errno, what = "syncing";
  if (fclose(f) != 0 && !err)
    err = errno, what = "closing";
  if (err) {
    ic_fail(d, "junit: %s %s failed: %s", what, tmp, strerror(err));
  } else if (rename(tmp, path) != 0) {
    err = errno;
    ic_fail(d, "junit: cannot rename %s to %s: %s", tmp, path,
            strerror(err));
  }
  if (err) {
    unlink(tmp);
    ic_free(tmp);
    return -1;
  }
  ic_free(tmp);
  return 0;
}

/* ---- merging shard reports -------------------------------------------- */

static int is_element(const xmlNode *n, const char *name) {
  return n->type == XML_ELEMENT_NODE &&
         xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

/* Copy the suites of one input under root, numbering ids from *next_id. */
static int merge_one(const char *path, xmlDoc *out, xmlNode *root,
                     unsigned *next_id, struct ic_diag *d) {
  xmlDoc *in = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                           XML_PARSE_NOWARNING);
  if (!in) {
    const xmlError *e = xmlGetLastError();
    return ic_fail(d, "merge: %s: not well-formed XML%s%s", path,
                   e && e->message ? ": " : "",
                   e && e->message ? e->message : "");
  }
  xmlNode *top = xmlDocGetRootElement(in);
  int rc = 0;
  if (!top || (!is_element(top, "testsuites") && !is_element(top, "testsuite")))
    rc = ic_fail(d, "merge: %s: root element is not <testsuites> or "
                    "<testsuite>", path);
  for (xmlNode *s = is_element(top, "testsuite") ? top : top->children;
       rc == 0 && s; s = s == top ? NULL : s->next) {
    if (!is_element(s, "testsuite"))
      continue;
    xmlNode *copy = xmlDocCopyNode(s, out, 1);
    char id[32];
    snprintf(id, sizeof id, "%u", (*next_id)++);
    if (!copy || !xmlSetProp(copy, (const xmlChar *)"id", (const xmlChar *)id) ||
        !xmlAddChild(root, copy)) {
      xmlFreeNode(copy);
      rc = ic_fail(d, "merge: out of memory");
    }
  }
  xmlFreeDoc(in);
  return rc;
}

int junit_merge(const char *const *inputs, int n, const char *out,
                struct ic_diag *d) {
  if (n < 1)
    return ic_fail(d, "merge: no input reports");
  xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
  xmlNode *root = doc ? xmlNewNode(NULL, (const xmlChar *)"testsuites") : NULL;
  if (!root) {
    xmlFreeDoc(doc);
    return ic_fail(d, "merge: out of memory");
  }
  xmlDocSetRootElement(doc, root);
  unsigned next_id = 0;
  int rc = 0;
  for (int i = 0; rc == 0 && i < n; i++)
    rc = merge_one(inputs[i], doc, root, &next_id, d);
  char *tmp = rc == 0 ? ic_asprintf("%s.tmp", out) : NULL;
  if (rc == 0 && !tmp)
    rc = ic_fail(d, "merge: out of memory");
  if (rc == 0 && xmlSaveFormatFileEnc(tmp, doc, "UTF-8", 1) < 0)
    rc = ic_fail(d, "merge: cannot write %s", tmp);
  if (rc == 0 && rename(tmp, out) != 0)
    rc = ic_fail(d, "merge: cannot rename %s to %s: %s", tmp, out,
                 strerror(errno));
  if (rc != 0 && tmp)
    unlink(tmp);
  ic_free(tmp);
  xmlFreeDoc(doc);
  return rc;
}
