/*
** capgen.c: writes an application-level capture (as ID.app.pcap) from a
** conversation described in text, for conversations refimp cannot record
** yet and for field bugs (docs/captures.md, "Synthesized captures").
** Messages are built from the protobuf-c descriptors of specs/ (wire.proto, jig.proto) by
** field name and framed by the harness's own encoder and appcap writer,
** so a synthesized file is byte for byte what the harness would record.
**
**   capgen IN.conv OUT.app.pcap
*/
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "frame.h"
#include "tls.h"
#include "wiremsg.h"

#define LINE_MAX_LEN 8192
#define START_US 1767225600000000LL /* 2026-01-01T00:00:00Z */
#define STEP_US 1000                /* between two lines, unless `wait` */

/* Everything a conversation allocates, freed at the end in one go. */
struct block {
  struct block *next;
  max_align_t align[];
};
static struct block *arena;

static void *alloc(size_t n) {
  struct block *b = calloc(1, sizeof *b + n + 1);
  if (!b) {
    fprintf(stderr, "capgen: out of memory\n");
    exit(1);
  }
  b->next = arena;
  arena = b;
  return b->align;
}

static void arena_free(void) {
  while (arena) {
    struct block *b = arena;
    arena = b->next;
    free(b);
  }
}

/* The text being parsed and where, for messages. */
struct src {
  const char *file;
  int line;
  const char *p;
  char err[256];
};

static bool fail(struct src *s, const char *fmt, const char *arg) {
  if (!*s->err) {
    char what[200];
    snprintf(what, sizeof what, fmt, arg);
    snprintf(s->err, sizeof s->err, "%s:%d: %s", s->file, s->line, what);
  }
  return false;
}

static void skip_space(struct src *s) {
  while (*s->p == ' ' || *s->p == '\t')
    s->p++;
}

/* A word of letters, digits, '_' and '.' into buf. */
static bool word(struct src *s, char *buf, size_t n) {
  skip_space(s);
  size_t l = 0;
  while (isalnum((unsigned char)*s->p) || *s->p == '_' || *s->p == '.' ||
         *s->p == '-') {
    if (l + 1 < n)
      buf[l++] = *s->p;
    s->p++;
  }
  buf[l] = '\0';
  return l > 0;
}

/* "..." with \" \\ \n \t \xHH escapes. */
static bool quoted(struct src *s, ProtobufCBinaryData *out) {
  skip_space(s);
  if (*s->p != '"')
    return fail(s, "expected a \"string\"%s", "");
  s->p++;
  uint8_t *buf = alloc(strlen(s->p) + 1);
  size_t l = 0;
  while (*s->p && *s->p != '"') {
    char c = *s->p++;
    if (c == '\\') {
      c = *s->p++;
      if (c == 'n')
        c = '\n';
      else if (c == 't')
        c = '\t';
      else if (c == 'x' && isxdigit((unsigned char)s->p[0]) &&
               isxdigit((unsigned char)s->p[1])) {
        char hex[3] = {s->p[0], s->p[1], 0};
        c = (char)strtol(hex, NULL, 16);
        s->p += 2;
      } else if (c != '"' && c != '\\')
        return fail(s, "unknown escape in a string%s", "");
    }
    buf[l++] = (uint8_t)c;
  }
  if (*s->p != '"')
    return fail(s, "string not closed%s", "");
  s->p++;
  out->data = buf;
  out->len = l;
  return true;
}

