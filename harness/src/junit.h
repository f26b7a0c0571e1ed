/*
** junit.h: writes a run's results as JUnit XML with libxml2.
** Owns the mapping of verdicts to JUnit elements (specs/junit.md) and the
** cleaning of text that XML 1.0 cannot carry. Knows nothing of running.
*/
#ifndef IMPCERT_JUNIT_H
#define IMPCERT_JUNIT_H

#include <stddef.h>

#include "diag.h"
#include "result.h"

/* Write results[0..n) to path as one <testsuites> with one <testsuite> per
** distinct r->suite, in first-appearance order. The file validates against
** specs/junit.xsd. Returns 0, or -1 with d naming the path and the cause. */
int junit_write(const char *path, const struct ic_run_info *run,
                const struct ic_case_result *results, size_t n,
                struct ic_diag *d);

/* Copy s[0..n) into a new string (free with ic_free) that XML 1.0 can
** carry: invalid UTF-8 bytes (overlong, surrogate, truncated, > U+10FFFF)
** and U+FFFE/U+FFFF become U+FFFD; C0 controls but TAB, LF and CR are
** dropped, NUL included. The runner may use it on raw DUT output; the
** writer applies it to every string it writes. NULL on ENOMEM. */
char *junit_clean_text(const char *s, size_t n);

/* `impcert merge`: join the reports inputs[0..n) (shards of one run) into
** one file at out: every <testsuite> of every input, in input order, with
** its `id` renumbered so ids stay unique. Each input must be a report with
** a <testsuites> or <testsuite> root. Returns 0, or -1 with d naming the
** input and what is wrong with it; out is then left untouched. */
int junit_merge(const char *const *inputs, int n, const char *out,
                struct ic_diag *d);

#endif
