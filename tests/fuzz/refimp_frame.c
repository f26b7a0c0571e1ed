/*
** refimp_frame.c: libFuzzer target for refimp's frame reader and message
** decoder (reference-fw/core/frame.c): any byte stream, cut into reads of
** any size, must give frames, a refusal with a reason, or a wait for more;
** any frame body must decode to an Envelope or a Value, or be refused.
** Input: byte 0 picks the read size (1..64, so one byte at a time too),
** the rest is the stream as the cloud would send it.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/frame.h"
#include "wire.pb-c.h"

/* Decode a body both as the session would (an Envelope) and as a bare
** Value (configparams, nv); a success must name a message. */
static void decode_body(const uint8_t *body, size_t len, uint32_t number) {
  struct rf_diag d = {""};
  ProtobufCMessage *m = NULL;
  enum rf_status st =
      frame_decode(&impwire__envelope__descriptor, &impwire__value__descriptor,
                   body, len, number, &m, &d);
  if (st == RF_OK) {
    if (!m || !frame_msg_name(m)[0])
      abort();
    frame_free(m);
  } else if (st == RF_EPROTO && !d.msg[0]) {
    abort(); /* a refusal must say why */
  }
  m = NULL;
  st = frame_decode(&impwire__value__descriptor, &impwire__value__descriptor,
                    body, len, number, &m, &d);
  if (st == RF_OK)
    frame_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  size_t chunk = 1 + data[0] % 64;
  data++, size--;
  struct frame_reader r;
  struct rf_diag d = {""};
  frame_reader_init(&r, 4096); /* a small maximum so the fuzzer reaches it */
  size_t at = 0;
  while (at < size) {
    size_t want = frame_reader_want(&r);
    size_t n = size - at < chunk ? size - at : chunk;
    if (n > want)
      n = want; /* as the session does: never read past the frame */
    size_t used = 0;
    enum rf_status st = frame_reader_feed(&r, data + at, n, &used, &d);
    if (used > n)
      abort();
    at += used;
    if (st == RF_OK) {
      uint32_t len, number;
      uint8_t *body = frame_reader_take(&r, &len, &number);
      if (len == 0 || len > 4096)
        abort();
      decode_body(body, len, number);
      rf_free(body);
    } else if (st == RF_EAGAIN) {
      if (used == 0)
        abort(); /* no progress: would hang the session */
    } else {
      if (!d.msg[0])
        abort();
      break;
    }
  }
  (void)frame_reader_eof(&r, &d);
  frame_reader_fini(&r);
  return 0;
}
