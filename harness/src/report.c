/*
** report.c: the self-contained HTML report (report.h).
** Sections: output with escaping, transcript parsing, the sequence chart
** (inline SVG), one case, the page, the file (path.tmp, then renamed).
** Nothing on the page refers to another file or host: no src=, no
** external href=, no script.
*/
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "junit.h"

/* ---- output ------------------------------------------------------------- */

/* One page being written. After the first failure every call is a no-op;
** err is ENOMEM or the errno of the failed write. */
struct hw {
  FILE *f;
  int err;
};

static void put(struct hw *h, const char *s) {
  if (!h->err && fputs(s, h->f) == EOF)
    h->err = errno ? errno : EIO;
}

static void putf(struct hw *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(struct hw *h, const char *fmt, ...) {
  if (h->err)
    return;
  va_list ap;
  va_start(ap, fmt);
  if (vfprintf(h->f, fmt, ap) < 0)
    h->err = errno ? errno : EIO;
  va_end(ap);
}

/* Write s[0..n), already cleaned, with &, <, >, " and ' escaped, so it is
** safe in element text and in quoted attributes alike. */
static void put_esc_n(struct hw *h, const char *s, size_t n) {
  size_t run = 0;
  for (size_t i = 0; i < n && !h->err; i++) {
    const char *e = NULL;
    switch (s[i]) {
    case '&': e = "&amp;"; break;
    case '<': e = "&lt;"; break;
    case '>': e = "&gt;"; break;
    case '"': e = "&quot;"; break;
    case '\'': e = "&#39;"; break;
    default: break;
    }
    if (!e)
      continue;
    if (i > run && fwrite(s + run, 1, i - run, h->f) != i - run)
      h->err = errno ? errno : EIO;
    put(h, e);
    run = i + 1;
  }
  if (!h->err && n > run && fwrite(s + run, 1, n - run, h->f) != n - run)
    h->err = errno ? errno : EIO;
}

/* Clean raw (NULL reads as "") into a new string; NULL and h->err set on
** ENOMEM. */
static char *clean(struct hw *h, const char *raw) {
  char *c = junit_clean_text(raw, raw ? strlen(raw) : 0);
  if (!c && !h->err)
    h->err = ENOMEM;
  return c;
}

/* Write raw text cleaned and escaped. */
static void put_text(struct hw *h, const char *raw) {
  if (h->err)
    return;
  char *c = clean(h, raw);
  if (c)
    put_esc_n(h, c, strlen(c));
  ic_free(c);
}

/* Bytes of the first max characters of the UTF-8 string s[0..n) (s is
** clean, so every sequence is whole); sets *cut if characters were left. */
static size_t utf8_prefix(const char *s, size_t n, size_t max, bool *cut) {
  size_t i = 0, chars = 0;
  while (i < n && chars < max) {
    i++;
    while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
      i++;
    chars++;
  }
  *cut = i < n;
  return i;
}

/* Write s[0..n) escaped, shortened to max characters with an ellipsis. */
static void put_short(struct hw *h, const char *s, size_t n, size_t max) {
  bool cut;
  size_t k = utf8_prefix(s, n, max, &cut);
  put_esc_n(h, s, k);
  if (cut)
    put(h, "\xe2\x80\xa6"); /* U+2026 */
}

/* ---- transcript parsing ------------------------------------------------- */

/* The chart's lifelines, left to right: the device sits in the middle so
** that every arrow joins neighbours. */
enum lane { LANE_JIG, LANE_DEVICE, LANE_CLOUD, LANE_NONE };

static const char *const lane_name[] = {"jig", "device", "cloud"};

/* One transcript line (fixture.c note(): "%9.3f %-6s %s"). Slices point
** into the cleaned transcript. */
struct event {
  const char *time, *who, *text;
  size_t timelen, wholen, textlen;
  enum lane from, to;            /* LANE_NONE for a note */
};

/* The arrow a who column stands for; false for notes. */
static bool who_arrow(const char *who, size_t n, enum lane *from,
                      enum lane *to) {
  static const struct {
    const char *who;
    enum lane from, to;
  } map[] = {{"D->C", LANE_DEVICE, LANE_CLOUD},
             {"C->D", LANE_CLOUD, LANE_DEVICE},
             {"D->jig", LANE_DEVICE, LANE_JIG},
             {"jig->D", LANE_JIG, LANE_DEVICE}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strlen(map[i].who) == n && memcmp(map[i].who, who, n) == 0) {
      *from = map[i].from, *to = map[i].to;
      return true;
    }
  return false;
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

/* Parse the line s[0..n) into e. A line that is not "time who text" (a
** continuation of a multi-line note, say) becomes a note with no time. */
static void parse_line(const char *s, size_t n, struct event *e) {
  memset(e, 0, sizeof *e);
  e->from = e->to = LANE_NONE;
  size_t i = 0;
  while (i < n && is_blank(s[i]))
    i++;
  size_t t0 = i;
  while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
    i++;
  size_t t1 = i;
  if (t1 == t0 || i >= n || !is_blank(s[i])) {
    e->text = s + t0, e->textlen = n - t0;
    return;
  }
  while (i < n && is_blank(s[i]))
    i++;
  size_t w0 = i;
  while (i < n && !is_blank(s[i]))
    i++;
  e->time = s + t0, e->timelen = t1 - t0;
  e->who = s + w0, e->wholen = i - w0;
  while (i < n && is_blank(s[i]))
    i++;
  e->text = s + i, e->textlen = n - i;
  while (e->textlen && is_blank(e->text[e->textlen - 1]))
    e->textlen--;
  who_arrow(e->who, e->wholen, &e->from, &e->to);
}

/* Split the cleaned transcript t into at most max events (blank lines
** skipped); *more gets the number of lines left over. Returns the count. */
static size_t parse_transcript(const char *t, struct event *ev, size_t max,
                               size_t *more) {
  size_t n = 0;
  *more = 0;
  while (*t) {
    const char *nl = strchr(t, '\n');
    size_t len = nl ? (size_t)(nl - t) : strlen(t);
    size_t k = 0;
    while (k < len && is_blank(t[k]))
      k++;
    if (k < len) {
      if (n < max)
        parse_line(t, len, &ev[n++]);
      else
        (*more)++;
    }
    t += len + (nl ? 1 : 0);
  }
  return n;
}

/* ---- the sequence chart ------------------------------------------------- */

/* Geometry in SVG user units; change together with the CSS of .msc. */
enum {
  CH_WIDTH = 860,
  CH_TOP = 44,            /* first row */
  CH_ROW = 24,            /* height of one event */
  CH_NOTE_X = 64,         /* notes span from here to the right edge */
  CH_LABEL_CHARS = 40,    /* message label between neighbouring lanes */
  CH_NOTE_CHARS = 116
};

static const int lane_x[] = {190, 470, 750};

/* The arrow of e in row top: a <g class="arrow"> holding the <line>, the
** <path> head and the label; the tooltip has the whole line. */
static void chart_arrow(struct hw *h, const struct event *e, int top) {
  int x1 = lane_x[e->from], x2 = lane_x[e->to];
  int dir = x2 > x1 ? 1 : -1;
  int y = top + 17;
  put(h, "<g class=\"arrow\"><title>");
  put_esc_n(h, e->time, e->timelen);
  put(h, " ");
  put_esc_n(h, e->who, e->wholen);
  put(h, " ");
  put_esc_n(h, e->text, e->textlen);
  putf(h, "</title><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x1, y,
       x2 - dir * 8, y);
  putf(h, "<path d=\"M%d %d L%d %d L%d %dZ\"/>", x2, y, x2 - dir * 9, y - 4,
       x2 - dir * 9, y + 4);
  putf(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (x1 + x2) / 2,
       top + 12);
  put_short(h, e->text, e->textlen, CH_LABEL_CHARS);
  put(h, "</text></g>\n");
}

/* The kind of note, for its colour: check, end, power, ... */
static const char *note_class(const struct event *e) {
  static const char *const kinds[] = {"check", "end", "power", "cloud",
                                      "jig", "harness", "test"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (e->wholen == strlen(kinds[i]) &&
        memcmp(e->who, kinds[i], e->wholen) == 0)
      return kinds[i];
  return "other";
}

/* A note across the chart: a <g class="note"> with a <rect> and text. */
static void chart_note(struct hw *h, const struct event *e, int top) {
  putf(h, "<g class=\"note n-%s\"><title>", note_class(e));
  put_esc_n(h, e->time, e->timelen);
  put(h, " ");
  put_esc_n(h, e->who, e->wholen);
  put(h, " ");
  put_esc_n(h, e->text, e->textlen);
  putf(h, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" "
          "rx=\"3\"/>", CH_NOTE_X, top + 3, CH_WIDTH - CH_NOTE_X - 6);
  putf(h, "<text x=\"%d\" y=\"%d\">", CH_NOTE_X + 6, top + 16);
  if (e->wholen) {
    put(h, "<tspan class=\"who\">");
    put_esc_n(h, e->who, e->wholen);
    put(h, "</tspan> ");
  }
  size_t room = e->wholen < CH_NOTE_CHARS / 2 ? CH_NOTE_CHARS - e->wholen
                                              : CH_NOTE_CHARS / 2;
  put_short(h, e->text, e->textlen, room);
  put(h, "</text></g>\n");
}

/* The chart of one case from its raw transcript: one <svg class="msc">
** with a lifeline per lane, an arrow per message and a note per other
** line. A case without a transcript gets a short paragraph instead. */
static void write_chart(struct hw *h, const char *raw) {
  if (h->err)
    return;
  char *t = clean(h, raw);
  struct event *ev = ic_calloc(REPORT_MAX_EVENTS, sizeof *ev);
  if (!t || !ev) {
    h->err = h->err ? h->err : ENOMEM;
    goto out;
  }
  size_t more, n = parse_transcript(t, ev, REPORT_MAX_EVENTS, &more);
  if (n == 0) {
    put(h, "<p class=\"none\">No transcript, so no chart.</p>\n");
    goto out;
  }
  size_t arrows = 0;
  for (size_t i = 0; i < n; i++)
    arrows += ev[i].from != LANE_NONE;
  int height = CH_TOP + (int)(n + (more ? 1 : 0)) * CH_ROW + 12;
  putf(h, "<svg class=\"msc\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\" role=\"img\" "
          "aria-label=\"message sequence chart: %zu messages, %zu notes\">\n",
       CH_WIDTH, height, CH_WIDTH, height, arrows, n - arrows);
  for (int l = LANE_JIG; l <= LANE_CLOUD; l++) {
    putf(h, "<g class=\"lane\"><rect x=\"%d\" y=\"6\" width=\"120\" "
            "height=\"26\" rx=\"4\"/><text x=\"%d\" y=\"24\" "
            "text-anchor=\"middle\">%s</text>"
            "<line class=\"life\" x1=\"%d\" y1=\"32\" x2=\"%d\" "
            "y2=\"%d\"/></g>\n",
         lane_x[l] - 60, lane_x[l], lane_name[l], lane_x[l], lane_x[l],
         height - 4);
  }
  for (size_t i = 0; i < n && !h->err; i++) {
    int top = CH_TOP + (int)i * CH_ROW;
    if (ev[i].timelen) {
      putf(h, "<text class=\"time\" x=\"6\" y=\"%d\">", top + 16);
      put_esc_n(h, ev[i].time, ev[i].timelen);
      put(h, "</text>");
    }
    if (ev[i].from != LANE_NONE)
      chart_arrow(h, &ev[i], top);
    else
      chart_note(h, &ev[i], top);
  }
  if (more) {
    int top = CH_TOP + (int)n * CH_ROW;
    putf(h, "<g class=\"note n-other\"><rect x=\"%d\" y=\"%d\" "
            "width=\"%d\" height=\"18\" rx=\"3\"/><text x=\"%d\" y=\"%d\">"
            "%zu more lines not drawn: see the transcript</text></g>\n",
         CH_NOTE_X, top + 3, CH_WIDTH - CH_NOTE_X - 6, CH_NOTE_X + 6,
         top + 16, more);
  }
  put(h, "</svg>\n");
out:
  ic_free(ev);
  ic_free(t);
}

/* ---- one case ----------------------------------------------------------- */

/* The CSS class and label of a verdict; any value outside the enum is
** shown as an error. */
static const char *verdict_class(enum impcert_verdict v) {
  const char *name = result_verdict_name(v);
  return strcmp(name, "unknown") == 0 ? "error" : name;
}

/* <details> with a summary and raw in a <pre>; nothing if raw is empty. */
static void write_details(struct hw *h, const char *summary,
                          const char *raw) {
  if (!raw || !*raw)
    return;
  size_t lines = 1;
  for (const char *p = raw; *p; p++)
    lines += *p == '\n' && p[1];
  putf(h, "<details><summary>%s (%zu line%s)</summary><pre>", summary,
       lines, lines == 1 ? "" : "s");
  put_text(h, raw);
  put(h, "</pre></details>\n");
}

static void write_case(struct hw *h, const struct ic_case_result *r,
                       size_t k) {
  const char *vc = verdict_class(r->verdict);
  putf(h, "<section class=\"case v-%s\" id=\"case-%zu\">\n<h2>"
          "<span class=\"verdict v-%s\">%s</span> <span class=\"id\">", vc,
       k + 1, vc, vc);
  put_text(h, r->id && *r->id ? r->id : "(no ID)");
  put(h, "</span> ");
  if (r->flaky && *r->flaky)
    put(h, "<span class=\"verdict v-flaky\">flaky</span> ");
  put_text(h, r->title);
  put(h, "</h2>\n<table class=\"facts\">\n<tr><th>Requirements</th><td>");
  put_text(h, r->reqs && *r->reqs ? r->reqs : "none listed");
  put(h, "</td></tr>\n<tr><th>Suite</th><td>");
  put_text(h, r->suite);
  if (r->role) {
    put(h, "</td></tr>\n<tr><th>Role</th><td>");
    put_text(h, r->role);
  }
  if (r->quarantine) {
    put(h, "</td></tr>\n<tr><th>Quarantined</th><td>");
    put_text(h, r->quarantine);
  }
  if (r->seconds >= 0.0 && r->seconds < 1e9)
    putf(h, "</td></tr>\n<tr><th>Time</th><td>%.3f s", r->seconds);
  put(h, "</td></tr>\n");
  if (r->message && *r->message) {
    put(h, "<tr><th>Message</th><td class=\"msg\">");
    put_text(h, r->message);
    put(h, "</td></tr>\n");
  }
  if (r->capture_path && *r->capture_path) {
    put(h, "<tr><th>Capture</th><td><code>");
    put_text(h, r->capture_path);
    put(h, "</code></td></tr>\n");
  }
  if (r->flaky && *r->flaky) {
    put(h, "<tr><th>Flaky</th><td>earlier attempts:<pre class=\"flaky\">");
    put_text(h, r->flaky);
    put(h, "</pre></td></tr>\n");
  }
  put(h, "</table>\n");
  if (r->details && *r->details) {
    put(h, "<h3>Failed checks</h3>\n<pre class=\"checks\">");
    put_text(h, r->details);
    put(h, "</pre>\n");
  }
  put(h, "<h3>Message sequence</h3>\n<div class=\"chart\">\n");
  write_chart(h, r->transcript);
  put(h, "</div>\n");
  write_details(h, "Transcript", r->transcript);
  write_details(h, "DUT output", r->dut_output);
  put(h, "</section>\n");
}

/* ---- the page ----------------------------------------------------------- */

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;"
    "max-width:940px;padding:0 1em;color:#1d1d1f;background:#fff}\n"
    "h1{font-size:1.6em;margin:0 0 .4em}h2{font-size:1.2em;margin:0 0 .5em}"
    "h3{font-size:1em;margin:1em 0 .3em}\n"
    "table{border-collapse:collapse}th,td{text-align:left;padding:2px 10px"
    " 2px 0;vertical-align:top}th{font-weight:600;color:#555}\n"
    "pre{background:#f6f6f6;border:1px solid #ddd;padding:.5em;"
    "overflow-x:auto;white-space:pre-wrap;word-break:break-all;"
    "font-size:12px}\n"
    ".case{border:1px solid #ccc;border-left:8px solid #999;"
    "border-radius:4px;padding:.8em 1em;margin:1.2em 0}\n"
    ".verdict{display:inline-block;min-width:6.5em;text-align:center;"
    "border-radius:3px;color:#fff;font-size:.85em;text-transform:uppercase;"
    "padding:1px 6px}\n"
    ".id{font-family:monospace}.msg{font-weight:600}\n"
    ".v-pass{border-left-color:#2e7d32}.verdict.v-pass{background:#2e7d32}\n"
    ".v-fail{border-left-color:#c62828}.verdict.v-fail{background:#c62828}\n"
    ".v-error{border-left-color:#6a1b9a}"
    ".verdict.v-error{background:#6a1b9a}\n"
    ".v-inconclusive{border-left-color:#ef6c00}"
    ".verdict.v-inconclusive{background:#ef6c00}\n"
    ".v-skip{border-left-color:#757575}.verdict.v-skip{background:#757575}\n"
    ".verdict.v-flaky{background:#f9a825;color:#222;min-width:0}\n"
    ".counts td{padding-right:1.2em}.chart{overflow-x:auto}\n"
    "svg.msc{display:block;font:11px monospace;background:#fcfcfc;"
    "border:1px solid #e3e3e3}\n"
    "svg.msc .lane rect{fill:#e8eef7;stroke:#5a6b85}"
    "svg.msc .lane text{font:bold 12px sans-serif;fill:#1d2b44}\n"
    "svg.msc line.life{stroke:#9aa5b5;stroke-dasharray:4 3}\n"
    "svg.msc .arrow line{stroke:#1d2b44;stroke-width:1.3}"
    "svg.msc .arrow path{fill:#1d2b44}svg.msc .arrow text{fill:#0d47a1}\n"
    "svg.msc .time{fill:#777}svg.msc .note rect{fill:#f4f4f4;"
    "stroke:#d0d0d0}svg.msc .note text{fill:#444}"
    "svg.msc .note .who{font-weight:bold}\n"
    "svg.msc .n-check rect{fill:#fde7e7;stroke:#e57373}"
    "svg.msc .n-end rect{fill:#fff4d6;stroke:#e0b84f}"
    "svg.msc .n-power rect{fill:#eef6e8;stroke:#9bc48a}\n"
    "summary{cursor:pointer;margin:.4em 0}\n";

/* YYYY-MM-DD HH:MM:SS UTC; an unset or unprintable t means now. */
static void fmt_time(char *buf, size_t cap, time_t t) {
  struct tm tm;
  if (t <= 0 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999) {
    t = time(NULL);
    if (!gmtime_r(&t, &tm))
      memset(&tm, 0, sizeof tm), tm.tm_year = 70, tm.tm_mday = 1;
  }
  if (!strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
    snprintf(buf, cap, "1970-01-01 00:00:00 UTC");
}

/* One row of the summary's facts table. */
static void fact(struct hw *h, const char *name, const char *raw,
                 const char *fallback) {
  putf(h, "<tr><th>%s</th><td>", name);
  put_text(h, raw && *raw ? raw : fallback);
  put(h, "</td></tr>\n");
}

static void write_summary(struct hw *h, const struct ic_run_info *run,
                          const struct ic_case_result *rs, size_t n) {
  static const enum impcert_verdict order[] = {
      IMPCERT_PASS, IMPCERT_FAIL, IMPCERT_ERROR, IMPCERT_INCONCLUSIVE,
      IMPCERT_SKIP};
  size_t count[5] = {0}, flaky = 0;
  for (size_t i = 0; i < n; i++) {
    count[(unsigned)rs[i].verdict < 5 ? rs[i].verdict : IMPCERT_ERROR]++;
    flaky += rs[i].verdict == IMPCERT_PASS && rs[i].flaky && *rs[i].flaky;
  }
  char started[40], seed[32];
  fmt_time(started, sizeof started, run->started);
  snprintf(seed, sizeof seed, "%lu", run->seed);
  put(h, "<section class=\"summary\">\n<h1>impcert conformance report</h1>\n"
         "<table class=\"facts\">\n");
  fact(h, "DUT profile", run->profile, "(none)");
  fact(h, "Firmware version", run->firmware, "(not reported)");
  fact(h, "Started", started, "");
  fact(h, "Host", run->hostname, "(unknown)");
  fact(h, "Seed", seed, "0");
  if (run->order)
    fact(h, "Run order (shuffled)", run->order, "");
  if (run->plan)
    fact(h, "Certification plan", run->plan, "");
  if (run->certification)
    fact(h, "Certification", run->certification, "");
  put(h, "</table>\n<h3>Verdicts</h3>\n<table class=\"counts\"><tr>");
  for (size_t i = 0; i < 5; i++) {
    const char *name = result_verdict_name(order[i]);
    putf(h, "<td><span class=\"verdict v-%s\">%s</span> "
            "<span class=\"count\" id=\"count-%s\">%zu</span></td>",
         name, name, name, count[order[i]]);
  }
  putf(h, "<td>flaky passes <span class=\"count\" id=\"count-flaky\">"
          "%zu</span></td>", flaky);
  putf(h, "<td>total <span class=\"count\" id=\"count-total\">%zu</span>"
          "</td></tr></table>\n", n);
  put(h, "<h3>Tests</h3>\n<table class=\"index\">\n");
  for (size_t i = 0; i < n; i++) {
    const char *vc = verdict_class(rs[i].verdict);
    putf(h, "<tr><td><span class=\"verdict v-%s\">%s</span></td>"
            "<td class=\"id\"><a href=\"#case-%zu\">", vc, vc, i + 1);
    put_text(h, rs[i].id && *rs[i].id ? rs[i].id : "(no ID)");
    put(h, "</a></td><td>");
    put_text(h, rs[i].title);
    put(h, "</td></tr>\n");
  }
  put(h, "</table>\n</section>\n");
}

static int write_page(struct hw *h, const struct ic_run_info *run,
                      const struct ic_case_result *rs, size_t n) {
  put(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
         "<meta charset=\"utf-8\"/>\n<title>impcert report</title>\n"
         "<style>\n");
  put(h, css);
  put(h, "</style>\n</head>\n<body>\n");
  write_summary(h, run, rs, n);
  for (size_t i = 0; i < n && !h->err; i++)
    write_case(h, &rs[i], i);
  put(h, "</body>\n</html>\n");
  return h->err;
}

/* ---- the file ----------------------------------------------------------- */

int report_write_html(const char *path, const struct ic_run_info *run,
                      const struct ic_case_result *results, size_t n,
                      struct ic_diag *d) {
  if (!path || !*path)
    return ic_fail(d, "report: no HTML report path given");
  if (n && !results)
    return ic_fail(d, "report: %s: no results given for %zu cases", path,
                   n);
  struct ic_run_info none = {.profile = "", .firmware = ""};
  if (!run)
    run = &none;
  char *tmp = ic_asprintf("%s.tmp", path);
  if (!tmp)
    return ic_fail(d, "report: %s: out of memory", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    int e = errno;
    ic_fail(d, "report: cannot create %s: %s", tmp, strerror(e));
    ic_free(tmp);
    return -1;
  }
  errno = 0;
  struct hw h = {f, 0};
  int err = write_page(&h, run, results, n);
  const char *what = "writing";
  if (!err && (fflush(f) != 0 || ferror(f)))
    err = errno ? errno : EIO;
  if (!err && fsync(fileno(f)) != 0 && errno != EINVAL)
    err = errno, what = "syncing";
  if (fclose(f) != 0 && !err)
    err = errno, what = "closing";
  if (err) {
    ic_fail(d, "report: %s %s failed: %s", what, tmp, strerror(err));
  } else if (rename(tmp, path) != 0) {
    err = errno;
    ic_fail(d, "report: cannot rename %s to %s: %s", tmp, path,
            strerror(err));
  }
  if (err)
    unlink(tmp);
  ic_free(tmp);
  return err ? -1 : 0;
}
