/*
** wiremsg.c: checked decoding, framing and text rendering of the
** protobuf-c messages of specs/wire.proto and specs/jig.proto.
*/
#include "wiremsg.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"

/* ---- nesting depth, checked before protobuf-c recurses ---------------- */

static int get_varint(const uint8_t *p, size_t len, size_t *pos,
                      uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= len)
      return -1;
    uint8_t b = p[(*pos)++];
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -1;
}

static int walk(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                size_t len, int depth, int max_depth, struct ic_diag *d) {
  if (depth > max_depth)
    return ic_fail(d, "messages nested deeper than %d", max_depth);
  size_t pos = 0;
  while (pos < len) {
    uint64_t tag, v;
    if (get_varint(p, len, &pos, &tag) < 0)
      return ic_fail(d, "bad field tag at byte %zu", pos);
    switch (tag & 7) {
    case 0:
      if (get_varint(p, len, &pos, &v) < 0)
        return ic_fail(d, "bad varint at byte %zu", pos);
      break;
    case 1:
      if (len - pos < 8)
        return ic_fail(d, "truncated fixed64 at byte %zu", pos);
      pos += 8;
      break;
    case 5:
      if (len - pos < 4)
        return ic_fail(d, "truncated fixed32 at byte %zu", pos);
      pos += 4;
      break;
    case 2: {
      if (get_varint(p, len, &pos, &v) < 0 || v > len - pos)
        return ic_fail(d, "bad length at byte %zu", pos);
      const ProtobufCFieldDescriptor *f =
          desc ? protobuf_c_message_descriptor_get_field(
                     desc, (unsigned)(tag >> 3))
               : NULL;
      if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
          walk(f->descriptor, p + pos, (size_t)v, depth + 1, max_depth, d) < 0)
        return -1;
      pos += (size_t)v;
      break;
    }
    default:
      return ic_fail(d, "unsupported wire type %u at byte %zu",
                     (unsigned)(tag & 7), pos);
    }
  }
  return 0;
}

int wiremsg_check_depth(const ProtobufCMessageDescriptor *desc,
                        const uint8_t *body, size_t len, int max_depth,
                        struct ic_diag *d) {
  return walk(desc, body, len, 1, max_depth, d);
}

/* ---- decoding --------------------------------------------------------- */

static ProtobufCMessage *decode(const ProtobufCMessageDescriptor *desc,
                                const uint8_t *body, size_t len,
                                struct ic_diag *d) {
  if (wiremsg_check_depth(desc, body, len, WIREMSG_MAX_DEPTH, d) < 0)
    return NULL;
  ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, len, body);
  if (!m) {
    ic_fail(d, "body of %zu bytes does not decode as %s", len, desc->name);
    return NULL;
  }
  return m;
}

Impwire__Envelope *wiremsg_decode(const uint8_t *body, size_t len,
                                  struct ic_diag *d) {
  Impwire__Envelope *e = (Impwire__Envelope *)decode(
      &impwire__envelope__descriptor, body, len, d);
  if (e && e->msg_case == IMPWIRE__ENVELOPE__MSG__NOT_SET) {
    ic_fail(d, "Envelope carries no message");
    impwire__envelope__free_unpacked(e, NULL);
    return NULL;
  }
  return e;
}

void wiremsg_free(Impwire__Envelope *e) {
  if (e)
    impwire__envelope__free_unpacked(e, NULL);
}

Impjig__JigEnvelope *jigmsg_decode(const uint8_t *body, size_t len,
                                   struct ic_diag *d) {
  Impjig__JigEnvelope *e = (Impjig__JigEnvelope *)decode(
      &impjig__jig_envelope__descriptor, body, len, d);
  if (e && e->msg_case == IMPJIG__JIG_ENVELOPE__MSG__NOT_SET) {
    ic_fail(d, "JigEnvelope carries no message");
    impjig__jig_envelope__free_unpacked(e, NULL);
    return NULL;
  }
  return e;
}

void jigmsg_free(Impjig__JigEnvelope *e) {
  if (e)
    impjig__jig_envelope__free_unpacked(e, NULL);
}

uint8_t *wiremsg_frame(const ProtobufCMessage *m, uint32_t max,
                       size_t *outlen) {
  size_t n = protobuf_c_message_get_packed_size(m);
  if (n == 0 || n > max)
    return NULL;
  uint8_t *buf = ic_malloc(FRAME_HEADER + n);
  if (!buf)
    return NULL;
  frame_put_header(buf, (uint32_t)n);
  protobuf_c_message_pack(m, buf + FRAME_HEADER);
  *outlen = FRAME_HEADER + n;
  return buf;
}

/* ---- text rendering ----------------------------------------------------- */

/* A growing string; on ENOMEM it stops growing and the text is cut. */
struct text {
  char *s;
  size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    size_t room = t->cap - t->len;
    va_start(ap, fmt);
    int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? room : 0, fmt, ap);
    va_end(ap);
    if (n < 0)
      return;
    if (t->s && (size_t)n < room) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = t->cap ? t->cap * 2 : 128;
    while (cap < t->len + (size_t)n + 1)
      cap *= 2;
    char *ns = ic_realloc(t->s, cap);
    if (!ns)
      return;
    t->s = ns;
    t->cap = cap;
  }
}

