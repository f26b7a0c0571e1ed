/*
** pbmini.c: protobuf encoding and decoding from protoc-c descriptors
** (pbmini.h). Written from the protobuf wire format (varints, zigzag,
** little-endian fixed fields, length-delimited fields) and the descriptor
** structs of <protobuf-c/protobuf-c.h>; no protobuf-c code is used.
*/
#include "pb/pbmini.h"

#include <stdlib.h>
#include <string.h>

/* ---- memory --------------------------------------------------------------- */

static void *sys_alloc(void *data, size_t n) {
  (void)data;
  return malloc(n);
}
static void sys_free(void *data, void *p) {
  (void)data;
  free(p);
}
static ProtobufCAllocator sys_allocator = {sys_alloc, sys_free, NULL};

static void *mem_alloc(ProtobufCAllocator *a, size_t n) {
  return a->alloc(a->allocator_data, n ? n : 1);
}
static void mem_free(ProtobufCAllocator *a, void *p) {
  if (p)
    a->free(a->allocator_data, p);
}

/* ---- field layout --------------------------------------------------------- */

/* Bytes one value of type t takes in a message struct or repeated array. */
static size_t value_size(ProtobufCType t) {
  switch (t) {
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_DOUBLE:
    return 8;
  case PROTOBUF_C_TYPE_BOOL:
    return sizeof(protobuf_c_boolean);
  case PROTOBUF_C_TYPE_STRING:
    return sizeof(char *);
  case PROTOBUF_C_TYPE_BYTES:
    return sizeof(ProtobufCBinaryData);
  case PROTOBUF_C_TYPE_MESSAGE:
    return sizeof(ProtobufCMessage *);
  default: /* 32-bit integers, enums, float */
    return 4;
  }
}

/* The wire type a single value of type t is sent with. */
static unsigned wire_type(ProtobufCType t) {
  switch (t) {
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_FLOAT:
    return 5;
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_DOUBLE:
    return 1;
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_BYTES:
  case PROTOBUF_C_TYPE_MESSAGE:
    return 2;
  default:
    return 0;
  }
}

static void *member(const ProtobufCMessage *m, unsigned off) {
  return (char *)m + off;
}

/* Whether field f of m is present (and so is packed). */
static int field_present(const ProtobufCMessage *m,
                         const ProtobufCFieldDescriptor *f) {
  const void *v = member(m, f->offset);
  int ptr_type = f->type == PROTOBUF_C_TYPE_STRING ||
                  f->type == PROTOBUF_C_TYPE_MESSAGE;
  if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
    if (*(const uint32_t *)member(m, f->quantifier_offset) != f->id)
      return 0;
    if (ptr_type) {
      const void *p = *(const void *const *)v;
      return p != NULL && p != f->default_value;
    }
    return 1;
  }
  switch (f->label) {
  case PROTOBUF_C_LABEL_REQUIRED:
    return 1;
  case PROTOBUF_C_LABEL_OPTIONAL:
    if (ptr_type) {
      const void *p = *(const void *const *)v;
      return p != NULL && p != f->default_value;
    }
    return *(const protobuf_c_boolean *)member(m, f->quantifier_offset) != 0;
  case PROTOBUF_C_LABEL_NONE: { /* proto3: sent unless zero or empty */
    if (f->type == PROTOBUF_C_TYPE_STRING) {
      const char *s = *(const char *const *)v;
      return s != NULL && s[0] != '\0';
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
      return *(const void *const *)v != NULL;
    if (f->type == PROTOBUF_C_TYPE_BYTES)
      return ((const ProtobufCBinaryData *)v)->len != 0;
    static const uint8_t zero[8];
    return memcmp(v, zero, value_size(f->type)) != 0;
  }
  default: /* repeated: handled by the caller */
    return *(const size_t *)member(m, f->quantifier_offset) != 0;
  }
}

/* ---- encoding ------------------------------------------------------------- */

/* Where encoded bytes go: a flat buffer, a ProtobufCBuffer, or nowhere
** (counting only). */
struct writer {
  uint8_t *out;
  ProtobufCBuffer *sink;
  size_t len;
};

static void put(struct writer *w, const void *p, size_t n) {
  if (w->out && n) /* p may be NULL when n is 0 (empty bytes) */
    memcpy(w->out + w->len, p, n);
  else if (w->sink && n)
    w->sink->append(w->sink, n, p);
  w->len += n;
}

