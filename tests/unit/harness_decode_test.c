/*
** harness_decode_test.c: decode.c's link layers, IP versions and TCP
** reassembly, fed packets built in memory; capture_read on a cut file.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cu_main.h"
#include "decode.h"
#include "frame.h"
#include "wiremsg.h"

/* ---- building packets ---------------------------------------------------- */

struct conn {
  int v6;
  uint8_t dev[16], cloud[16];
  uint16_t dport, cport; /* device port, cloud port */
};

static const struct conn c4 = {0, {10, 0, 0, 2}, {10, 0, 0, 1}, 40000, 31314};
static const struct conn c6 = {1,
                               {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                0, 2},
                               {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                0, 1},
                               40000,
                               31314};

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}

/* Link header for linktype carrying an IP packet of version v; returns
** its length. */
static size_t link_header(uint8_t *p, int linktype, int v6) {
  unsigned et = v6 ? 0x86dd : 0x0800;
  switch (linktype) {
  case DECODE_LT_EN10MB:
    memset(p, 2, 12);
    put16(p + 12, et);
    return 14;
  case DECODE_LT_SLL:
    memset(p, 0, 16);
    put16(p + 14, et);
    return 16;
  case DECODE_LT_SLL2:
    memset(p, 0, 20);
    put16(p, et);
    return 20;
  case DECODE_LT_NULL:
    p[0] = v6 ? 30 : 2; /* host order, little-endian here */
    p[1] = p[2] = p[3] = 0;
    return 4;
  default:
    return 0;
  }
}

/* A TCP segment of c in a link frame; from_dev picks the direction. */
static size_t packet(uint8_t *out, int linktype, const struct conn *c,
                     bool from_dev, uint32_t seq, uint8_t flags,
                     const uint8_t *data, size_t n) {
  size_t o = link_header(out, linktype, c->v6);
  uint8_t *ip = out + o;
  const uint8_t *src = from_dev ? c->dev : c->cloud;
  const uint8_t *dst = from_dev ? c->cloud : c->dev;
  size_t ipl;
  if (c->v6) {
    memset(ip, 0, 40);
    ip[0] = 0x60;
    put16(ip + 4, (unsigned)(20 + n));
    ip[6] = 6;
    ip[7] = 64;
    memcpy(ip + 8, src, 16);
    memcpy(ip + 24, dst, 16);
    ipl = 40;
  } else {
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)(40 + n));
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, src, 4);
    memcpy(ip + 16, dst, 4);
    ipl = 20;
  }
  uint8_t *t = ip + ipl;
  memset(t, 0, 20);
  put16(t, from_dev ? c->dport : c->cport);
  put16(t + 2, from_dev ? c->cport : c->dport);
  put32(t + 4, seq);
  t[12] = 5 << 4;
  t[13] = flags;
  if (n) /* data is NULL for a bare SYN or ACK */
    memcpy(t + 20, data, n);
  return o + ipl + 20 + n;
}

/* An ActivationRequest frame with plan_id plan into buf; its length. */
static size_t frame_of(uint8_t *buf, const char *plan) {
  Impwire__ActivationRequest a = IMPWIRE__ACTIVATION_REQUEST__INIT;
  a.plan_id = (char *)plan;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST;
  e.activation_request = &a;
  size_t n;
  uint8_t *f = wiremsg_frame(&e.base, FRAME_WIRE_MAX, &n);
  CU_ASSERT_FATAL(f != NULL);
  memcpy(buf, f, n);
  ic_free(f);
  return n;
}

/* ---- running a decoder into a string ------------------------------------- */

struct run {
  char *text;
  size_t size;
  FILE *f;
  struct decode *dc;
  int lt;
  const struct conn *c;
  uint8_t pkt[4096];
};

static void run_start(struct run *r, int lt, const struct conn *c,
                      bool json) {
  r->text = NULL;
  r->f = open_memstream(&r->text, &r->size);
  CU_ASSERT_FATAL(r->f != NULL);
  r->dc = decode_new(r->f, json);
  CU_ASSERT_FATAL(r->dc != NULL);
  r->lt = lt;
  r->c = c;
}

static void seg(struct run *r, bool from_dev, uint32_t seq, uint8_t flags,
                const uint8_t *data, size_t n) {
  size_t len = packet(r->pkt, r->lt, r->c, from_dev, seq, flags, data, n);
  CU_ASSERT(decode_packet(r->dc, r->lt, 1000000 + seq, r->pkt, len) == 0);
}

/* Handshake with ISNs 1000 (device) and 5000 (cloud). */
static void handshake(struct run *r) {
  seg(r, true, 999, 0x02, NULL, 0);
  seg(r, false, 4999, 0x12, NULL, 0);
  seg(r, true, 1000, 0x10, NULL, 0);
}

