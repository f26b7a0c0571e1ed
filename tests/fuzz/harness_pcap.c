/*
** harness_pcap.c: libFuzzer target for the pcap reader (harness/src/
** capture.c, capture_read through libpcap) feeding the decoder's TCP
** reassembly (decode.c), as `impcert decode FILE` does: any file must
** decode, or be refused naming the packet and offset.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "decode.h"
#include "diag.h"

/* GLOBAL: one scratch file and one output sink per fuzzing process. */
static char path[64];
static FILE *sink;

static void cleanup(void) {
  unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  snprintf(path, sizeof(path), "/dev/shm/impcert-pcap-fuzz-%ld.pcap",
           (long)getpid());
  sink = fopen("/dev/null", "w");
  if (!sink)
    abort();
  atexit(cleanup);
  return 0;
}

static int feed(void *ctx, int linktype, long long ts_us, long offset,
                const uint8_t *p, size_t n) {
  decode_set_offset(ctx, offset);
  decode_packet(ctx, linktype, ts_us, p, n);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f))
    abort();
  struct decode *dc = decode_new(sink, size & 1);
  if (!dc)
    abort();
  struct ic_diag d = {""};
  long n = capture_read(path, feed, dc, &d);
  if (n < 0 && !d.msg[0])
    abort(); /* a refusal must say why */
  decode_finish(dc);
  decode_free(dc);
  return 0;
}
