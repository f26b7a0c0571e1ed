/*
** refimp_frame_test.c: refimp's frame codec (core/frame.h): good frames
** fed in any pieces, truncated streams, oversized and zero lengths,
** garbage bodies, envelopes with nothing set, Value nesting limits.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/frame.h"
#include "jig.pb-c.h"
#include "wire.pb-c.h"

#include "cu_main.h"

/* A DeviceState frame (rf_free it). */
static uint8_t *device_state_frame(size_t *n, uint32_t boot_count) {
  Impwire__DeviceState ds = IMPWIRE__DEVICE_STATE__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  struct rf_diag d;
  uint8_t *out;
  ds.mac = "0c2a69abcdef";
  ds.device_id = "0123456789abcdef";
  ds.imp_type = "imp001";
  ds.os_version = "38.0 refimp 0.1";
  ds.wake_reason = 9;
  ds.boot_count = boot_count;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_DEVICE_STATE;
  env.device_state = &ds;
  CU_ASSERT_FATAL(frame_encode(&env.base, FRAME_WIRE_MAX, &out, n, &d) ==
                  RF_OK);
  return out;
}

/* Feed `n` bytes in pieces of `piece`, honouring frame_reader_want. */
static enum rf_status feed_all(struct frame_reader *r, const uint8_t *p,
                               size_t n, size_t piece, size_t *consumed,
                               struct rf_diag *d) {
  enum rf_status st = RF_EAGAIN;
  *consumed = 0;
  while (*consumed < n) {
    size_t want = frame_reader_want(r), used;
    size_t k = n - *consumed < piece ? n - *consumed : piece;
    if (k > want)
      k = want;
    st = frame_reader_feed(r, p + *consumed, k, &used, d);
    CU_ASSERT(used <= k);
    *consumed += used;
    if (st != RF_EAGAIN)
      break;
  }
  return st;
}

static void test_good_frames(void) {
  static const size_t pieces[] = {1, 2, 3, 7, 4096};
  for (size_t pi = 0; pi < sizeof(pieces) / sizeof(pieces[0]); pi++) {
    struct frame_reader r;
    struct rf_diag d;
    frame_reader_init(&r, FRAME_WIRE_MAX);
    for (uint32_t k = 1; k <= 3; k++) {
      size_t n, used;
      uint8_t *f = device_state_frame(&n, k);
      CU_ASSERT_EQUAL(feed_all(&r, f, n, pieces[pi], &used, &d), RF_OK);
      CU_ASSERT_EQUAL(used, n);
      uint32_t len, number;
      uint8_t *body = frame_reader_take(&r, &len, &number);
      CU_ASSERT_EQUAL(len, n - 4);
      CU_ASSERT_EQUAL(number, k);
      ProtobufCMessage *m;
      CU_ASSERT_FATAL(frame_decode(&impwire__envelope__descriptor,
                                   &impwire__value__descriptor, body, len,
                                   number, &m, &d) == RF_OK);
      Impwire__Envelope *env = (Impwire__Envelope *)m;
      CU_ASSERT_EQUAL(env->msg_case, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE);
      CU_ASSERT_STRING_EQUAL(env->device_state->mac, "0c2a69abcdef");
      CU_ASSERT_EQUAL(env->device_state->boot_count, k);
      CU_ASSERT_STRING_EQUAL(frame_msg_name(m), "DeviceState");
      frame_free(m);
      rf_free(body);
      rf_free(f);
    }
    CU_ASSERT_EQUAL(frame_reader_eof(&r, &d), RF_ECLOSED);
    frame_reader_fini(&r);
  }
}

