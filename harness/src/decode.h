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
** per line instead. NULL on ENOMEM. */
struct decode *decode_new(FILE *out, bool json);

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
