/*
** harness_fuzzfound_test.c: one test for each failure the fuzz targets of
** tests/fuzz/ found in the harness (docs/fuzzing.md lists them), so the
** fix stays fixed in every build, fuzzing or not.
*/
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "decode.h"

/* An Ethernet/IPv4/TCP segment 10.0.0.2:40000 -> 10.0.0.1:31314 into out;
** returns its length. */
static size_t tcp4(uint8_t *out, uint32_t seq, uint8_t flags,
                   const void *data, size_t n) {
  memset(out, 0, 54);
  out[12] = 0x08; /* IPv4 */
  uint8_t *ip = out + 14, *t = ip + 20;
  ip[0] = 0x45;
  ip[2] = (uint8_t)((40 + n) >> 8);
  ip[3] = (uint8_t)(40 + n);
  ip[8] = 64;
  ip[9] = 6;
  memcpy(ip + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
  t[0] = 40000 >> 8, t[1] = 40000 & 0xff;
  t[2] = 31314 >> 8, t[3] = 31314 & 0xff;
  t[4] = (uint8_t)(seq >> 24), t[5] = (uint8_t)(seq >> 16);
  t[6] = (uint8_t)(seq >> 8), t[7] = (uint8_t)seq;
  t[12] = 5 << 4;
  t[13] = flags;
  if (n)
    memcpy(t + 20, data, n);
  return 54 + n;
}

/* harness_decode, first run: a segment exactly 2^31 bytes away from the
** next expected sequence number made `-ahead` overflow (INT32_MIN) in
** decode.c's reassembly (UBSan: negation of -2147483648). Such a segment
** is as far behind as ahead; it is taken as an old retransmission and
** dropped, and the stream goes on. */
static void test_decode_seq_jump_2_31(void) {
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  CU_ASSERT_FATAL(f != NULL);
  struct decode *dc = decode_new(f, false);
  CU_ASSERT_FATAL(dc != NULL);
  uint8_t pkt[128];
  /* one frame: Envelope{reload = Reload{}} is field 9, length 0 */
  static const uint8_t frame[] = {0, 0, 0, 2, 0x4a, 0x00};
  size_t n = tcp4(pkt, 999, 0x02, NULL, 0); /* SYN, next = 1000 */
  CU_ASSERT(decode_packet(dc, DECODE_LT_EN10MB, 1, pkt, n) == 0);
  n = tcp4(pkt, 1000u + 0x80000000u, 0x18, "junk", 4);
  CU_ASSERT(decode_packet(dc, DECODE_LT_EN10MB, 2, pkt, n) == 0);
  n = tcp4(pkt, 1000, 0x18, frame, sizeof(frame));
  CU_ASSERT(decode_packet(dc, DECODE_LT_EN10MB, 3, pkt, n) == 0);
  unsigned long errors = decode_finish(dc);
  CU_ASSERT_EQUAL(errors, 0);
  CU_ASSERT_EQUAL(decode_messages(dc), 1); /* the frame after the jump */
  decode_free(dc);
  fclose(f);
  free(text);
}

static const struct cu_test decode_tests[] = {
    {"a TCP sequence jump of exactly 2^31 is dropped",
     test_decode_seq_jump_2_31},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"decode (fuzz finds)", decode_tests}};
CU_MAIN(suites)
