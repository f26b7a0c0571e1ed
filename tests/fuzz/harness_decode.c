/*
** harness_decode.c: libFuzzer target for the decoder's link, IP and TCP
** parsing and per-direction reassembly (harness/src/decode.c), fed packets
** straight from memory so the fuzzer spends its time there, not in
** libpcap. Input: byte 0 picks the link type, then packets, each a 2-byte
** big-endian length and that many bytes (the last one may be cut short).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "decode.h"

/* GLOBAL: the output sink, opened once per fuzzing process. */
static FILE *sink;

static const int linktypes[] = {
    DECODE_LT_EN10MB, DECODE_LT_NULL, DECODE_LT_RAW,  DECODE_LT_RAW_12,
    DECODE_LT_RAW_14, DECODE_LT_SLL,  DECODE_LT_SLL2, 999 /* unknown */
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  sink = fopen("/dev/null", "w");
  if (!sink)
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  int lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
  struct decode *dc = decode_new(sink, (data[0] >> 3) & 1);
  if (!dc)
    abort();
  size_t at = 1;
  long long ts = 1000000;
  while (at + 2 <= size) {
    size_t n = (size_t)data[at] << 8 | data[at + 1];
    at += 2;
    if (n > size - at)
      n = size - at;
    decode_packet(dc, lt, ts, data + at, n);
    at += n;
    ts += 1000;
  }
  decode_finish(dc);
  (void)decode_messages(dc);
  decode_free(dc);
  return 0;
}