/* Bytes: "text", 0xHEX, sha256("text"), zeros(N). */
static bool bytes_value(struct src *s, ProtobufCBinaryData *out) {
  skip_space(s);
  if (*s->p == '"')
    return quoted(s, out);
  if (!strncmp(s->p, "0x", 2)) {
    s->p += 2;
    const char *h = s->p;
    while (isxdigit((unsigned char)*s->p))
      s->p++;
    size_t n = (size_t)(s->p - h);
    if (n % 2)
      return fail(s, "odd number of hex digits%s", "");
    out->data = alloc(n / 2 + 1);
    out->len = n / 2;
    for (size_t i = 0; i < n / 2; i++) {
      char hex[3] = {h[2 * i], h[2 * i + 1], 0};
      out->data[i] = (uint8_t)strtol(hex, NULL, 16);
    }
    return true;
  }
  if (!strncmp(s->p, "sha256(", 7)) {
    s->p += 6;
    s->p++;
    ProtobufCBinaryData text;
    if (!quoted(s, &text))
      return false;
    skip_space(s);
    if (*s->p++ != ')')
      return fail(s, "sha256(\"...\") not closed%s", "");
    out->data = alloc(32);
    out->len = 32;
    tls_sha256(text.data, text.len, out->data);
    return true;
  }
  if (!strncmp(s->p, "zeros(", 6)) {
    s->p += 6;
    char *end;
    long n = strtol(s->p, &end, 10);
    if (end == s->p || *end != ')' || n < 0 || n > 1 << 20)
      return fail(s, "zeros(N) wants N from 0 to 1048576%s", "");
    s->p = end + 1;
    out->data = alloc((size_t)n);
    out->len = (size_t)n;
    return true;
  }
  return fail(s, "expected bytes: \"text\", 0xHEX, sha256(\"text\") or "
              "zeros(N)%s", "");
}

static bool number(struct src *s, long long lo, unsigned long long hi,
                   unsigned long long *out, bool *neg) {
  skip_space(s);
  char *end;
  errno = 0;
  *neg = *s->p == '-';
  if (*neg) {
    long long v = strtoll(s->p, &end, 0);
    if (end == s->p || errno || v < lo)
      return fail(s, "number out of range%s", "");
    *out = (unsigned long long)v;
  } else {
    *out = strtoull(s->p, &end, 0);
    if (end == s->p || errno || *out > hi)
      return fail(s, "expected a number in range%s", "");
  }
  s->p = end;
  return true;
}

static Impwire__Value *value(struct src *s, int depth);

/* A Squirrel value: null, true, false, 12, 1.5, "str", blob:BYTES,
** [v, ...], {key: v, ...} (a key is a value too). */
static Impwire__Value *value(struct src *s, int depth) {
  Impwire__Value *v = alloc(sizeof *v);
  impwire__value__init(v);
  skip_space(s);
  if (depth > 32) {
    fail(s, "value nested deeper than 32%s", "");
    return NULL;
  }
  if (!strncmp(s->p, "blob:", 5)) {
    s->p += 5;
    if (!bytes_value(s, &v->blob))
      return NULL;
    v->kind_case = IMPWIRE__VALUE__KIND_BLOB;
  } else if (*s->p == '"') {
    ProtobufCBinaryData b;
    if (!quoted(s, &b))
      return NULL;
    v->kind_case = IMPWIRE__VALUE__KIND_STR;
    v->str = (char *)b.data;
  } else if (*s->p == '[' || *s->p == '{') {
    bool table = *s->p == '{';
    char close = table ? '}' : ']';
    s->p++;
    Impwire__Value **items = alloc(sizeof *items * 256);
    Impwire__ValueSlot **slots = alloc(sizeof *slots * 256);
    size_t n = 0;
    skip_space(s);
    while (*s->p != close) {
      if (n == 256) {
        fail(s, "more than 256 items in one value%s", "");
        return NULL;
      }
      Impwire__Value *a = value(s, depth + 1);
      if (!a)
        return NULL;
      if (table) {
        skip_space(s);
        if (*s->p++ != ':') {
          fail(s, "expected ':' after a table key%s", "");
          return NULL;
        }
        Impwire__ValueSlot *slot = alloc(sizeof *slot);
        impwire__value_slot__init(slot);
        slot->key = a;
        if (!(slot->value = value(s, depth + 1)))
          return NULL;
        slots[n++] = slot;
      } else {
        items[n++] = a;
      }
      skip_space(s);
      if (*s->p == ',')
        s->p++;
      else if (*s->p != close) {
        fail(s, "expected ',' or the end of the value%s", "");
        return NULL;
      }
      skip_space(s);
    }
    s->p++;
    if (table) {
      Impwire__ValueTable *t = alloc(sizeof *t);
      impwire__value_table__init(t);
      t->n_slots = n;
      t->slots = slots;
      v->kind_case = IMPWIRE__VALUE__KIND_TABLE;
      v->table = t;
    } else {
      Impwire__ValueArray *a = alloc(sizeof *a);
      impwire__value_array__init(a);
      a->n_items = n;
      a->items = items;
      v->kind_case = IMPWIRE__VALUE__KIND_ARRAY;
      v->array = a;
    }
  } else {
    char w[64];
    const char *start = s->p;
    if (!word(s, w, sizeof w)) {
      fail(s, "expected a value%s", "");
      return NULL;
    }
    if (!strcmp(w, "null")) {
      v->kind_case = IMPWIRE__VALUE__KIND_IS_NULL;
      v->is_null = 1;
    } else if (!strcmp(w, "true") || !strcmp(w, "false")) {
      v->kind_case = IMPWIRE__VALUE__KIND_BOOLEAN;
      v->boolean = w[0] == 't';
    } else if (strchr(w, '.')) {
      char *end;
      v->real = strtof(w, &end);
      if (*end) {
        fail(s, "'%s' is not a number", w);
        return NULL;
      }
      v->kind_case = IMPWIRE__VALUE__KIND_REAL;
    } else {
      char *end;
      long long n = strtoll(w, &end, 0);
      if (*end || n < INT32_MIN || n > INT32_MAX) {
        s->p = start;
        fail(s, "'%s' is not a 32-bit integer, string or value", w);
        return NULL;
      }
      v->kind_case = IMPWIRE__VALUE__KIND_INTEGER;
      v->integer = (int32_t)n;
    }
  }
  return v;
}

