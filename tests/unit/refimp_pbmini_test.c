/*
** refimp_pbmini_test.c: pbmini (reference-fw/pb, the bare-metal core's own
** protobuf codec) against Debian's libprotobuf-c on every message of
** specs/wire.proto and specs/jig.proto: random messages pack to the same
** bytes and decode to the same content; mutated input is accepted or refused
** exactly when libprotobuf-c does; malformed input, missing required fields,
** deep nesting and allocation failures are refused without leaks.
*/
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jig.pb-c.h"
#include "pb/pbmini.h"
#include "wire.pb-c.h"

#include "cu_main.h"

static const ProtobufCMessageDescriptor *const all_messages[] = {
    &impjig__hello__descriptor,         &impjig__blink_up__descriptor,
    &impjig__led__descriptor,           &impjig__boot_state__descriptor,
    &impjig__clock_set__descriptor,     &impjig__clock_advance__descriptor,
    &impjig__clock_done__descriptor,    &impjig__deep_sleep__descriptor,
    &impjig__app_state__descriptor,     &impjig__jig_envelope__descriptor,
    &impwire__value__descriptor,        &impwire__value_array__descriptor,
    &impwire__value_slot__descriptor,   &impwire__value_table__descriptor,
    &impwire__activation_request__descriptor,
    &impwire__activation_result__descriptor,
    &impwire__device_state__descriptor, &impwire__code_hash__descriptor,
    &impwire__cloud_answer__descriptor, &impwire__log__descriptor,
    &impwire__agent_message__descriptor, &impwire__ack__descriptor,
    &impwire__reload__descriptor,       &impwire__new_os__descriptor,
    &impwire__server_list__descriptor,  &impwire__restart__descriptor,
    &impwire__envelope__descriptor,
};
#define N_MESSAGES (sizeof(all_messages) / sizeof(all_messages[0]))

/* A small deterministic generator (xorshift), so failures reproduce. */
static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

/* ---- random messages, allocated with malloc so either library frees them */

static ProtobufCMessage *random_message(const ProtobufCMessageDescriptor *d,
                                        int depth);

static size_t slot_size(ProtobufCType t) {
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
    return sizeof(void *);
  default:
    return 4;
  }
}

/* Fill one value slot of field f with something random. */
static void random_value(const ProtobufCFieldDescriptor *f, void *v,
                         int depth) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_BOOL:
    *(protobuf_c_boolean *)v = rnd() & 1;
    break;
  case PROTOBUF_C_TYPE_ENUM: {
    const ProtobufCEnumDescriptor *e = f->descriptor;
    int32_t x = e->n_values ? e->values[rnd() % e->n_values].value : 0;
    memcpy(v, &x, 4);
    break;
  }
  case PROTOBUF_C_TYPE_STRING: {
    size_t n = rnd() % 12;
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
      s[i] = (char)('a' + rnd() % 26);
    s[n] = '\0';
    *(char **)v = s;
    break;
  }
  case PROTOBUF_C_TYPE_BYTES: {
    ProtobufCBinaryData *b = v;
    b->len = rnd() % 20;
    b->data = b->len ? malloc(b->len) : NULL;
    for (size_t i = 0; i < b->len; i++)
      b->data[i] = (uint8_t)rnd();
    break;
  }
  case PROTOBUF_C_TYPE_MESSAGE:
    *(ProtobufCMessage **)v = random_message(f->descriptor, depth + 1);
    break;
  default: { /* integers and floats: raw random bits, small ones often */
    uint64_t x = ((uint64_t)rnd() << 32) | rnd();
    if (rnd() & 1)
      x &= 0xff;
    if (f->type == PROTOBUF_C_TYPE_FLOAT || f->type == PROTOBUF_C_TYPE_DOUBLE)
      x &= ~(0x7ffull << 52); /* no NaN payload quirks */
    memcpy(v, &x, slot_size(f->type));
  }
  }
}