/* The reader never asks for bytes past the frame it is on. */
static void test_want_stops_at_frame_end(void) {
  struct frame_reader r;
  struct rf_diag d;
  size_t n, used;
  uint8_t *f = device_state_frame(&n, 1);
  frame_reader_init(&r, FRAME_WIRE_MAX);
  CU_ASSERT_EQUAL(frame_reader_want(&r), 4u);
  CU_ASSERT_EQUAL(frame_reader_feed(&r, f, 3, &used, &d), RF_EAGAIN);
  CU_ASSERT_EQUAL(frame_reader_want(&r), 1u);
  CU_ASSERT_EQUAL(frame_reader_feed(&r, f + 3, 1, &used, &d), RF_EAGAIN);
  CU_ASSERT_EQUAL(frame_reader_want(&r), n - 4);
  /* offered more than the frame: takes only the frame */
  uint8_t *two = malloc(2 * n);
  memcpy(two, f + 4, n - 4);
  memcpy(two + n - 4, f, n);
  CU_ASSERT_EQUAL(frame_reader_feed(&r, two, 2 * n - 4, &used, &d), RF_OK);
  CU_ASSERT_EQUAL(used, n - 4);
  free(two);
  frame_reader_fini(&r);
  rf_free(f);
}

static void test_truncated(void) {
  struct rf_diag d;
  size_t n, used;
  uint8_t *f = device_state_frame(&n, 1);
  for (size_t cut = 1; cut < n; cut++) {
    struct frame_reader r;
    frame_reader_init(&r, FRAME_WIRE_MAX);
    CU_ASSERT_EQUAL(feed_all(&r, f, cut, 5, &used, &d), RF_EAGAIN);
    d.msg[0] = '\0';
    CU_ASSERT_EQUAL(frame_reader_eof(&r, &d), RF_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "frame 1: closed after"));
    frame_reader_fini(&r);
  }
  rf_free(f);
}

static void test_oversized(void) {
  struct frame_reader r;
  struct rf_diag d;
  size_t used;
  /* the length, then a body that must never be read */
  uint8_t hdr[8] = {0x00, 0x04, 0x00, 0x01, 'x', 'x', 'x', 'x'};
  frame_reader_init(&r, FRAME_WIRE_MAX);
  CU_ASSERT_EQUAL(frame_reader_feed(&r, hdr, sizeof(hdr), &used, &d),
                  RF_EPROTO);
  CU_ASSERT_EQUAL(used, 4u);
  CU_ASSERT_STRING_EQUAL(d.msg,
                         "frame 1: length 262145 exceeds maximum 262144");
  frame_reader_fini(&r);
  /* the second frame of a session is named as such */
  size_t n;
  uint8_t *f = device_state_frame(&n, 1);
  uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
  frame_reader_init(&r, FRAME_WIRE_MAX);
  CU_ASSERT_EQUAL(feed_all(&r, f, n, 64, &used, &d), RF_OK);
  uint32_t len, number;
  rf_free(frame_reader_take(&r, &len, &number));
  CU_ASSERT_EQUAL(frame_reader_feed(&r, huge, 4, &used, &d), RF_EPROTO);
  CU_ASSERT_STRING_EQUAL(d.msg,
                         "frame 2: length 4294967295 exceeds maximum 262144");
  frame_reader_fini(&r);
  rf_free(f);
  /* exactly the maximum is accepted; the jig's maximum is its own */
  uint8_t max[4] = {0x00, 0x04, 0x00, 0x00};
  frame_reader_init(&r, FRAME_WIRE_MAX);
  CU_ASSERT_EQUAL(frame_reader_feed(&r, max, 4, &used, &d), RF_EAGAIN);
  CU_ASSERT_EQUAL(frame_reader_want(&r), 262144u);
  frame_reader_fini(&r);
  uint8_t jig[4] = {0x00, 0x01, 0x00, 0x01};
  frame_reader_init(&r, FRAME_JIG_MAX);
  CU_ASSERT_EQUAL(frame_reader_feed(&r, jig, 4, &used, &d), RF_EPROTO);
  CU_ASSERT_STRING_EQUAL(d.msg, "frame 1: length 65537 exceeds maximum 65536");
  frame_reader_fini(&r);
}