/* Finish; returns the error count. The text stays in r->text. */
static unsigned long run_end(struct run *r) {
  unsigned long e = decode_finish(r->dc);
  decode_free(r->dc);
  fclose(r->f);
  return e;
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p++)
    n++;
  return n;
}

/* ---- tests --------------------------------------------------------------- */

static void test_three_frames_one_segment(void) {
  struct run r;
  uint8_t buf[1024];
  size_t n = frame_of(buf, "p1");
  n += frame_of(buf + n, "p2");
  n += frame_of(buf + n, "p3");
  run_start(&r, DECODE_LT_EN10MB, &c4, false);
  handshake(&r);
  seg(&r, true, 1000, 0x18, buf, n);
  CU_ASSERT_EQUAL(run_end(&r), 0);
  CU_ASSERT_EQUAL(count(r.text, "ActivationRequest{"), 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "D->C  10.0.0.2:40000 > "
                                        "10.0.0.1:31314  ActivationRequest"
                                        "{plan_id=\"p3\""));
  free(r.text);
}

static void test_one_frame_five_segments(void) {
  struct run r;
  uint8_t buf[1024];
  size_t n = frame_of(buf, "a-long-enough-plan-identifier-0001");
  size_t step = n / 5 + 1, off = 0;
  run_start(&r, DECODE_LT_EN10MB, &c4, false);
  handshake(&r);
  int segs = 0;
  for (; off < n; off += step, segs++) {
    size_t k = n - off < step ? n - off : step;
    seg(&r, true, 1000 + (uint32_t)off, 0x10, buf + off, k);
    if (off + k < n)
      CU_ASSERT_EQUAL(decode_messages(r.dc), 0);
  }
  CU_ASSERT_EQUAL(segs, 5);
  CU_ASSERT_EQUAL(decode_messages(r.dc), 1);
  CU_ASSERT_EQUAL(run_end(&r), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "a-long-enough-plan-identifier-0001"));
  free(r.text);
}

static void test_out_of_order_and_overlap(void) {
  struct run r;
  uint8_t buf[1024];
  size_t n = frame_of(buf, "first");
  n += frame_of(buf + n, "second");
  uint32_t a = 10, b = (uint32_t)n / 2, c = (uint32_t)n - 5;
  run_start(&r, DECODE_LT_EN10MB, &c4, false);
  handshake(&r);
  /* Last piece first, then a middle piece overlapping both neighbours,
  ** then the start twice (a retransmission), then everything again. */
  seg(&r, true, 1000 + c, 0x10, buf + c, n - c);
  seg(&r, true, 1000 + a, 0x10, buf + a, c + 2 - a);
  CU_ASSERT_EQUAL(decode_messages(r.dc), 0);
  seg(&r, true, 1000, 0x10, buf, b);
  seg(&r, true, 1000, 0x10, buf, b);
  seg(&r, true, 1000, 0x10, buf, n);
  CU_ASSERT_EQUAL(run_end(&r), 0);
  CU_ASSERT_EQUAL(count(r.text, "ActivationRequest{"), 2);
  const char *p1 = strstr(r.text, "\"first\""), *p2 = strstr(r.text, "second");
  CU_ASSERT(p1 && p2 && p1 < p2);
  free(r.text);
}

static void test_both_directions_json(void) {
  struct run r;
  uint8_t buf[256];
  size_t n = frame_of(buf, "x");
  run_start(&r, DECODE_LT_EN10MB, &c4, true);
  handshake(&r);
  seg(&r, true, 1000, 0x18, buf, n);
  seg(&r, false, 5000, 0x18, buf, n);
  CU_ASSERT_EQUAL(run_end(&r), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "\"dir\":\"D->C\",\"src\":"
                                        "\"10.0.0.2:40000\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "\"dir\":\"C->D\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "\"kind\":\"ActivationRequest\""));
  free(r.text);
}

/* Each link type with IPv4 and IPv6. */
static void link_case(int lt, const struct conn *c) {
  struct run r;
  uint8_t buf[256];
  size_t n = frame_of(buf, "linked");
  run_start(&r, lt, c, false);
  handshake(&r);
  seg(&r, true, 1000, 0x18, buf, n);
  CU_ASSERT_EQUAL(run_end(&r), 0);
  CU_ASSERT_EQUAL(count(r.text, "ActivationRequest{plan_id=\"linked\""), 1);
  if (c->v6)
    CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "[fd00::2]:40000 > "
                                          "[fd00::1]:31314"));
  free(r.text);
}