static ProtobufCMessage *random_message(const ProtobufCMessageDescriptor *d,
                                        int depth) {
  ProtobufCMessage *m = malloc(d->sizeof_message);
  d->message_init(m);
  uint32_t oneof_done[8] = {0}; /* quantifier offsets of oneofs already set */
  size_t n_oneof = 0;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    void *v = (char *)m + f->offset;
    bool deep = depth >= 4 && f->type == PROTOBUF_C_TYPE_MESSAGE;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = deep ? 0 : rnd() % 4;
      char *arr = n ? calloc(n, slot_size(f->type)) : NULL;
      for (size_t k = 0; k < n; k++)
        random_value(f, arr + k * slot_size(f->type), depth);
      *(size_t *)((char *)m + f->quantifier_offset) = n;
      *(char **)v = arr;
    } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      bool taken = false;
      for (size_t k = 0; k < n_oneof; k++)
        taken |= oneof_done[k] == f->quantifier_offset;
      if (taken || deep || rnd() % 3 == 0)
        continue;
      if (n_oneof < 8)
        oneof_done[n_oneof++] = f->quantifier_offset;
      *(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
      random_value(f, v, depth);
    } else if (f->label == PROTOBUF_C_LABEL_REQUIRED) {
      random_value(f, v, deep ? 99 : depth);
    } else if (!deep && rnd() % 2) {
      if (f->type != PROTOBUF_C_TYPE_STRING &&
          f->type != PROTOBUF_C_TYPE_MESSAGE)
        *(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
      random_value(f, v, depth);
    }
  }
  return m;
}

/* ---- helpers -------------------------------------------------------------- */

/* pbmini's encoding of m (malloc'd), its length in *n. */
static uint8_t *mini_bytes(const ProtobufCMessage *m, size_t *n) {
  *n = pbmini_get_packed_size(m);
  uint8_t *b = malloc(*n ? *n : 1);
  CU_ASSERT_EQUAL(pbmini_pack(m, b), *n);
  return b;
}

static bool same_encoding(const ProtobufCMessage *a,
                          const ProtobufCMessage *b) {
  size_t na, nb;
  uint8_t *ba = mini_bytes(a, &na), *bb = mini_bytes(b, &nb);
  bool same = na == nb && memcmp(ba, bb, na) == 0;
  free(ba);
  free(bb);
  return same;
}

/* A ProtobufCBuffer that collects what pack_to_buffer appends. */
struct collect {
  ProtobufCBuffer base;
  uint8_t data[1 << 16];
  size_t len;
};
static void collect_append(ProtobufCBuffer *b, size_t n, const uint8_t *p) {
  struct collect *c = (struct collect *)b;
  if (c->len + n <= sizeof(c->data))
    memcpy(c->data + c->len, p, n);
  c->len += n;
}

/* ---- tests ---------------------------------------------------------------- */

/* Random messages of every type: the same bytes as libprotobuf-c, and
** decoding either library's bytes gives the same message back. */
static void test_pack_matches(void) {
  static struct collect col;
  col.base.append = collect_append;
  for (int round = 0; round < 300; round++) {
    for (size_t i = 0; i < N_MESSAGES; i++) {
      ProtobufCMessage *m = random_message(all_messages[i], 0);
      size_t n = protobuf_c_message_get_packed_size(m);
      uint8_t *lib = malloc(n ? n : 1), *mini = malloc(n ? n : 1);
      CU_ASSERT_EQUAL(protobuf_c_message_pack(m, lib), n);
      CU_ASSERT_EQUAL_FATAL(pbmini_get_packed_size(m), n);
      CU_ASSERT_EQUAL(pbmini_pack(m, mini), n);
      CU_ASSERT_EQUAL(memcmp(lib, mini, n), 0);
      col.len = 0;
      CU_ASSERT_EQUAL(pbmini_pack_to_buffer(m, &col.base), n);
      CU_ASSERT(col.len == n && memcmp(col.data, lib, n) == 0);

      ProtobufCMessage *back = pbmini_unpack(all_messages[i], NULL, n, lib);
      CU_ASSERT_PTR_NOT_NULL_FATAL(back);
      size_t n2 = protobuf_c_message_get_packed_size(back);
      uint8_t *again = malloc(n2 ? n2 : 1);
      protobuf_c_message_pack(back, again);
      CU_ASSERT(n2 == n && memcmp(again, lib, n) == 0);
      free(again);
      pbmini_free_unpacked(back, NULL);
      pbmini_free_unpacked(m, NULL); /* malloc'd: either library may free */
      free(lib);
      free(mini);
    }
  }
}