static void put_varint(struct writer *w, uint64_t v) {
  uint8_t b[10];
  size_t n = 0;
  while (v >= 0x80) {
    b[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b[n++] = (uint8_t)v;
  put(w, b, n);
}

static void put_fixed(struct writer *w, uint64_t v, size_t n) {
  uint8_t b[8];
  for (size_t i = 0; i < n; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  put(w, b, n);
}

static void put_tag(struct writer *w, uint32_t id, unsigned wt) {
  put_varint(w, (uint64_t)id << 3 | wt);
}

static void encode_message(struct writer *w, const ProtobufCMessage *m);

static size_t message_size(const ProtobufCMessage *m) {
  struct writer count = {NULL, NULL, 0};
  if (m)
    encode_message(&count, m);
  return count.len;
}

/* One value of type t stored at v, without its tag. */
static void encode_value(struct writer *w, ProtobufCType t, const void *v) {
  uint32_t u32;
  uint64_t u64;
  switch (t) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_ENUM: {
    int32_t i;
    memcpy(&i, v, 4);
    put_varint(w, (uint64_t)(int64_t)i); /* negative: 10 bytes */
    break;
  }
  case PROTOBUF_C_TYPE_SINT32: {
    memcpy(&u32, v, 4);
    put_varint(w, (u32 << 1) ^ (uint32_t)-(u32 >> 31));
    break;
  }
  case PROTOBUF_C_TYPE_UINT32:
    memcpy(&u32, v, 4);
    put_varint(w, u32);
    break;
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_FLOAT:
    memcpy(&u32, v, 4);
    put_fixed(w, u32, 4);
    break;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_UINT64:
    memcpy(&u64, v, 8);
    put_varint(w, u64);
    break;
  case PROTOBUF_C_TYPE_SINT64:
    memcpy(&u64, v, 8);
    put_varint(w, (u64 << 1) ^ (uint64_t)-(u64 >> 63));
    break;
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_DOUBLE:
    memcpy(&u64, v, 8);
    put_fixed(w, u64, 8);
    break;
  case PROTOBUF_C_TYPE_BOOL:
    put_varint(w, *(const protobuf_c_boolean *)v ? 1 : 0);
    break;
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(const char *const *)v;
    size_t n = s ? strlen(s) : 0;
    put_varint(w, n);
    put(w, s, n);
    break;
  }
  case PROTOBUF_C_TYPE_BYTES: {
    const ProtobufCBinaryData *b = v;
    put_varint(w, b->len);
    put(w, b->data, b->len);
    break;
  }
  case PROTOBUF_C_TYPE_MESSAGE: {
    const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)v;
    size_t n = message_size(sub);
    put_varint(w, n);
    if (!w->out && !w->sink)
      w->len += n; /* counting: do not walk the sub-message twice */
    else if (sub)
      encode_message(w, sub);
    break;
  }
  }
}

static void encode_repeated(struct writer *w, const ProtobufCMessage *m,
                            const ProtobufCFieldDescriptor *f) {
  size_t n = *(const size_t *)member(m, f->quantifier_offset);
  const char *arr = *(char *const *)member(m, f->offset);
  size_t step = value_size(f->type);
  if (n == 0)
    return;
  if (f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) {
    struct writer count = {NULL, NULL, 0};
    for (size_t i = 0; i < n; i++)
      encode_value(&count, f->type, arr + i * step);
    put_tag(w, f->id, 2);
    put_varint(w, count.len);
    for (size_t i = 0; i < n; i++)
      encode_value(w, f->type, arr + i * step);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    put_tag(w, f->id, wire_type(f->type));
    encode_value(w, f->type, arr + i * step);
  }
}

static void encode_message(struct writer *w, const ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      encode_repeated(w, m, f);
    } else if (field_present(m, f)) {
      put_tag(w, f->id, wire_type(f->type));
      encode_value(w, f->type, member(m, f->offset));
    }
  }
}

size_t pbmini_get_packed_size(const ProtobufCMessage *m) {
  return message_size(m);
}

size_t pbmini_pack(const ProtobufCMessage *m, uint8_t *out) {
  struct writer w = {out, NULL, 0};
  encode_message(&w, m);
  return w.len;
}

size_t pbmini_pack_to_buffer(const ProtobufCMessage *m, ProtobufCBuffer *buf) {
  struct writer w = {NULL, buf, 0};
  encode_message(&w, m);
  return w.len;
}