/* Bytes one element of a repeated field of type t takes. */
static size_t elem_size(ProtobufCType t) {
  switch (t) {
  case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_DOUBLE: return 8;
  default: return 4; /* bool (protobuf_c_boolean), 32-bit, enum, float */
  }
}

/* Parse one field value into the message at base. */
static bool set_field(struct src *s, void *base,
                      const ProtobufCFieldDescriptor *fd) {
  char *m = base;
  void *dst = m + fd->offset;
  size_t *count = fd->label == PROTOBUF_C_LABEL_REPEATED
                      ? (size_t *)(m + fd->quantifier_offset)
                      : NULL;
  if (count) {
    /* Repeated: grow the array by one (8 slots of any type). */
    void **arr = dst;
    size_t sz = elem_size(fd->type);
    char *grown = alloc(sz * (*count + 1));
    if (*count)
      memcpy(grown, *arr, sz * *count);
    *arr = grown;
    dst = grown + sz * *count;
    (*count)++;
  } else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->quantifier_offset &&
             fd->type != PROTOBUF_C_TYPE_STRING &&
             fd->type != PROTOBUF_C_TYPE_MESSAGE) {
    *(protobuf_c_boolean *)(m + fd->quantifier_offset) = 1;
  }
  unsigned long long u;
  bool neg;
  switch (fd->type) {
  case PROTOBUF_C_TYPE_STRING: {
    ProtobufCBinaryData b;
    if (!quoted(s, &b))
      return false;
    *(char **)dst = (char *)b.data;
    return true;
  }
  case PROTOBUF_C_TYPE_BYTES:
    return bytes_value(s, dst);
  case PROTOBUF_C_TYPE_BOOL: {
    char w[16];
    if (!word(s, w, sizeof w) || (strcmp(w, "true") && strcmp(w, "false")))
      return fail(s, "%s wants true or false", fd->name);
    *(protobuf_c_boolean *)dst = w[0] == 't';
    return true;
  }
  case PROTOBUF_C_TYPE_UINT32:
    if (!number(s, 0, UINT32_MAX, &u, &neg))
      return false;
    *(uint32_t *)dst = (uint32_t)u;
    return true;
  case PROTOBUF_C_TYPE_UINT64:
    if (!number(s, 0, UINT64_MAX, &u, &neg))
      return false;
    *(uint64_t *)dst = u;
    return true;
  case PROTOBUF_C_TYPE_ENUM: {
    char w[64];
    const char *save = s->p;
    const ProtobufCEnumDescriptor *ed = fd->descriptor;
    if (word(s, w, sizeof w) && !isdigit((unsigned char)w[0])) {
      const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, w);
      if (!ev)
        return fail(s, "unknown enum value '%s'", w);
      *(int *)dst = ev->value;
      return true;
    }
    s->p = save;
    if (!number(s, 0, INT32_MAX, &u, &neg))
      return false;
    *(int *)dst = (int)u;
    return true;
  }
  case PROTOBUF_C_TYPE_MESSAGE:
    if (fd->descriptor == &impwire__value__descriptor) {
      Impwire__Value *v = value(s, 1);
      *(Impwire__Value **)dst = v;
      return v != NULL;
    }
    return fail(s, "field %s cannot be written in a conversation", fd->name);
  default:
    return fail(s, "field %s has a type capgen does not write", fd->name);
  }
}