/* Mutated encodings: accepted by pbmini exactly when libprotobuf-c accepts
** them, with the same content. */
static void test_mutations_agree(void) {
  int accepted = 0, refused = 0;
  for (int round = 0; round < 200000; round++) {
    const ProtobufCMessageDescriptor *d = all_messages[rnd() % N_MESSAGES];
    ProtobufCMessage *m = random_message(d, 0);
    size_t n = protobuf_c_message_get_packed_size(m);
    size_t cap = n + 16;
    uint8_t *b = malloc(cap);
    protobuf_c_message_pack(m, b);
    pbmini_free_unpacked(m, NULL);
    int edits = 1 + rnd() % 3;
    for (int e = 0; e < edits; e++) {
      switch (rnd() % 4) {
      case 0: /* flip bits of one byte */
        if (n)
          b[rnd() % n] ^= (uint8_t)(1 + rnd() % 255);
        break;
      case 1: /* cut */
        n = n ? rnd() % n : 0;
        break;
      case 2: /* append random bytes */
        for (int k = rnd() % 4; k > 0 && n < cap; k--)
          b[n++] = (uint8_t)rnd();
        break;
      default: /* a random byte somewhere */
        if (n)
          b[rnd() % n] = (uint8_t)rnd();
      }
    }
    ProtobufCMessage *lib = protobuf_c_message_unpack(d, NULL, n, b);
    ProtobufCMessage *mini = pbmini_unpack(d, NULL, n, b);
    if ((lib == NULL) != (mini == NULL))
      fprintf(stderr, "disagree on a %s of %zu bytes: lib %s, pbmini %s\n",
              d->name, n, lib ? "accepts" : "refuses",
              mini ? "accepts" : "refuses");
    if ((lib == NULL) != (mini == NULL))
      for (size_t k = 0; k < n; k++)
        fprintf(stderr, "%02x%s", b[k], k + 1 == n ? "\n" : " ");
    CU_ASSERT_EQUAL(lib == NULL, mini == NULL);
    if (lib && mini) {
      CU_ASSERT(same_encoding(lib, mini));
      accepted++;
    } else {
      refused++;
    }
    protobuf_c_message_free_unpacked(lib, NULL);
    pbmini_free_unpacked(mini, NULL);
    free(b);
  }
  /* both outcomes must really have been exercised */
  CU_ASSERT(accepted > 1000);
  CU_ASSERT(refused > 1000);
}

static ProtobufCMessage *mini_unpack(const ProtobufCMessageDescriptor *d,
                                     const char *bytes, size_t n) {
  return pbmini_unpack(d, NULL, n, (const uint8_t *)bytes);
}

