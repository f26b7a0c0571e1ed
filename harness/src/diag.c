/*
** diag.c: ic_diag formatting and the harness allocator with its
** fault-injection countdown.
*/
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GLOBAL: allocation fault countdown; written by tests, main thread only. */
static unsigned long fail_countdown;

static int should_fail(void) {
  if (fail_countdown == 0)
    return 0;
  return --fail_countdown == 0;
}

int ic_fail(struct ic_diag *d, const char *fmt, ...) {
  if (d) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
  }
  return -1;
}

void *ic_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }

void *ic_calloc(size_t n, size_t size) {
  return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *ic_realloc(void *p, size_t n) {
  return should_fail() ? NULL : realloc(p, n ? n : 1);
}

char *ic_strdup(const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s) + 1;
  char *c = ic_malloc(n);
  if (c)
    memcpy(c, s, n);
  return c;
}

void ic_free(void *p) { free(p); }

void ic_alloc_fail_after(unsigned long n) { fail_countdown = n; }

char *ic_asprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *s = ic_malloc((size_t)n + 1);
  if (!s)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

void ic_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}