static void test_link_types(void) {
  static const int lts[] = {DECODE_LT_EN10MB, DECODE_LT_SLL, DECODE_LT_SLL2,
                            DECODE_LT_NULL,   DECODE_LT_RAW, DECODE_LT_RAW_12,
                            DECODE_LT_RAW_14};
  for (size_t i = 0; i < sizeof lts / sizeof lts[0]; i++) {
    link_case(lts[i], &c4);
    link_case(lts[i], &c6);
  }
}

static void test_bad_stream_and_packets(void) {
  struct run r;
  uint8_t buf[256];
  size_t n = frame_of(buf, "ok");
  /* A good frame, then a frame whose body is not protobuf. */
  uint8_t junk[] = {0, 0, 0, 3, 0xff, 0xff, 0xff};
  memcpy(buf + n, junk, sizeof junk);
  run_start(&r, DECODE_LT_EN10MB, &c4, false);
  handshake(&r);
  seg(&r, true, 1000, 0x18, buf, n + sizeof junk);
  /* A cut packet: one error, decoding goes on. */
  CU_ASSERT(decode_packet(r.dc, DECODE_LT_EN10MB, 0, buf, 10) == -1);
  CU_ASSERT(decode_packet(r.dc, 999, 0, buf, 10) == -1);
  CU_ASSERT_EQUAL(run_end(&r), 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "frame 2 does not decode"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "link type 999"));
  free(r.text);
}

static void test_incomplete_stream(void) {
  struct run r;
  uint8_t buf[256];
  size_t n = frame_of(buf, "cut");
  run_start(&r, DECODE_LT_EN10MB, &c4, false);
  handshake(&r);
  seg(&r, true, 1000, 0x18, buf, n - 3);
  CU_ASSERT_EQUAL(run_end(&r), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "ends inside frame 1"));
  free(r.text);
}

static int count_cb(void *ctx, int lt, long long ts, long off,
                    const uint8_t *d, size_t n) {
  (void)lt, (void)ts, (void)off, (void)d, (void)n;
  (*(long *)ctx)++;
  return 0;
}

static void test_file_round_trip_and_cut(void) {
  char path[] = "/tmp/harness_decode_testXXXXXX";
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  close(fd);
  struct ic_diag d = {""};
  struct appcap *a = appcap_open(path, &d);
  CU_ASSERT_FATAL(a != NULL);
  uint8_t buf[256];
  size_t n = frame_of(buf, "filed");
  appcap_frame(a, APPCAP_WIRE, true, buf, n);
  appcap_session(a, 0);
  appcap_frame(a, APPCAP_WIRE, false, buf, n);
  appcap_end(a, APPCAP_WIRE, APPCAP_BY_DEVICE);
  appcap_end(a, APPCAP_JIG, APPCAP_POWER_CUT);
  appcap_close(a);
  long seen = 0;
  /* 3 handshake + 1 data, 3 FIN + 3 SYN, 1 data, 3 FIN; the power cut
  ** opens a jig stream (3) for its RST (1); close adds nothing. */
  CU_ASSERT_EQUAL(capture_read(path, count_cb, &seen, &d), 18);
  CU_ASSERT_EQUAL(seen, 18);
  CU_ASSERT_EQUAL(truncate(path, 24 + 2 * (16 + 54) + 5), 0);
  seen = 0;
  CU_ASSERT_EQUAL(capture_read(path, count_cb, &seen, &d), -1);
  CU_ASSERT_EQUAL(seen, 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "offset 164"));
  CU_ASSERT_EQUAL(capture_read("/nonexistent/x.pcap", count_cb, &seen, &d),
                  -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "offset 0"));
  unlink(path);
}

static const struct cu_test reassembly[] = {
    {"three frames in one segment", test_three_frames_one_segment},
    {"one frame over five segments", test_one_frame_five_segments},
    {"out of order, duplicates, overlaps", test_out_of_order_and_overlap},
    {"both directions, JSON", test_both_directions_json},
    {"bad stream and bad packets", test_bad_stream_and_packets},
    {"stream ending inside a frame", test_incomplete_stream},
    {NULL, NULL}};
static const struct cu_test layers[] = {
    {"Ethernet, SLL, SLL2, null, raw; IPv4 and IPv6", test_link_types},
    {NULL, NULL}};
static const struct cu_test files[] = {
    {"appcap file read back; cut file names offset",
     test_file_round_trip_and_cut},
    {NULL, NULL}};

static const struct cu_suite suites[] = {
    {"decode reassembly", reassembly},
    {"decode link layers", layers},
    {"capture files", files}};

CU_MAIN(suites)