/* Hand-made malformed input, one reason each. */
static void test_malformed(void) {
  const ProtobufCMessageDescriptor *ack = &impwire__ack__descriptor;
  const ProtobufCMessageDescriptor *env = &impwire__envelope__descriptor;
  /* field number 0 */
  CU_ASSERT_PTR_NULL(mini_unpack(env, "\x00\x01", 2));
  /* a group (wire type 3) and the invalid wire type 7 */
  CU_ASSERT_PTR_NULL(mini_unpack(env, "\x7b\x01", 2));
  CU_ASSERT_PTR_NULL(mini_unpack(env, "\x7f\x01", 2));
  /* a varint that never ends */
  CU_ASSERT_PTR_NULL(
      mini_unpack(env, "\xf8\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12));
  /* a length beyond the data */
  CU_ASSERT_PTR_NULL(mini_unpack(env, "\xfa\x01\x05\x01", 4));
  /* unknown fields of every wire type are skipped */
  ProtobufCMessage *m = mini_unpack(
      env, "\xf8\x07\x01\xf9\x07\x01\x02\x03\x04\x05\x06\x07\x08"
           "\xfa\x07\x02\x01\x02\xfd\x07\x01\x02\x03\x04",
      24);
  CU_ASSERT_PTR_NOT_NULL(m);
  pbmini_free_unpacked(m, NULL);
  /* missing required fields: an Ack with no fields at all, if it has any */
  bool has_required = false;
  for (unsigned i = 0; i < ack->n_fields; i++)
    has_required |= ack->fields[i].label == PROTOBUF_C_LABEL_REQUIRED;
  ProtobufCMessage *empty_ack = mini_unpack(ack, "", 0);
  ProtobufCMessage *lib_ack = protobuf_c_message_unpack(ack, NULL, 0,
                                                        (const uint8_t *)"");
  CU_ASSERT_EQUAL(empty_ack == NULL, has_required);
  CU_ASSERT_EQUAL(lib_ack == NULL, has_required);
  pbmini_free_unpacked(empty_ack, NULL);
  protobuf_c_message_free_unpacked(lib_ack, NULL);
}

/* enc = (field id, length-delimited) wrapped around enc; returns enc. */
static uint8_t *wrap(uint8_t *enc, size_t *len, uint32_t id) {
  uint8_t *w = malloc(*len + 16);
  size_t k = 0;
  for (uint64_t x = (uint64_t)id << 3 | 2, pass = 0; pass < 2;
       pass++, x = *len) {
    while (x >= 0x80) {
      w[k++] = (uint8_t)(x | 0x80);
      x >>= 7;
    }
    w[k++] = (uint8_t)x;
  }
  memcpy(w + k, enc, *len);
  free(enc);
  *len += k;
  return w;
}

/* A Value holding `levels` arrays, each holding the next Value. */
static uint8_t *nested_value(int levels, size_t *len) {
  Impwire__Value leaf = IMPWIRE__VALUE__INIT;
  leaf.kind_case = IMPWIRE__VALUE__KIND_INTEGER;
  leaf.integer = -7;
  uint8_t *enc = mini_bytes(&leaf.base, len);
  for (int i = 0; i < levels; i++) {
    enc = wrap(enc, len, 1); /* ValueArray.items */
    enc = wrap(enc, len, 7); /* Value.array */
  }
  return enc;
}

/* Values nest through arrays: below PBMINI_MAX_DEPTH message levels both
** libraries agree; beyond it pbmini refuses instead of recursing on. */
static void test_depth_limit(void) {
  size_t n;
  uint8_t *ok = nested_value((PBMINI_MAX_DEPTH - 2) / 2, &n);
  ProtobufCMessage *lib =
      protobuf_c_message_unpack(&impwire__value__descriptor, NULL, n, ok);
  ProtobufCMessage *mini = pbmini_unpack(&impwire__value__descriptor, NULL, n, ok);
  CU_ASSERT_PTR_NOT_NULL(lib);
  CU_ASSERT_PTR_NOT_NULL(mini);
  if (lib && mini)
    CU_ASSERT(same_encoding(lib, mini));
  protobuf_c_message_free_unpacked(lib, NULL);
  pbmini_free_unpacked(mini, NULL);
  free(ok);
  uint8_t *deep = nested_value(PBMINI_MAX_DEPTH, &n);
  CU_ASSERT_PTR_NULL(pbmini_unpack(&impwire__value__descriptor, NULL, n, deep));
  free(deep);
}

/* An allocator that fails the k-th allocation and counts what is live. */
static int live, until_fail;
static void *fail_alloc(void *d, size_t n) {
  (void)d;
  if (until_fail-- == 0)
    return NULL;
  live++;
  return malloc(n);
}
static void fail_free(void *d, void *p) {
  (void)d;
  live--;
  free(p);
}

static void test_out_of_memory(void) {
  ProtobufCAllocator a = {fail_alloc, fail_free, NULL};
  int refused = 0;
  for (int round = 0; round < 200; round++) {
    const ProtobufCMessageDescriptor *d = all_messages[round % N_MESSAGES];
    ProtobufCMessage *m = random_message(d, 0);
    size_t n;
    uint8_t *b = mini_bytes(m, &n);
    pbmini_free_unpacked(m, NULL);
    for (int k = 0; k < 64; k++) {
      live = 0;
      until_fail = k;
      ProtobufCMessage *got = pbmini_unpack(d, &a, n, b);
      if (!got) {
        refused++;
        CU_ASSERT_EQUAL(live, 0); /* nothing leaked on the way out */
      } else {
        pbmini_free_unpacked(got, &a);
        CU_ASSERT_EQUAL(live, 0);
        break; /* enough memory from here on */
      }
    }
    free(b);
  }
  CU_ASSERT(refused > 200);
}

static void test_get_field(void) {
  const ProtobufCMessageDescriptor *d = &impwire__envelope__descriptor;
  for (unsigned i = 0; i < d->n_fields; i++)
    CU_ASSERT_PTR_EQUAL(pbmini_get_field(d, d->fields[i].id),
                        protobuf_c_message_descriptor_get_field(
                            d, d->fields[i].id));
  CU_ASSERT_PTR_NULL(pbmini_get_field(d, 0));
  CU_ASSERT_PTR_NULL(pbmini_get_field(d, 536870911));
}

static const struct cu_test pbmini_tests[] = {
    {"pack matches libprotobuf-c", test_pack_matches},
    {"mutated input: same verdict and content", test_mutations_agree},
    {"malformed input refused", test_malformed},
    {"nesting depth limited", test_depth_limit},
    {"allocation failures: refused, no leak", test_out_of_memory},
    {"get_field", test_get_field},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"pbmini", pbmini_tests}};

CU_MAIN(suites)