/* ---- freeing -------------------------------------------------------------- */

static void free_message(ProtobufCMessage *m, ProtobufCAllocator *a);

/* Free what one value of type t at v owns (not v itself). */
static void free_value(const ProtobufCFieldDescriptor *f, void *v,
                       ProtobufCAllocator *a) {
  if (f->type == PROTOBUF_C_TYPE_STRING) {
    char *s = *(char **)v;
    if (s && s != f->default_value && s != protobuf_c_empty_string)
      mem_free(a, s);
    *(char **)v = NULL;
  } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
    ProtobufCBinaryData *b = v;
    const ProtobufCBinaryData *def = f->default_value;
    if (b->data && (!def || b->data != def->data))
      mem_free(a, b->data);
    b->data = NULL;
    b->len = 0;
  } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
    ProtobufCMessage *sub = *(ProtobufCMessage **)v;
    if (sub && (const void *)sub != f->default_value)
      free_message(sub, a);
    *(ProtobufCMessage **)v = NULL;
  }
}

static void free_message(ProtobufCMessage *m, ProtobufCAllocator *a) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    void *v = member(m, f->offset);
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t *n = member(m, f->quantifier_offset);
      char *arr = *(char **)v;
      for (size_t k = 0; k < *n; k++)
        free_value(f, arr + k * value_size(f->type), a);
      mem_free(a, arr);
      *(char **)v = NULL;
      *n = 0;
    } else if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
               *(uint32_t *)member(m, f->quantifier_offset) == f->id) {
      free_value(f, v, a);
    }
  }
  mem_free(a, m);
}

void pbmini_free_unpacked(ProtobufCMessage *m, ProtobufCAllocator *allocator) {
  if (m)
    free_message(m, allocator ? allocator : &sys_allocator);
}

const ProtobufCFieldDescriptor *
pbmini_get_field(const ProtobufCMessageDescriptor *desc, unsigned id) {
  for (unsigned i = 0; i < desc->n_fields; i++)
    if (desc->fields[i].id == id)
      return &desc->fields[i];
  return NULL;
}

/* ---- decoding ------------------------------------------------------------- */

struct reader {
  const uint8_t *p, *end;
};

/* A varint of at most max bytes; 0 on a truncated or over-long one. */
static int get_varint_max(struct reader *r, uint64_t *v, unsigned max) {
  uint64_t x = 0;
  for (unsigned i = 0; i < max; i++) {
    if (r->p >= r->end)
      return 0;
    uint8_t b = *r->p++;
    x |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *v = x;
      return 1;
    }
  }
  return 0;
}

static int get_varint(struct reader *r, uint64_t *v) {
  return get_varint_max(r, v, 10);
}

static int get_fixed(struct reader *r, size_t n, uint64_t *v) {
  if ((size_t)(r->end - r->p) < n)
    return 0;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++)
    x |= (uint64_t)r->p[i] << (8 * i);
  r->p += n;
  *v = x;
  return 1;
}

/* A length-delimited body: *body is its bytes. */
static int get_delimited(struct reader *r, struct reader *body) {
  uint64_t n;
  if (!get_varint(r, &n) || n > (uint64_t)(r->end - r->p))
    return 0;
  body->p = r->p;
  body->end = r->p + n;
  r->p += n;
  return 1;
}

/* Skip an unknown field's value of wire type wt. */
static int skip_value(struct reader *r, unsigned wt) {
  uint64_t v;
  struct reader body;
  switch (wt) {
  case 0:
    return get_varint(r, &v);
  case 1:
    return get_fixed(r, 8, &v);
  case 2:
    return get_delimited(r, &body);
  case 5:
    return get_fixed(r, 4, &v);
  default: /* groups (3, 4) and the invalid 6, 7 */
    return 0;
  }
}

/* Whether field id occurs at the top level of encoded message r. */
static int occurs(struct reader r, uint32_t id) {
  while (r.p < r.end) {
    uint64_t key;
    if (!get_varint(&r, &key))
      return 0;
    if ((uint32_t)(key >> 3) == id)
      return 1;
    if (!skip_value(&r, (unsigned)(key & 7)))
      return 0;
  }
  return 0;
}

