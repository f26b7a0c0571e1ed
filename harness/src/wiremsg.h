/*
** wiremsg.h: protocol messages of specs/ in and out of frame bodies.
** Owns the checks a decoded message must pass (a message set, nesting
** depth) and the one-line text form used in transcripts and decode output.
*/
#ifndef IMPCERT_WIREMSG_H
#define IMPCERT_WIREMSG_H

#include <stddef.h>
#include <stdint.h>

#include <impcert/jig.pb-c.h>
#include <impcert/wire.pb-c.h>

#include "diag.h"

/* Deepest message nesting accepted (wire.md, Values: 32 Value levels, each
** two messages deep, plus the envelope). */
#define WIREMSG_MAX_DEPTH 72

/* Decode one wire frame body. Returns the Envelope (free with
** wiremsg_free) or NULL with d saying why: not protobuf, too deep, or no
** message set. */
Impwire__Envelope *wiremsg_decode(const uint8_t *body, size_t len,
                                  struct ic_diag *d);
void wiremsg_free(Impwire__Envelope *e);

/* The same for a jig frame body. */
Impjig__JigEnvelope *jigmsg_decode(const uint8_t *body, size_t len,
                                   struct ic_diag *d);
void jigmsg_free(Impjig__JigEnvelope *e);

/* Encode any message as a whole frame (header + body) into a new buffer
** the caller frees with ic_free. NULL on ENOMEM or if larger than max. */
uint8_t *wiremsg_frame(const ProtobufCMessage *m, uint32_t max,
                       size_t *outlen);

/* Render a message as one line of text, e.g.
** `DeviceState{mac="0c2a69000001", wake_reason=0}`; an envelope renders as
** the message it carries. Returns a string the caller frees with ic_free. */
char *wiremsg_text(const ProtobufCMessage *m);

/* The short name of the message an envelope carries ("CodeHash"), or
** "(none)". Static storage. */
const char *wiremsg_kind_name(const ProtobufCMessage *envelope);

/* Name of a wire Envelope case / jig case, for messages. */
const char *wiremsg_case_name(Impwire__Envelope__MsgCase c);
const char *jigmsg_case_name(Impjig__JigEnvelope__MsgCase c);

/* Check that body nests messages no deeper than max_depth according to
** desc, walking the encoding without allocating. Returns 0 or -1. */
int wiremsg_check_depth(const ProtobufCMessageDescriptor *desc,
                        const uint8_t *body, size_t len, int max_depth,
                        struct ic_diag *d);

#endif
