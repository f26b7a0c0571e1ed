/*
** frame.h: the length-prefixed framing of wire.md, for any byte stream.
** Owns splitting a stream into frames and refusing bad lengths; knows
** nothing of what a frame holds (see wiremsg.h) or where bytes come from.
*/
#ifndef IMPCERT_FRAME_H
#define IMPCERT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define FRAME_HEADER 4
#define FRAME_WIRE_MAX 262144u /* wire.md, Framing */
#define FRAME_JIG_MAX 65536u   /* jig.md, Transport */

/* Accumulates a byte stream and hands out whole frames. */
struct frame_reader {
  uint32_t max;        /* largest body accepted */
  uint8_t *buf;        /* bytes received and not yet consumed */
  size_t len, cap;
  size_t handed;       /* bytes of the frame last handed out, dropped on
                          the next feed or next() call */
  unsigned long count; /* frames handed out so far */
  int broken;          /* a bad length was seen: the stream is unusable */
};

void frame_reader_init(struct frame_reader *r, uint32_t max);
void frame_reader_fini(struct frame_reader *r);

/* Append n received bytes. Returns 0, or -1 (d says why) if out of memory
** or the reader is broken. */
int frame_reader_feed(struct frame_reader *r, const void *data, size_t n,
                      struct ic_diag *d);

/* Take the next whole frame: 1, with *body and *len pointing into the
** reader's buffer until the next feed or next call; 0 if no whole frame yet;
** -1 if the next length is 0 or exceeds r->max, with d naming the frame
** number and length. After -1 the reader stays broken. */
int frame_reader_next(struct frame_reader *r, const uint8_t **body,
                      size_t *len, struct ic_diag *d);

/* Bytes held that do not yet make a whole frame. */
size_t frame_reader_pending(const struct frame_reader *r);

/* Write the 4-byte big-endian header for a body of n bytes. */
void frame_put_header(uint8_t out[FRAME_HEADER], uint32_t n);

#endif