static void test_zero_length(void) {
  struct frame_reader r;
  struct rf_diag d;
  size_t used;
  uint8_t zero[4] = {0, 0, 0, 0};
  frame_reader_init(&r, FRAME_WIRE_MAX);
  CU_ASSERT_EQUAL(frame_reader_feed(&r, zero, 4, &used, &d), RF_EPROTO);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "frame 1: length 0"));
  frame_reader_fini(&r);
}

static enum rf_status decode_wire(const uint8_t *p, size_t n, uint32_t num,
                                  struct rf_diag *d) {
  ProtobufCMessage *m = NULL;
  enum rf_status st =
      frame_decode(&impwire__envelope__descriptor,
                   &impwire__value__descriptor, p, n, num, &m, d);
  CU_ASSERT((st == RF_OK) == (m != NULL));
  frame_free(m);
  return st;
}

static void test_garbage(void) {
  struct rf_diag d;
  static const uint8_t ff[] = {0xff, 0xff, 0xff};
  CU_ASSERT_EQUAL(decode_wire(ff, sizeof(ff), 7, &d), RF_EPROTO);
  CU_ASSERT_STRING_EQUAL(d.msg, "frame 7: 3 bytes do not decode as Envelope");
  /* a length running past the end */
  static const uint8_t past[] = {0x1a, 0x7f, 0x0a, 0x01, 'x'};
  CU_ASSERT_EQUAL(decode_wire(past, sizeof(past), 2, &d), RF_EPROTO);
  /* a group wire type */
  static const uint8_t group[] = {0x0b, 0x0c};
  CU_ASSERT_EQUAL(decode_wire(group, sizeof(group), 3, &d), RF_EPROTO);
  /* DeviceState with its required fields missing */
  static const uint8_t noreq[] = {0x1a, 0x02, 0x28, 0x01};
  CU_ASSERT_EQUAL(decode_wire(noreq, sizeof(noreq), 4, &d), RF_EPROTO);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "frame 4:"));
  /* random bodies: refused or decoded with a message set, never a crash */
  unsigned seed = 12345, ok = 0;
  for (int i = 0; i < 20000; i++) {
    uint8_t buf[64];
    size_t n = 1 + (size_t)(rand_r(&seed) % (int)sizeof(buf));
    for (size_t k = 0; k < n; k++)
      buf[k] = (uint8_t)rand_r(&seed);
    if (i % 2) /* half of them start like a real envelope member */
      buf[0] = (uint8_t)((1 + rand_r(&seed) % 12) << 3 | 2);
    enum rf_status st = decode_wire(buf, n, (uint32_t)i + 1, &d);
    CU_ASSERT(st == RF_OK || st == RF_EPROTO);
    ok += st == RF_OK;
  }
  /* bit flips and cuts of a good frame: some still decode */
  size_t n;
  uint8_t *f = device_state_frame(&n, 7);
  for (int i = 0; i < 20000; i++) {
    uint8_t buf[128];
    size_t len = n - 4;
    CU_ASSERT_FATAL(len <= sizeof(buf));
    memcpy(buf, f + 4, len);
    for (int k = 0; k < 1 + i % 3; k++)
      buf[(size_t)rand_r(&seed) % len] ^= (uint8_t)(1u << rand_r(&seed) % 8);
    if (i % 5 == 0)
      len = 1 + (size_t)rand_r(&seed) % len;
    enum rf_status st = decode_wire(buf, len, 1, &d);
    CU_ASSERT(st == RF_OK || st == RF_EPROTO);
    ok += st == RF_OK;
  }
  rf_free(f);
  printf(" (%u of 40000 garbage bodies decoded) ", ok);
  CU_ASSERT(ok > 0);
}

