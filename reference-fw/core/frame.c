/*
** frame.c: length-prefixed protobuf frames [WIRE-001..011]: reading them
** incrementally, refusing bad ones with the frame's number, packing.
*/
#include "core/frame.h"

#include <string.h>

void frame_reader_init(struct frame_reader *r, uint32_t max) {
  memset(r, 0, sizeof(*r));
  r->max = max;
  r->number = 1;
}

void frame_reader_fini(struct frame_reader *r) {
  rf_free(r->body);
  r->body = NULL;
  r->hdr_got = 0;
  r->body_got = 0;
}

size_t frame_reader_want(const struct frame_reader *r) {
  if (r->hdr_got < 4)
    return 4 - r->hdr_got;
  return r->len - r->body_got;
}

/* The 4 length bytes are in: check the length before anything else. */
static enum rf_status start_body(struct frame_reader *r, struct rf_diag *d) {
  r->len = (uint32_t)r->hdr[0] << 24 | (uint32_t)r->hdr[1] << 16 |
           (uint32_t)r->hdr[2] << 8 | r->hdr[3];
  if (r->len > r->max) {
    /* [WIRE-002]: refuse before reading the body */
    rf_diag_set(d, "frame %u: length %u exceeds maximum %u", r->number,
                r->len, r->max);
    return RF_EPROTO;
  }
  if (r->len == 0) {
    rf_diag_set(d, "frame %u: length 0 (an empty envelope is invalid)",
                r->number);
    return RF_EPROTO;
  }
  r->body = rf_malloc(r->len);
  if (!r->body) {
    rf_diag_set(d, "frame %u: no memory for %u bytes", r->number, r->len);
    return RF_ENOMEM;
  }
  r->body_got = 0;
  return RF_OK;
}

enum rf_status frame_reader_feed(struct frame_reader *r, const uint8_t *p,
                                 size_t n, size_t *used, struct rf_diag *d) {
  size_t i = 0;
  enum rf_status st;
  *used = 0;
  while (r->hdr_got < 4) {
    if (i == n)
      return RF_EAGAIN;
    r->hdr[r->hdr_got++] = p[i++];
    *used = i;
    if (r->hdr_got == 4 && (st = start_body(r, d)) != RF_OK)
      return st;
  }
  size_t take = r->len - r->body_got;
  if (take > n - i)
    take = n - i;
  memcpy(r->body + r->body_got, p + i, take);
  r->body_got += (uint32_t)take;
  *used = i + take;
  return r->body_got == r->len ? RF_OK : RF_EAGAIN;
}

uint8_t *frame_reader_take(struct frame_reader *r, uint32_t *len,
                           uint32_t *number) {
  uint8_t *body = r->body;
  *len = r->len;
  *number = r->number;
  r->body = NULL;
  r->hdr_got = 0;
  r->body_got = 0;
  r->len = 0;
  r->number++;
  return body;
}

enum rf_status frame_reader_eof(const struct frame_reader *r,
                                struct rf_diag *d) {
  if (r->hdr_got == 0)
    return RF_ECLOSED;
  if (r->hdr_got < 4)
    rf_diag_set(d, "frame %u: closed after %zu of 4 length bytes",
                r->number, r->hdr_got);
  else
    rf_diag_set(d, "frame %u: closed after %u of %u bytes", r->number,
                r->body_got, r->len);
  return RF_EIO;
}

enum rf_status frame_encode(const ProtobufCMessage *m, uint32_t max,
                            uint8_t **out, size_t *outlen,
                            struct rf_diag *d) {
  size_t n = protobuf_c_message_get_packed_size(m);
  *out = NULL;
  *outlen = 0;
  if (n > max || n == 0) {
    rf_diag_set(d, "%s: packed size %zu outside 1..%u",
                m->descriptor->short_name, n, max);
    return RF_EINVAL;
  }
  uint8_t *buf = rf_malloc(n + 4);
  if (!buf) {
    rf_diag_set(d, "%s: no memory for %zu bytes", m->descriptor->short_name,
                n + 4);
    return RF_ENOMEM;
  }
  buf[0] = (uint8_t)(n >> 24);
  buf[1] = (uint8_t)(n >> 16);
  buf[2] = (uint8_t)(n >> 8);
  buf[3] = (uint8_t)n;
  protobuf_c_message_pack(m, buf + 4);
  *out = buf;
  *outlen = n + 4;
  return RF_OK;
}

