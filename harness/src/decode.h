/*
** decode.h: the conversation in a packet capture, as protocol messages.
** Owns link-layer and IP/TCP parsing, per-direction TCP reassembly and
** the timeline printed by `impcert decode`. Reads no files itself: packets
** come from capture_read or, in tests, straight from memory.
*/
#ifndef IMPCERT_DECODE_H
#define IMPCERT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

/* Link types understood (pcap LINKTYPE_ / DLT_ values). */
#define DECODE_LT_NULL 0
#define DECODE_LT_EN10MB 1
#define DECODE_LT_RAW 101
#define DECODE_LT_RAW_12 12
#define DECODE_LT_RAW_14 14
#define DECODE_LT_SLL 113
#define DECODE_LT_SLL2 276

struct decode;

/* A decoder printing to out, one line per message; json: one JSON object
** per line instead; out NULL: print nothing (use a sink). NULL on ENOMEM. */
struct decode *decode_new(FILE *out, bool json);

/* What the decoder saw, for a program rather than a person (replay). */
enum decode_ev_kind {
  DECODE_EV_OPEN,  /* a TCP connection begins (its SYN, or first sight) */
  DECODE_EV_FRAME, /* one whole frame */
  DECODE_EV_CLOSE, /* the first FIN or an RST of a connection */
  DECODE_EV_ERROR  /* a stream or packet did not decode */
};

struct decode_event {
  enum decode_ev_kind kind;
  bool jig;              /* a jig connection (port 7), else the wire */
  bool from_device;      /* sender; for CLOSE, who closed first */
  bool reset;            /* CLOSE: by an RST */
  unsigned conn;         /* connection number, 1-based, by first sight */
  uint16_t server_port;  /* the cloud's (or jig's) port of the connection */
  unsigned long frame;   /* FRAME: 1-based, per direction per connection */
  unsigned long packet;  /* 1-based number of the packet in the input */
  long offset;           /* its record's byte offset in the file, or -1 */
  long long ts_us;
  const uint8_t *body;   /* FRAME: the body (no length header), valid */
  size_t len;            /*   only during the call */
  const char *error;     /* ERROR: why */
};

typedef void (*decode_sink_fn)(void *ctx, const struct decode_event *ev);

/* Also report every event to fn (out may then be NULL: nothing printed). */
void decode_set_sink(struct decode *dc, decode_sink_fn fn, void *ctx);

/* The file offset of the packet fed next (for events and messages). */
void decode_set_offset(struct decode *dc, long offset);

/* Feed one captured packet. Packets that are not TCP over IPv4/IPv6 are
** skipped. Returns 0, or -1 if the packet was malformed (a line says so
** and the error count grows). */
int decode_packet(struct decode *dc, int linktype, long long ts_us,
                  const uint8_t *data, size_t len);

/* Report streams left with an incomplete frame or a gap. Returns the
** number of errors seen in all (0: everything decoded cleanly). */
unsigned long decode_finish(struct decode *dc);

/* Messages printed so far. */
unsigned long decode_messages(const struct decode *dc);

void decode_free(struct decode *dc);

/* `impcert decode FILE [--json]`: argv after the command word. Returns
** the exit code: 0 clean, 1 errors, 2 usage. */
int decode_main(int argc, char **argv);

#endif
