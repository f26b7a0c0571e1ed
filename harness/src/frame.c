/*
** frame.c: stream-to-frame splitting with a length limit (wire.md).
*/
#include "frame.h"

#include <string.h>

void frame_reader_init(struct frame_reader *r, uint32_t max) {
  memset(r, 0, sizeof *r);
  r->max = max;
}

void frame_reader_fini(struct frame_reader *r) {
  ic_free(r->buf);
  memset(r, 0, sizeof *r);
}

/* Drop the bytes of the frame last handed out. */
static void drop_handed(struct frame_reader *r) {
  if (r->handed) {
    memmove(r->buf, r->buf + r->handed, r->len - r->handed);
    r->len -= r->handed;
    r->handed = 0;
  }
}

int frame_reader_feed(struct frame_reader *r, const void *data, size_t n,
                      struct ic_diag *d) {
  if (r->broken)
    return ic_fail(d, "frame stream already closed after a bad frame");
  drop_handed(r);
  if (r->len + n > r->cap) {
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < r->len + n)
      cap *= 2;
    uint8_t *nb = ic_realloc(r->buf, cap);
    if (!nb)
      return ic_fail(d, "out of memory buffering %zu bytes", r->len + n);
    r->buf = nb;
    r->cap = cap;
  }
  memcpy(r->buf + r->len, data, n);
  r->len += n;
  return 0;
}

static uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

int frame_reader_next(struct frame_reader *r, const uint8_t **body,
                      size_t *len, struct ic_diag *d) {
  if (r->broken)
    return ic_fail(d, "frame stream already closed after a bad frame");
  drop_handed(r);
  if (r->len < FRAME_HEADER)
    return 0;
  uint32_t n = get_be32(r->buf);
  if (n == 0 || n > r->max) {
    r->broken = 1;
    if (n == 0)
      return ic_fail(d, "frame %lu: length 0 (an empty Envelope is invalid)",
                     r->count + 1);
    return ic_fail(d, "frame %lu: length %u exceeds maximum %u", r->count + 1,
                   n, r->max);
  }
  if (r->len - FRAME_HEADER < n)
    return 0;
  r->count++;
  r->handed = FRAME_HEADER + n;
  *body = r->buf + FRAME_HEADER;
  *len = n;
  return 1;
}

size_t frame_reader_pending(const struct frame_reader *r) {
  return r->len - r->handed;
}

void frame_put_header(uint8_t out[FRAME_HEADER], uint32_t n) {
  out[0] = (uint8_t)(n >> 24);
  out[1] = (uint8_t)(n >> 16);
  out[2] = (uint8_t)(n >> 8);
  out[3] = (uint8_t)n;
}
