/*
** rf.c: status texts, diagnostics, the core allocator and log lines.
*/
#include "core/rf.h"

#include <stdio.h>
#include <string.h>

#include "hal/hal.h"

static const char *const status_texts[] = {
#define X(code, text) text,
    RF_STATUS_LIST(X)
#undef X
};

const char *rf_status_text(enum rf_status st) {
  size_t n = sizeof(status_texts) / sizeof(status_texts[0]);
  if ((size_t)st >= n)
    return "unknown status";
  return status_texts[st];
}

void rf_diag_set(struct rf_diag *d, const char *fmt, ...) {
  va_list ap;
  if (!d)
    return;
  va_start(ap, fmt);
  vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
  va_end(ap);
}

void *rf_malloc(size_t n) {
  return hal_mem_alloc(n ? n : 1);
}

void rf_free(void *p) {
  if (p)
    hal_mem_free(p);
}

static void *pb_alloc(void *data, size_t n) {
  (void)data;
  return rf_malloc(n);
}

static void pb_free(void *data, void *p) {
  (void)data;
  rf_free(p);
}

/* Not mutable state: protobuf-c takes a non-const pointer but never
** writes through it. */
ProtobufCAllocator rf_pb_allocator = {pb_alloc, pb_free, NULL};

void rf_log(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  hal_log(line);
}

void rf_hex(const uint8_t *p, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * n] = '\0';
}
