/*
** frame.h: the framing of wire.md (4-byte big-endian length, then one
** protobuf message) for the cloud session and the jig alike.
** Owns the incremental reader, the size limit, the Value depth limit and
** the checks that turn bad bytes into a diagnostic naming the frame.
*/
#ifndef REFIMP_CORE_FRAME_H
#define REFIMP_CORE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "core/rf.h"

#define FRAME_WIRE_MAX 262144u  /* wire.md [WIRE-002] */
#define FRAME_JIG_MAX 65536u    /* jig.md */
#define FRAME_VALUE_DEPTH 32    /* wire.md "Values" */

/* Reads frames byte by byte as they come; never reads past the frame it
** is on (frame_reader_want says how much to ask the transport for), so an
** oversized length is refused before any of its body is read. */
struct frame_reader {
  uint32_t max;        /* largest body accepted */
  uint32_t number;     /* 1-based number of the frame being read */
  uint8_t hdr[4];
  size_t hdr_got;
  uint8_t *body;       /* rf_malloc'd once the length is known */
  uint32_t len;
  uint32_t body_got;
};

void frame_reader_init(struct frame_reader *r, uint32_t max);
/* Frees a partly read body. The reader may be initialised again. */
void frame_reader_fini(struct frame_reader *r);

/* How many bytes the reader needs next (at least 1). */
size_t frame_reader_want(const struct frame_reader *r);

/*
** Take up to n bytes from p (*used says how many were taken).
** Returns RF_OK when a frame is complete (take it with frame_reader_take
** before feeding more), RF_EAGAIN when more bytes are needed, RF_EPROTO
** when the length is 0 or above the maximum (d: "frame N: length L exceeds
** maximum M"; the reader must then be abandoned), RF_ENOMEM.
*/
enum rf_status frame_reader_feed(struct frame_reader *r, const uint8_t *p,
                                 size_t n, size_t *used, struct rf_diag *d);

/* The completed body (the caller rf_free()s it), its length and frame
** number; the reader moves on to the next frame. */
uint8_t *frame_reader_take(struct frame_reader *r, uint32_t *len,
                           uint32_t *number);

/* The peer closed the stream. RF_ECLOSED between frames, RF_EIO inside
** one (d names the frame and how much of it came). */
enum rf_status frame_reader_eof(const struct frame_reader *r,
                                struct rf_diag *d);

/*
** Pack m into a new frame (length + body) in *out (rf_free it).
** RF_EINVAL if the body would exceed max; RF_ENOMEM.
*/
enum rf_status frame_encode(const ProtobufCMessage *m, uint32_t max,
                            uint8_t **out, size_t *outlen,
                            struct rf_diag *d);

/*
** Decode body as a `desc` envelope: a message whose one oneof must be set.
** Value messages (`value_desc`, NULL if the schema has none) may nest at
** most FRAME_VALUE_DEPTH levels; deeper input is refused before protobuf-c
** recurses into it. Returns RF_OK with *out (free with frame_free), or
** RF_EPROTO with d naming frame `number` and the reason, or RF_ENOMEM.
*/
enum rf_status frame_decode(const ProtobufCMessageDescriptor *desc,
                            const ProtobufCMessageDescriptor *value_desc,
                            const uint8_t *body, size_t len,
                            uint32_t number, ProtobufCMessage **out,
                            struct rf_diag *d);

/* Free a decoded message (NULL is fine). */
void frame_free(ProtobufCMessage *m);

/* The type name of the member set in an envelope's oneof ("DeviceState"),
** or "(none)". */
const char *frame_msg_name(const ProtobufCMessage *env);

#endif