static void test_nothing_set(void) {
  struct rf_diag d;
  /* only an unknown field: decodes, but no message is set */
  static const uint8_t unknown[] = {0xf8, 0x06, 0x01};
  CU_ASSERT_EQUAL(decode_wire(unknown, sizeof(unknown), 5, &d), RF_EPROTO);
  CU_ASSERT_STRING_EQUAL(d.msg, "frame 5: Envelope has no message set");
  /* the same for the jig */
  ProtobufCMessage *m;
  CU_ASSERT_EQUAL(frame_decode(&impjig__jig_envelope__descriptor, NULL,
                               unknown, sizeof(unknown), 1, &m, &d),
                  RF_EPROTO);
  CU_ASSERT_PTR_NULL(m);
}

/* An AgentMessage whose data nests `depth` Values (arrays or tables). */
static uint8_t *nested(int depth, bool tables, size_t *n) {
  Impwire__Value *v = calloc((size_t)depth, sizeof(*v));
  Impwire__ValueArray *a = calloc((size_t)depth, sizeof(*a));
  Impwire__ValueTable *t = calloc((size_t)depth, sizeof(*t));
  Impwire__ValueSlot *s = calloc((size_t)depth, sizeof(*s));
  Impwire__Value **items = calloc((size_t)depth, sizeof(*items));
  Impwire__ValueSlot **slots = calloc((size_t)depth, sizeof(*slots));
  Impwire__Value key = IMPWIRE__VALUE__INIT;
  key.kind_case = IMPWIRE__VALUE__KIND_STR;
  key.str = "k";
  for (int i = 0; i < depth; i++) {
    impwire__value__init(&v[i]);
    impwire__value_array__init(&a[i]);
    impwire__value_table__init(&t[i]);
    impwire__value_slot__init(&s[i]);
  }
  for (int i = 0; i < depth; i++) {
    if (i == depth - 1) {
      v[i].kind_case = IMPWIRE__VALUE__KIND_INTEGER;
      v[i].integer = 1;
    } else if (tables) {
      v[i].kind_case = IMPWIRE__VALUE__KIND_TABLE;
      v[i].table = &t[i];
      t[i].n_slots = 1;
      slots[i] = &s[i];
      t[i].slots = &slots[i];
      s[i].key = &key;
      s[i].value = &v[i + 1];
    } else {
      v[i].kind_case = IMPWIRE__VALUE__KIND_ARRAY;
      v[i].array = &a[i];
      a[i].n_items = 1;
      items[i] = &v[i + 1];
      a[i].items = &items[i];
    }
  }
  Impwire__AgentMessage am = IMPWIRE__AGENT_MESSAGE__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  am.name = "deep";
  am.data = &v[0];
  env.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
  env.agent_message = &am;
  *n = protobuf_c_message_get_packed_size(&env.base);
  uint8_t *out = malloc(*n);
  protobuf_c_message_pack(&env.base, out);
  free(v);
  free(a);
  free(t);
  free(s);
  free(items);
  free(slots);
  return out;
}