static void put_bytes(struct text *t, const uint8_t *p, size_t n,
                      bool as_string) {
  if (as_string) {
    put(t, "\"");
    for (size_t i = 0; i < n && i < 200; i++) {
      uint8_t c = p[i];
      if (c == '"' || c == '\\')
        put(t, "\\%c", c);
      else if (c >= 0x20 && c < 0x7f)
        put(t, "%c", c);
      else if (c == '\n')
        put(t, "\\n");
      else
        put(t, "\\x%02x", c);
    }
    put(t, n > 200 ? "\"...(%zu bytes)" : "\"", n);
    return;
  }
  put(t, "0x");
  for (size_t i = 0; i < n && i < 32; i++)
    put(t, "%02x", p[i]);
  if (n > 32)
    put(t, "...(%zu bytes)", n);
}

static void put_message(struct text *t, const ProtobufCMessage *m);

static void put_value(struct text *t, const ProtobufCFieldDescriptor *f,
                      const void *v) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
    put(t, "%d", *(const int32_t *)v);
    break;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
    put(t, "%u", *(const uint32_t *)v);
    break;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
    put(t, "%lld", (long long)*(const int64_t *)v);
    break;
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
    put(t, "%llu", (unsigned long long)*(const uint64_t *)v);
    break;
  case PROTOBUF_C_TYPE_FLOAT:
    put(t, "%g", (double)*(const float *)v);
    break;
  case PROTOBUF_C_TYPE_DOUBLE:
    put(t, "%g", *(const double *)v);
    break;
  case PROTOBUF_C_TYPE_BOOL:
    put(t, "%s", *(const protobuf_c_boolean *)v ? "true" : "false");
    break;
  case PROTOBUF_C_TYPE_ENUM: {
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
        f->descriptor, *(const int *)v);
    if (ev)
      put(t, "%s", ev->name);
    else
      put(t, "%d", *(const int *)v);
    break;
  }
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(char *const *)v;
    put_bytes(t, (const uint8_t *)(s ? s : ""), s ? strlen(s) : 0, true);
    break;
  }
  case PROTOBUF_C_TYPE_BYTES: {
    const ProtobufCBinaryData *b = v;
    put_bytes(t, b->data, b->len, false);
    break;
  }
  case PROTOBUF_C_TYPE_MESSAGE: {
    const ProtobufCMessage *sub = *(ProtobufCMessage *const *)v;
    if (sub)
      put_message(t, sub);
    else
      put(t, "null");
    break;
  }
  }
}

/* Size of one element of a repeated field, for walking its array. */
static size_t elem_size(const ProtobufCFieldDescriptor *f) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_DOUBLE:
    return 8;
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_MESSAGE:
    return sizeof(void *);
  case PROTOBUF_C_TYPE_BYTES:
    return sizeof(ProtobufCBinaryData);
  case PROTOBUF_C_TYPE_BOOL:
    return sizeof(protobuf_c_boolean);
  default:
    return 4;
  }
}

/* True if an optional field (or oneof member) is present in m. */
static bool present(const ProtobufCMessage *m,
                    const ProtobufCFieldDescriptor *f) {
  const char *base = (const char *)m;
  if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
    return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
  if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)
    return *(void *const *)(base + f->offset) != NULL;
  return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
}

static void put_message(struct text *t, const ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *desc = m->descriptor;
  const char *base = (const char *)m;
  put(t, "%s{", desc->short_name);
  bool first = true;
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &desc->fields[i];
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !present(m, f))
      continue;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = *(const size_t *)(base + f->quantifier_offset);
      const char *arr = *(char *const *)(base + f->offset);
      put(t, "%s%s=[", first ? "" : ", ", f->name);
      for (size_t k = 0; k < n; k++) {
        if (k)
          put(t, ", ");
        put_value(t, f, arr + k * elem_size(f));
      }
      put(t, "]");
    } else {
      put(t, "%s%s=", first ? "" : ", ", f->name);
      put_value(t, f, base + f->offset);
    }
    first = false;
  }
  put(t, "}");
}

/* The message an envelope carries: its one set oneof member. */
static const ProtobufCMessage *inner(const ProtobufCMessage *env) {
  const ProtobufCMessageDescriptor *desc = env->descriptor;
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &desc->fields[i];
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && present(env, f) &&
        f->type == PROTOBUF_C_TYPE_MESSAGE)
      return *(ProtobufCMessage *const *)((const char *)env + f->offset);
  }
  return NULL;
}

static bool is_envelope(const ProtobufCMessage *m) {
  return m->descriptor == &impwire__envelope__descriptor ||
         m->descriptor == &impjig__jig_envelope__descriptor;
}

char *wiremsg_text(const ProtobufCMessage *m) {
  struct text t = {0};
  const ProtobufCMessage *shown = is_envelope(m) ? inner(m) : m;
  if (shown)
    put_message(&t, shown);
  else
    put(&t, "(empty envelope)");
  return t.s ? t.s : ic_strdup("");
}

const char *wiremsg_kind_name(const ProtobufCMessage *envelope) {
  const ProtobufCMessage *m = inner(envelope);
  return m ? m->descriptor->short_name : "(none)";
}

/* Case names come from the descriptors, so they follow the .proto. */
static const char *case_name(const ProtobufCMessageDescriptor *desc,
                             unsigned id) {
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field(desc, id);
  if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
    return "(unknown)";
  return ((const ProtobufCMessageDescriptor *)f->descriptor)->short_name;
}

const char *wiremsg_case_name(Impwire__Envelope__MsgCase c) {
  return case_name(&impwire__envelope__descriptor, (unsigned)c);
}

const char *jigmsg_case_name(Impjig__JigEnvelope__MsgCase c) {
  return case_name(&impjig__jig_envelope__descriptor, (unsigned)c);
}