/* "Name field=value ..." into a new envelope of desc (wire or jig). */
static ProtobufCMessage *message(struct src *s,
                                 const ProtobufCMessageDescriptor *env_desc) {
  char name[64];
  if (!word(s, name, sizeof name)) {
    fail(s, "expected a message name%s", "");
    return NULL;
  }
  const ProtobufCFieldDescriptor *which = NULL;
  for (unsigned i = 0; i < env_desc->n_fields; i++) {
    const ProtobufCMessageDescriptor *md = env_desc->fields[i].descriptor;
    if (!strcmp(md->short_name, name))
      which = &env_desc->fields[i];
  }
  if (!which) {
    fail(s, "no message '%s' in this protocol", name);
    return NULL;
  }
  const ProtobufCMessageDescriptor *md = which->descriptor;
  ProtobufCMessage *inner = alloc(md->sizeof_message);
  protobuf_c_message_init(md, inner);
  for (;;) {
    skip_space(s);
    if (!*s->p || *s->p == '#' || *s->p == '\n')
      break;
    char field[64];
    if (!word(s, field, sizeof field) || *s->p != '=') {
      fail(s, "expected field=value%s", "");
      return NULL;
    }
    s->p++;
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(md, field);
    if (!fd) {
      fail(s, "%s has no field of that name", name);
      return NULL;
    }
    if (!set_field(s, inner, fd))
      return NULL;
  }
  for (unsigned i = 0; i < md->n_fields; i++) {
    const ProtobufCFieldDescriptor *fd = &md->fields[i];
    if (fd->label != PROTOBUF_C_LABEL_REQUIRED)
      continue;
    const char *p = (const char *)inner + fd->offset;
    if ((fd->type == PROTOBUF_C_TYPE_STRING ||
         fd->type == PROTOBUF_C_TYPE_MESSAGE) && !*(void *const *)p) {
      fail(s, "required field %s is missing", fd->name);
      return NULL;
    }
  }
  ProtobufCMessage *env = alloc(env_desc->sizeof_message);
  protobuf_c_message_init(env_desc, env);
  *(uint32_t *)((char *)env + which->quantifier_offset) = which->id;
  *(ProtobufCMessage **)((char *)env + which->offset) = inner;
  return env;
}

static bool send_msg(struct src *s, struct appcap *a, enum appcap_chan ch,
                     bool from_device) {
  ProtobufCMessage *env =
      message(s, ch == APPCAP_JIG ? &impjig__jig_envelope__descriptor
                                  : &impwire__envelope__descriptor);
  if (!env)
    return false;
  size_t n;
  uint8_t *f = wiremsg_frame(env, ch == APPCAP_JIG ? FRAME_JIG_MAX
                                                  : FRAME_WIRE_MAX, &n);
  if (!f)
    return fail(s, "message too large to frame%s", "");
  appcap_frame(a, ch, from_device, f, n);
  ic_free(f);
  return true;
}