/* Put "tag, varint(len)" in front of p[*pos..]. */
static void prepend_len(uint8_t *p, size_t *pos, size_t len, uint8_t tag) {
  uint8_t tmp[11];
  size_t k = 0;
  tmp[k++] = tag;
  do {
    tmp[k++] = (uint8_t)((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
    len >>= 7;
  } while (len);
  *pos -= k;
  memcpy(p + *pos, tmp, k);
}

static void test_value_depth(void) {
  struct rf_diag d;
  for (int tables = 0; tables < 2; tables++) {
    size_t n;
    uint8_t *b = nested(FRAME_VALUE_DEPTH, tables, &n);
    CU_ASSERT_EQUAL(decode_wire(b, n, 1, &d), RF_OK);
    free(b);
    b = nested(FRAME_VALUE_DEPTH + 1, tables, &n);
    CU_ASSERT_EQUAL(decode_wire(b, n, 2, &d), RF_EPROTO);
    CU_ASSERT_STRING_EQUAL(d.msg, "frame 2: Value nesting exceeds 32");
    free(b);
  }
  /* a hostile frame: nesting as deep as 256 KiB allows, hand-built
  ** (Value.array -> ValueArray.items -> Value ...); protobuf-c would
  ** recurse tens of thousands of levels deep if it ever saw it */
  size_t cap = FRAME_WIRE_MAX, pos = cap;
  uint8_t *p = malloc(cap);
  p[--pos] = 0x02;
  p[--pos] = 0x18; /* Value.integer = 1 */
  int levels = 0;
  while (pos > 64) {
    prepend_len(p, &pos, cap - pos, 0x0a); /* ValueArray.items */
    prepend_len(p, &pos, cap - pos, 0x3a); /* Value.array */
    levels++;
  }
  prepend_len(p, &pos, cap - pos, 0x12);   /* AgentMessage.data */
  p[--pos] = 'n';
  p[--pos] = 0x01;
  p[--pos] = 0x0a;                         /* AgentMessage.name */
  prepend_len(p, &pos, cap - pos, 0x3a);   /* Envelope.agent_message */
  CU_ASSERT(levels > 10000);
  CU_ASSERT_EQUAL(decode_wire(p + pos, cap - pos, 3, &d), RF_EPROTO);
  CU_ASSERT_STRING_EQUAL(d.msg, "frame 3: Value nesting exceeds 32");
  free(p);
}

static void test_encode_limits(void) {
  struct rf_diag d;
  uint8_t *out;
  size_t n;
  Impwire__Log log = IMPWIRE__LOG__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  char *text = malloc(FRAME_WIRE_MAX + 1);
  memset(text, 'a', FRAME_WIRE_MAX);
  text[FRAME_WIRE_MAX] = '\0';
  log.text = text;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_LOG;
  env.log = &log;
  CU_ASSERT_EQUAL(frame_encode(&env.base, FRAME_WIRE_MAX, &out, &n, &d),
                  RF_EINVAL);
  CU_ASSERT_PTR_NULL(out);
  text[100] = '\0';
  CU_ASSERT_EQUAL(frame_encode(&env.base, FRAME_WIRE_MAX, &out, &n, &d),
                  RF_OK);
  CU_ASSERT_EQUAL(n, 4 + protobuf_c_message_get_packed_size(&env.base));
  CU_ASSERT_EQUAL(out[0] << 24 | out[1] << 16 | out[2] << 8 | out[3],
                  (int)(n - 4));
  rf_free(out);
  free(text);
}

static void test_jig_blinkup(void) {
  struct rf_diag d;
  Impjig__BlinkUp bu = IMPJIG__BLINK_UP__INIT;
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  uint8_t *out;
  size_t n;
  bu.plan_id = "plan";
  bu.enrollment_token = "tok";
  env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BLINKUP;
  env.blinkup = &bu;
  CU_ASSERT_FATAL(frame_encode(&env.base, FRAME_JIG_MAX, &out, &n, &d) ==
                  RF_OK);
  ProtobufCMessage *m;
  CU_ASSERT_FATAL(frame_decode(&impjig__jig_envelope__descriptor, NULL,
                               out + 4, n - 4, 1, &m, &d) == RF_OK);
  CU_ASSERT_STRING_EQUAL(frame_msg_name(m), "BlinkUp");
  CU_ASSERT_STRING_EQUAL(((Impjig__JigEnvelope *)m)->blinkup->plan_id,
                         "plan");
  frame_free(m);
  rf_free(out);
}

static const struct cu_test frame_tests[] = {
    {"good frames in any pieces", test_good_frames},
    {"reader stops at the frame's end", test_want_stops_at_frame_end},
    {"truncated at every byte", test_truncated},
    {"oversized length refused before the body", test_oversized},
    {"zero length refused", test_zero_length},
    {"garbage bodies refused, never a crash", test_garbage},
    {"envelope with nothing set", test_nothing_set},
    {"Value nesting limit 32", test_value_depth},
    {"encode limits and length prefix", test_encode_limits},
    {"jig BlinkUp round trip", test_jig_blinkup},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"refimp frame", frame_tests}};

CU_MAIN(suites)