/* ---- the depth scan ------------------------------------------------------
** protobuf-c unpacks nested messages by recursion with no depth limit, so a
** 256 KiB frame of nested Values could exhaust the stack. This walk follows
** the schema over the raw bytes first; its own recursion stops at the
** limit. */

enum scan_result { SCAN_OK, SCAN_MALFORMED, SCAN_TOO_DEEP };

static bool get_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (*i >= n)
      return false;
    uint8_t b = p[(*i)++];
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false;
}

static enum scan_result scan(const ProtobufCMessageDescriptor *desc,
                             const ProtobufCMessageDescriptor *vdesc,
                             const uint8_t *p, size_t n, int vdepth,
                             int depth) {
  if (desc == vdesc)
    vdepth++;
  /* Without Values the schemas nest a handful of levels; 4 per Value
  ** level (Value, ValueTable, ValueSlot, Value) bounds the rest. */
  if (vdepth > FRAME_VALUE_DEPTH || depth > 4 * FRAME_VALUE_DEPTH + 16)
    return SCAN_TOO_DEEP;
  size_t i = 0;
  while (i < n) {
    uint64_t key, v;
    if (!get_varint(p, n, &i, &key))
      return SCAN_MALFORMED;
    switch (key & 7) {
    case 0:
      if (!get_varint(p, n, &i, &v))
        return SCAN_MALFORMED;
      break;
    case 1:
      if (n - i < 8)
        return SCAN_MALFORMED;
      i += 8;
      break;
    case 5:
      if (n - i < 4)
        return SCAN_MALFORMED;
      i += 4;
      break;
    case 2: {
      if (!get_varint(p, n, &i, &v) || v > n - i)
        return SCAN_MALFORMED;
      const ProtobufCFieldDescriptor *f =
          key >> 3 > UINT32_MAX
              ? NULL
              : protobuf_c_message_descriptor_get_field(desc,
                                                        (unsigned)(key >> 3));
      if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
        enum scan_result r = scan(f->descriptor, vdesc, p + i, (size_t)v,
                                  vdepth, depth + 1);
        if (r != SCAN_OK)
          return r;
      }
      i += (size_t)v;
      break;
    }
    default: /* groups (3, 4) and invalid wire types */
      return SCAN_MALFORMED;
    }
  }
  return SCAN_OK;
}

/* True if the one oneof of an envelope has a member set. */
static bool oneof_set(const ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *desc = m->descriptor;
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &desc->fields[i];
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
      continue;
    uint32_t c;
    memcpy(&c, (const char *)m + f->quantifier_offset, sizeof(c));
    if (c == f->id)
      return true;
  }
  return false;
}

enum rf_status frame_decode(const ProtobufCMessageDescriptor *desc,
                            const ProtobufCMessageDescriptor *value_desc,
                            const uint8_t *body, size_t len,
                            uint32_t number, ProtobufCMessage **out,
                            struct rf_diag *d) {
  *out = NULL;
  switch (scan(desc, value_desc, body, len, 0, 0)) {
  case SCAN_OK:
    break;
  case SCAN_MALFORMED:
    rf_diag_set(d, "frame %u: %zu bytes do not decode as %s", number, len,
                desc->short_name);
    return RF_EPROTO;
  case SCAN_TOO_DEEP:
    rf_diag_set(d, "frame %u: Value nesting exceeds %d", number,
                FRAME_VALUE_DEPTH);
    return RF_EPROTO;
  }
  ProtobufCMessage *m =
      protobuf_c_message_unpack(desc, &rf_pb_allocator, len, body);
  if (!m) {
    rf_diag_set(d, "frame %u: %zu bytes do not decode as %s", number, len,
                desc->short_name);
    return RF_EPROTO;
  }
  if (!oneof_set(m)) {
    rf_diag_set(d, "frame %u: %s has no message set", number,
                desc->short_name);
    protobuf_c_message_free_unpacked(m, &rf_pb_allocator);
    return RF_EPROTO;
  }
  *out = m;
  return RF_OK;
}

void frame_free(ProtobufCMessage *m) {
  if (m)
    protobuf_c_message_free_unpacked(m, &rf_pb_allocator);
}

const char *frame_msg_name(const ProtobufCMessage *env) {
  const ProtobufCMessageDescriptor *desc = env->descriptor;
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &desc->fields[i];
    uint32_t c;
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
      continue;
    memcpy(&c, (const char *)env + f->quantifier_offset, sizeof(c));
    if (c == f->id && f->type == PROTOBUF_C_TYPE_MESSAGE)
      return ((const ProtobufCMessageDescriptor *)f->descriptor)->short_name;
  }
  return "(none)";
}
