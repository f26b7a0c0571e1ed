/* harness_frame_test.c: framing and message decoding on the harness side:
** good, truncated, oversized, split, garbage, too deep. */
#include <string.h>

#include "cu_main.h"
#include "frame.h"
#include "wiremsg.h"

/* A CodeHash envelope as a whole frame. */
static uint8_t *sample(size_t *n) {
  static uint8_t h[32];
  Impwire__CodeHash c = IMPWIRE__CODE_HASH__INIT;
  c.sha256.data = h;
  c.sha256.len = 32;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_CODE_HASH;
  e.code_hash = &c;
  return wiremsg_frame(&e.base, FRAME_WIRE_MAX, n);
}

static void round_trip(void) {
  size_t n;
  uint8_t *f = sample(&n);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  struct frame_reader r;
  struct ic_diag d;
  const uint8_t *body;
  size_t len;
  frame_reader_init(&r, FRAME_WIRE_MAX);
  CU_ASSERT_EQUAL(frame_reader_feed(&r, f, n, &d), 0);
  CU_ASSERT_EQUAL_FATAL(frame_reader_next(&r, &body, &len, &d), 1);
  Impwire__Envelope *e = wiremsg_decode(body, len, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(e);
  CU_ASSERT_EQUAL(e->msg_case, IMPWIRE__ENVELOPE__MSG_CODE_HASH);
  CU_ASSERT_EQUAL(e->code_hash->sha256.len, 32);
  char *t = wiremsg_text(&e->base);
  CU_ASSERT_PTR_NOT_NULL(strstr(t, "CodeHash{sha256=0x0000"));
  ic_free(t);
  wiremsg_free(e);
  CU_ASSERT_EQUAL(frame_reader_next(&r, &body, &len, &d), 0);
  frame_reader_fini(&r);
  ic_free(f);
}

/* Byte by byte, and two frames in one read. */
static void split_and_joined(void) {
  size_t n;
  uint8_t *f = sample(&n);
  struct frame_reader r;
  struct ic_diag d;
  const uint8_t *body;
  size_t len;
  frame_reader_init(&r, FRAME_WIRE_MAX);
  for (size_t i = 0; i < n; i++) {
    CU_ASSERT_EQUAL(frame_reader_next(&r, &body, &len, &d), 0);
    frame_reader_feed(&r, f + i, 1, &d);
  }
  CU_ASSERT_EQUAL(frame_reader_next(&r, &body, &len, &d), 1);
  uint8_t two[256];
  memcpy(two, f, n);
  memcpy(two + n, f, n);
  frame_reader_feed(&r, two, 2 * n, &d);
  CU_ASSERT_EQUAL(frame_reader_next(&r, &body, &len, &d), 1);
  CU_ASSERT_EQUAL(frame_reader_next(&r, &body, &len, &d), 1);
  CU_ASSERT_EQUAL(frame_reader_next(&r, &body, &len, &d), 0);
  CU_ASSERT_EQUAL(r.count, 3);
  frame_reader_fini(&r);
  ic_free(f);
}

static void truncated_waits(void) {
  size_t n;
  uint8_t *f = sample(&n);
  struct frame_reader r;
  struct ic_diag d;
  const uint8_t *body;
  size_t len;
  frame_reader_init(&r, FRAME_WIRE_MAX);
  frame_reader_feed(&r, f, n - 1, &d);
  CU_ASSERT_EQUAL(frame_reader_next(&r, &body, &len, &d), 0);
  CU_ASSERT_EQUAL(frame_reader_pending(&r), n - 1);
  /* A truncated body handed to the decoder is refused, not read past. */
  CU_ASSERT_PTR_NULL(wiremsg_decode(f + 4, n - 5, &d));
  frame_reader_fini(&r);
  ic_free(f);
}

static void oversized_refused(void) {
  struct frame_reader r;
  struct ic_diag d;
  const uint8_t *body;
  size_t len;
  uint8_t hdr[4];
  frame_put_header(hdr, FRAME_WIRE_MAX + 1);
  frame_reader_init(&r, FRAME_WIRE_MAX);
  frame_reader_feed(&r, hdr, 4, &d);
  CU_ASSERT_EQUAL(frame_reader_next(&r, &body, &len, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "frame 1: length 262145 exceeds"));
  CU_ASSERT_EQUAL(frame_reader_feed(&r, hdr, 4, &d), -1);
  frame_reader_fini(&r);
  frame_reader_init(&r, FRAME_WIRE_MAX);
  frame_put_header(hdr, 0);
  frame_reader_feed(&r, hdr, 4, &d);
  CU_ASSERT_EQUAL(frame_reader_next(&r, &body, &len, &d), -1);
  frame_reader_fini(&r);
}

static void garbage_refused(void) {
  struct ic_diag d;
  static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  CU_ASSERT_PTR_NULL(wiremsg_decode(junk, sizeof junk, &d));
  /* Valid protobuf with no message set is refused too. */
  static const uint8_t empty_unknown[] = {0x78, 0x01}; /* field 15 = 1 */
  CU_ASSERT_PTR_NULL(wiremsg_decode(empty_unknown, 2, &d));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "no message"));
}

/* Values nested past the limit are refused before protobuf-c recurses. */
static void too_deep_refused(void) {
  enum { DEPTH = 5000 };
  static uint8_t buf[DEPTH * 8];
  /* Build Value{array=ValueArray{items=[Value{...}]}} from the inside out:
  ** each level is field 7 (array) wrapping field 1 (items). */
  size_t len = 0, cap = sizeof buf;
  uint8_t *end = buf + cap;
  uint8_t *p = end;
  for (int i = 0; i < DEPTH && p - buf > 16; i++) {
    for (int field = 0; field < 2; field++) {
      size_t inner = (size_t)(end - p);
      uint8_t v[5];
      int vn = 0;
      do {
        v[vn++] = (uint8_t)((inner & 0x7f) | (inner > 0x7f ? 0x80 : 0));
        inner >>= 7;
      } while (inner);
      p -= vn;
      memcpy(p, v, (size_t)vn);
      *--p = field == 0 ? 0x0a : 0x3a; /* items(1) / array(7), length-delim */
    }
  }
  len = (size_t)(end - p);
  struct ic_diag d;
  CU_ASSERT_EQUAL(wiremsg_check_depth(&impwire__value__descriptor, p, len,
                                      WIREMSG_MAX_DEPTH, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "deeper"));
}

static const struct cu_test tests[] = {
    {"round trip", round_trip},
    {"split and joined frames", split_and_joined},
    {"truncated frame waits, truncated body refused", truncated_waits},
    {"oversized and empty lengths refused", oversized_refused},
    {"garbage refused", garbage_refused},
    {"nesting too deep refused", too_deep_refused},
    {NULL, NULL}};
static const struct cu_suite suites[] = {{"frame codec", tests}};
CU_MAIN(suites)