struct ctx {
  ProtobufCAllocator *a;
  unsigned depth;
};

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d,
                                     struct ctx *c) {
  ProtobufCMessage *m = mem_alloc(c->a, d->sizeof_message);
  if (m)
    d->message_init(m);
  return m;
}

static int decode_into(ProtobufCMessage *m, struct reader *r, struct ctx *c);

/* Decode one value of type t (not packed) from r into v, which holds a
** previous value or the default. */
static int decode_value(const ProtobufCFieldDescriptor *f, unsigned wt,
                        struct reader *r, void *v, struct ctx *c) {
  uint64_t x;
  uint32_t u32;
  struct reader body;
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_ENUM:
  case PROTOBUF_C_TYPE_UINT32:
    if (!get_varint(r, &x))
      return 0;
    u32 = (uint32_t)x;
    memcpy(v, &u32, 4);
    return 1;
  case PROTOBUF_C_TYPE_SINT32:
    if (!get_varint(r, &x))
      return 0;
    u32 = (uint32_t)x;
    u32 = (u32 >> 1) ^ (uint32_t)-(u32 & 1);
    memcpy(v, &u32, 4);
    return 1;
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_FLOAT:
    if (!get_fixed(r, 4, &x))
      return 0;
    u32 = (uint32_t)x;
    memcpy(v, &u32, 4);
    return 1;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_UINT64:
    if (!get_varint(r, &x))
      return 0;
    memcpy(v, &x, 8);
    return 1;
  case PROTOBUF_C_TYPE_SINT64:
    if (!get_varint(r, &x))
      return 0;
    x = (x >> 1) ^ (uint64_t)-(x & 1);
    memcpy(v, &x, 8);
    return 1;
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_DOUBLE:
    if (!get_fixed(r, 8, &x))
      return 0;
    memcpy(v, &x, 8);
    return 1;
  case PROTOBUF_C_TYPE_BOOL: {
    const uint8_t *start = r->p;
    if (!skip_value(r, wt))
      return 0;
    int any = 0;
    for (const uint8_t *p = start; p < r->p; p++)
      any |= *p != 0;
    *(protobuf_c_boolean *)v = any;
    return 1;
  }
  case PROTOBUF_C_TYPE_STRING: {
    if (!get_delimited(r, &body))
      return 0;
    size_t n = (size_t)(body.end - body.p);
    char *s = mem_alloc(c->a, n + 1);
    if (!s)
      return 0;
    memcpy(s, body.p, n);
    s[n] = '\0';
    free_value(f, v, c->a);
    *(char **)v = s;
    return 1;
  }
  case PROTOBUF_C_TYPE_BYTES: {
    if (!get_delimited(r, &body))
      return 0;
    size_t n = (size_t)(body.end - body.p);
    uint8_t *d = NULL;
    if (n) {
      d = mem_alloc(c->a, n);
      if (!d)
        return 0;
      memcpy(d, body.p, n);
    }
    free_value(f, v, c->a);
    ((ProtobufCBinaryData *)v)->data = d;
    ((ProtobufCBinaryData *)v)->len = n;
    return 1;
  }
  case PROTOBUF_C_TYPE_MESSAGE: {
    if (!get_delimited(r, &body))
      return 0;
    ProtobufCMessage **pm = v;
    if (!*pm || (const void *)*pm == f->default_value) {
      *pm = new_message(f->descriptor, c);
      if (!*pm)
        return 0;
    } /* else: a second occurrence merges into the first */
    return decode_into(*pm, &body, c);
  }
  }
  return 0;
}

/* Grow repeated field f of m by `more` zeroed slots; returns the first. */
static void *grow_repeated(ProtobufCMessage *m,
                           const ProtobufCFieldDescriptor *f, size_t more,
                           struct ctx *c) {
  size_t *n = member(m, f->quantifier_offset);
  char **arr = member(m, f->offset);
  size_t step = value_size(f->type);
  if (more > (SIZE_MAX / step) - *n)
    return NULL;
  char *bigger = mem_alloc(c->a, (*n + more) * step);
  if (!bigger)
    return NULL;
  if (*n)
    memcpy(bigger, *arr, *n * step);
  memset(bigger + *n * step, 0, more * step);
  mem_free(c->a, *arr);
  *arr = bigger;
  *n += more;
  return bigger + (*n - more) * step;
}