/* One line of the conversation (docs/captures.md lists the forms). */
static bool line(struct src *s, struct appcap *a, long long *now) {
  char w[32], w2[32];
  skip_space(s);
  if (!*s->p || *s->p == '#' || *s->p == '\n')
    return true;
  if (!word(s, w, sizeof w))
    return fail(s, "expected a line kind%s", "");
  *now += STEP_US;
  if (!strcmp(w, "wait")) {
    char *end;
    double sec = strtod(s->p, &end);
    if (end == s->p || sec < 0 || sec > 86400)
      return fail(s, "wait wants seconds from 0 to 86400%s", "");
    s->p = end;
    *now += (long long)(sec * 1e6);
    return true;
  }
  appcap_set_time(a, *now);
  if (!strcmp(w, "D") || !strcmp(w, "C"))
    return send_msg(s, a, APPCAP_WIRE, w[0] == 'D');
  if (!strcmp(w, "jig")) {
    if (!word(s, w2, sizeof w2))
      return fail(s, "jig wants D, J or close%s", "");
    if (!strcmp(w2, "D") || !strcmp(w2, "J"))
      return send_msg(s, a, APPCAP_JIG, w2[0] == 'D');
    if (!strcmp(w2, "close") && word(s, w2, sizeof w2) &&
        (!strcmp(w2, "device") || !strcmp(w2, "jig"))) {
      appcap_end(a, APPCAP_JIG, w2[0] == 'd' ? APPCAP_BY_DEVICE
                                             : APPCAP_BY_HARNESS);
      return true;
    }
    return fail(s, "jig wants D MSG, J MSG, close device or close jig%s", "");
  }
  if (!strcmp(w, "session")) {
    unsigned long long port;
    bool neg;
    if (!number(s, 0, 65535, &port, &neg) ||
        (port != 31314 && port != 993 && port != 443))
      return fail(s, "session wants port 31314, 993 or 443%s", "");
    appcap_session(a, port == 993 ? 1 : port == 443 ? 2 : 0);
    return true;
  }
  if (!strcmp(w, "close")) {
    if (!word(s, w2, sizeof w2) ||
        (strcmp(w2, "device") && strcmp(w2, "cloud")))
      return fail(s, "close wants device or cloud%s", "");
    appcap_end(a, APPCAP_WIRE, w2[0] == 'd' ? APPCAP_BY_DEVICE
                                            : APPCAP_BY_HARNESS);
    return true;
  }
  if (!strcmp(w, "power")) {
    if (!word(s, w2, sizeof w2) || strcmp(w2, "cut"))
      return fail(s, "power wants cut%s", "");
    appcap_end(a, APPCAP_JIG, APPCAP_POWER_CUT);
    return true;
  }
  return fail(s, "unknown line kind '%s'", w);
}

int main(int argc, char **argv) {
  if (argc != 3 || argv[1][0] == '-') {
    fprintf(stderr, "usage: capgen IN.conv OUT.app.pcap\n"
                    "  writes the conversation IN.conv as an application-"
                    "level capture (docs/captures.md)\n");
    return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
  }
  FILE *in = fopen(argv[1], "r");
  if (!in) {
    fprintf(stderr, "capgen: %s: %s\n", argv[1], strerror(errno));
    return 2;
  }
  struct ic_diag d = {""};
  struct appcap *a = appcap_open(argv[2], &d);
  if (!a) {
    fprintf(stderr, "capgen: %s\n", d.msg);
    fclose(in);
    return 2;
  }
  static char buf[LINE_MAX_LEN];
  struct src s = {.file = argv[1]};
  long long now = START_US;
  bool ok = true;
  while (ok && fgets(buf, sizeof buf, in)) {
    s.line++;
    s.p = buf;
    if (!strchr(buf, '\n') && !feof(in))
      ok = fail(&s, "line longer than %s bytes", "8190");
    else
      ok = line(&s, a, &now);
    if (ok) {
      skip_space(&s);
      if (*s.p && *s.p != '\n' && *s.p != '#')
        ok = fail(&s, "unexpected text at the end: '%.40s'", s.p);
    }
  }
  fclose(in);
  appcap_close(a);
  arena_free();
  if (!ok) {
    fprintf(stderr, "capgen: %s\n", s.err);
    remove(argv[2]);
    return 1;
  }
  return 0;
}
