/*
** harness_frame.c: libFuzzer target for the harness's frame reader and
** message decoding (harness/src/frame.c, wiremsg.c): what a DUT sends on
** the cloud session or the jig. Every frame decodes or is refused with a
** reason; a decoded message renders as text (transcripts, decode output)
** and re-encodes. Input: byte 0 picks the channel (even: wire, odd: jig)
** and the feed size (1..128), the rest is the stream.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "frame.h"
#include "wiremsg.h"

/* Render and re-frame a decoded message: both must succeed. */
static void use_message(const ProtobufCMessage *m) {
  char *text = wiremsg_text(m);
  if (!text || !text[0])
    abort();
  ic_free(text);
  if (!wiremsg_kind_name(m)[0])
    abort();
  size_t n;
  uint8_t *f = wiremsg_frame(m, UINT32_MAX, &n);
  if (!f || n < FRAME_HEADER)
    abort();
  ic_free(f);
}

static void decode_body(int jig, const uint8_t *body, size_t len) {
  struct ic_diag d = {""};
  if (jig) {
    Impjig__JigEnvelope *e = jigmsg_decode(body, len, &d);
    if (e) {
      use_message(&e->base);
      jigmsg_free(e);
    } else if (!d.msg[0]) {
      abort();
    }
  } else {
    Impwire__Envelope *e = wiremsg_decode(body, len, &d);
    if (e) {
      use_message(&e->base);
      wiremsg_free(e);
    } else if (!d.msg[0]) {
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  int jig = data[0] & 1;
  size_t chunk = 1 + (data[0] >> 1) % 128;
  data++, size--;
  struct frame_reader r;
  struct ic_diag d = {""};
  frame_reader_init(&r, 8192); /* small, so the fuzzer reaches the limit */
  for (size_t at = 0; at < size;) {
    size_t n = size - at < chunk ? size - at : chunk;
    if (frame_reader_feed(&r, data + at, n, &d) != 0)
      break;
    at += n;
    const uint8_t *body;
    size_t len;
    int got;
    while ((got = frame_reader_next(&r, &body, &len, &d)) == 1) {
      if (len == 0 || len > 8192)
        abort();
      decode_body(jig, body, len);
    }
    if (got < 0) {
      if (!d.msg[0])
        abort();
      break;
    }
  }
  (void)frame_reader_pending(&r);
  frame_reader_fini(&r);
  return 0;
}