static int decode_repeated(ProtobufCMessage *m,
                           const ProtobufCFieldDescriptor *f, unsigned wt,
                           struct reader *r, struct ctx *c) {
  unsigned want = wire_type(f->type);
  if (wt == 2 && want != 2) { /* packed scalars */
    struct reader body, scan;
    if (!get_delimited(r, &body))
      return 0;
    size_t count = 0;
    uint64_t x;
    scan = body;
    while (scan.p < scan.end) {
      int ok = want == 0   ? get_varint(&scan, &x)
               : want == 1 ? get_fixed(&scan, 8, &x)
                           : get_fixed(&scan, 4, &x);
      if (!ok)
        return 0;
      count++;
    }
    if (count == 0)
      return 1;
    char *slot = grow_repeated(m, f, count, c);
    if (!slot)
      return 0;
    for (size_t i = 0; i < count; i++)
      if (!decode_value(f, want, &body, slot + i * value_size(f->type), c))
        return 0;
    return 1;
  }
  if (wt != want)
    return 0;
  void *slot = grow_repeated(m, f, 1, c);
  if (!slot)
    return 0;
  if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
    /* a fresh element, never merged */
    struct reader body;
    if (!get_delimited(r, &body))
      return 0;
    ProtobufCMessage *sub = new_message(f->descriptor, c);
    if (!sub)
      return 0;
    *(ProtobufCMessage **)slot = sub;
    return decode_into(sub, &body, c);
  }
  return decode_value(f, wt, r, slot, c);
}

/* Parse r's fields into m (already initialised, maybe partly filled). */
static int decode_into(ProtobufCMessage *m, struct reader *r, struct ctx *c) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  const struct reader whole = *r;
  if (++c->depth > PBMINI_MAX_DEPTH)
    return 0;
  while (r->p < r->end) {
    /* A key is at most 5 bytes; bits past 32 are dropped (as protobuf-c
    ** does, so both accept the same input). */
    const uint8_t *key_start = r->p;
    uint64_t key;
    if (!get_varint_max(r, &key, 5))
      return 0;
    uint32_t id = (uint32_t)(key >> 3);
    unsigned wt = (unsigned)(key & 7);
    /* Field number 0 is invalid; protobuf-c refuses it only in a one-byte
    ** key and skips a longer one as unknown: the same here. */
    if (id == 0 && r->p - key_start == 1)
      return 0;
    const ProtobufCFieldDescriptor *f = pbmini_get_field(d, id);
    if (!f) {
      if (!skip_value(r, wt))
        return 0;
      continue;
    }
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      if (!decode_repeated(m, f, wt, r, c))
        return 0;
      continue;
    }
    /* A bool is accepted in any wire type and is true when any byte of
    ** its value is non-zero: protobuf-c's rule, kept so that the two
    ** runtimes agree on every input. */
    if (wt != wire_type(f->type) && f->type != PROTOBUF_C_TYPE_BOOL)
      return 0;
    void *v = member(m, f->offset);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      uint32_t *which = member(m, f->quantifier_offset);
      if (*which != 0 && *which != id) { /* another member was set */
        const ProtobufCFieldDescriptor *old = pbmini_get_field(d, *which);
        if (old)
          free_value(old, member(m, old->offset), c->a);
        memset(v, 0, value_size(f->type));
      }
      *which = id;
    } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
               f->type != PROTOBUF_C_TYPE_STRING &&
               f->type != PROTOBUF_C_TYPE_MESSAGE) {
      *(protobuf_c_boolean *)member(m, f->quantifier_offset) = 1;
    }
    if (!decode_value(f, wt, r, v, c))
      return 0;
  }
  /* Each occurrence of a message must hold its required fields by itself,
  ** also when it is merged into an earlier one. */
  for (unsigned i = 0; i < d->n_fields; i++)
    if (d->fields[i].label == PROTOBUF_C_LABEL_REQUIRED &&
        !occurs(whole, d->fields[i].id))
      return 0;
  c->depth--;
  return 1;
}

ProtobufCMessage *pbmini_unpack(const ProtobufCMessageDescriptor *desc,
                                ProtobufCAllocator *allocator, size_t len,
                                const uint8_t *data) {
  struct ctx c = {allocator ? allocator : &sys_allocator, 0};
  struct reader r = {data, data + len};
  ProtobufCMessage *m = new_message(desc, &c);
  if (!m)
    return NULL;
  if (!decode_into(m, &r, &c)) {
    free_message(m, c.a);
    return NULL;
  }
  return m;
}
