/*
** report.h: writes a run's results as one self-contained HTML file.
** Owns the page layout, the message-sequence charts (inline SVG) drawn
** from each case's transcript, and HTML escaping. Knows nothing of running.
*/
#ifndef IMPCERT_REPORT_H
#define IMPCERT_REPORT_H

#include <stddef.h>

#include "diag.h"
#include "result.h"

/* Write results[0..n) to path as one HTML5 page that fetches nothing: the
** CSS is inline, the charts are inline SVG, there are no scripts. The page
** has a summary (count per verdict, DUT profile, firmware version, start
** time, host) and one <section class="case"> per result (ID, title,
** requirement IDs, verdict, message, failed checks, a message-sequence
** chart with lifelines jig, device and cloud, the transcript and the DUT
** output in <details>, and r->flaky's earlier attempts). The page is also
** well-formed XML, so XML tools can check it. Every string is cleaned
** with junit_clean_text() and HTML-escaped. The file is written to
** path.tmp, then renamed.
** Returns 0, or -1 with d naming the path and the cause. */
int report_write_html(const char *path, const struct ic_run_info *run,
                      const struct ic_case_result *results, size_t n,
                      struct ic_diag *d);

/* Most transcript lines one chart draws; later lines are counted in a
** closing note and stay readable in the transcript. */
#define REPORT_MAX_EVENTS 600

#endif
