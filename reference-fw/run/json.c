/*
** json.c: a small strict JSON reader and writer for impwire.Value.
*/
#include "run/json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/value.h"
#include "core/rf.h"

struct reader {
  const char *s;
  size_t i;
  char *why;
  size_t cap;
  bool failed;
};

static void fail(struct reader *r, const char *msg) {
  if (!r->failed)
    snprintf(r->why, r->cap, "at byte %zu: %s", r->i, msg);
  r->failed = true;
}

static void skip_ws(struct reader *r) {
  while (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' ||
         r->s[r->i] == '\r')
    r->i++;
}

static Impwire__Value *new_value(struct reader *r) {
  Impwire__Value *v = rf_malloc(sizeof(*v));
  if (!v)
    fail(r, "out of memory");
  else
    impwire__value__init(v);
  return v;
}

/* Append a code point as UTF-8. */
static size_t put_utf8(char *o, uint32_t c) {
  if (c < 0x80) {
    o[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    o[0] = (char)(0xC0 | (c >> 6));
    o[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    o[0] = (char)(0xE0 | (c >> 12));
    o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (c >> 18));
  o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
  o[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

static bool hex4(struct reader *r, uint32_t *out) {
  uint32_t c = 0;
  for (int k = 0; k < 4; k++) {
    char h = r->s[r->i + (size_t)k];
    c <<= 4;
    if (h >= '0' && h <= '9') c |= (uint32_t)(h - '0');
    else if (h >= 'a' && h <= 'f') c |= (uint32_t)(h - 'a' + 10);
    else if (h >= 'A' && h <= 'F') c |= (uint32_t)(h - 'A' + 10);
    else {
      fail(r, "bad \\u escape");
      return false;
    }
  }
  r->i += 4;
  *out = c;
  return true;
}

/* A string at r->i (the opening quote); rf_malloc'd, NUL-terminated. */
static char *parse_string(struct reader *r) {
  size_t start = ++r->i, n = 0;
  while (r->s[start + n] && r->s[start + n] != '"')
    n += r->s[start + n] == '\\' && r->s[start + n + 1] ? 2 : 1;
  char *o = rf_malloc(n * 2 + 4); /* escapes never grow beyond this */
  size_t k = 0;
  if (!o) {
    fail(r, "out of memory");
    return NULL;
  }
  for (;;) {
    unsigned char c = (unsigned char)r->s[r->i];
    if (c == '"') {
      r->i++;
      o[k] = '\0';
      return o;
    }
    if (c == '\0' || c < 0x20) {
      fail(r, c ? "control character in a string" : "unterminated string");
      rf_free(o);
      return NULL;
    }
    r->i++;
    if (c != '\\') {
      o[k++] = (char)c;
      continue;
    }
    char e = r->s[r->i++];
    uint32_t u;
    switch (e) {
    case '"': o[k++] = '"'; break;
    case '\\': o[k++] = '\\'; break;
    case '/': o[k++] = '/'; break;
    case 'b': o[k++] = '\b'; break;
    case 'f': o[k++] = '\f'; break;
    case 'n': o[k++] = '\n'; break;
    case 'r': o[k++] = '\r'; break;
    case 't': o[k++] = '\t'; break;
    case 'u':
      if (!hex4(r, &u) || u == 0) {
        if (!r->failed)
          fail(r, "\\u0000 cannot be carried (use a blob)");
        rf_free(o);
        return NULL;
      }
      if (u >= 0xD800 && u < 0xDC00 && r->s[r->i] == '\\' &&
          r->s[r->i + 1] == 'u') {
        uint32_t lo;
        r->i += 2;
        if (!hex4(r, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
          if (!r->failed)
            fail(r, "bad surrogate pair");
          rf_free(o);
          return NULL;
        }
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      }
      k += put_utf8(o + k, u);
      break;
    default:
      r->i--;
      fail(r, "bad escape");
      rf_free(o);
      return NULL;
    }
  }
}

static Impwire__Value *parse_value(struct reader *r, int depth);

static Impwire__Value *parse_array(struct reader *r, int depth,
                                   Impwire__Value *v) {
  size_t cap = 0;
  v->kind_case = IMPWIRE__VALUE__KIND_ARRAY;
  if (!(v->array = rf_malloc(sizeof(*v->array)))) {
    fail(r, "out of memory");
    return v;
  }
  impwire__value_array__init(v->array);
  r->i++;
  skip_ws(r);
  if (r->s[r->i] == ']') {
    r->i++;
    return v;
  }
  for (;;) {
    Impwire__Value *item = parse_value(r, depth + 1);
    if (!item)
      return v;
    if (v->array->n_items == cap) {
      size_t nc = cap ? cap * 2 : 4;
      Impwire__Value **ni = rf_malloc(nc * sizeof(*ni));
      if (!ni) {
        value_free(item);
        fail(r, "out of memory");
        return v;
      }
      if (cap)
        memcpy(ni, v->array->items, cap * sizeof(*ni));
      rf_free(v->array->items);
      v->array->items = ni;
      cap = nc;
    }
    v->array->items[v->array->n_items++] = item;
    skip_ws(r);
    if (r->s[r->i] == ',') {
      r->i++;
      continue;
    }
    if (r->s[r->i] == ']') {
      r->i++;
      return v;
    }
    fail(r, "expected ',' or ']'");
    return v;
  }
}

static Impwire__Value *parse_object(struct reader *r, int depth,
                                    Impwire__Value *v) {
  size_t cap = 0;
  v->kind_case = IMPWIRE__VALUE__KIND_TABLE;
  if (!(v->table = rf_malloc(sizeof(*v->table)))) {
    fail(r, "out of memory");
    return v;
  }
  impwire__value_table__init(v->table);
  r->i++;
  skip_ws(r);
  if (r->s[r->i] == '}') {
    r->i++;
    return v;
  }
  for (;;) {
    skip_ws(r);
    if (r->s[r->i] != '"') {
      fail(r, "expected a string key");
      return v;
    }
    Impwire__ValueSlot *s = rf_malloc(sizeof(*s));
    if (!s) {
      fail(r, "out of memory");
      return v;
    }
    impwire__value_slot__init(s);
    if (v->table->n_slots == cap) {
      size_t nc = cap ? cap * 2 : 4;
      Impwire__ValueSlot **ns = rf_malloc(nc * sizeof(*ns));
      if (!ns) {
        rf_free(s);
        fail(r, "out of memory");
        return v;
      }
      if (cap)
        memcpy(ns, v->table->slots, cap * sizeof(*ns));
      rf_free(v->table->slots);
      v->table->slots = ns;
      cap = nc;
    }
    v->table->slots[v->table->n_slots++] = s;
    if (!(s->key = new_value(r)))
      return v;
    s->key->kind_case = IMPWIRE__VALUE__KIND_STR;
    if (!(s->key->str = parse_string(r)))
      return v;
    skip_ws(r);
    if (r->s[r->i] != ':') {
      fail(r, "expected ':'");
      return v;
    }
    r->i++;
    if (!(s->value = parse_value(r, depth + 1)))
      return v;
    skip_ws(r);
    if (r->s[r->i] == ',') {
      r->i++;
      continue;
    }
    if (r->s[r->i] == '}') {
      r->i++;
      return v;
    }
    fail(r, "expected ',' or '}'");
    return v;
  }
}

static void parse_number(struct reader *r, Impwire__Value *v) {
  const char *p = r->s + r->i;
  size_t n = strspn(p, "+-0123456789.eE");
  char buf[64];
  if (n == 0 || n >= sizeof buf) {
    fail(r, "bad number");
    return;
  }
  memcpy(buf, p, n);
  buf[n] = '\0';
  char *end;
  errno = 0;
  if (!strpbrk(buf, ".eE")) {
    long long x = strtoll(buf, &end, 10);
    if (*end == '\0' && errno == 0 && x >= INT32_MIN && x <= INT32_MAX) {
      v->kind_case = IMPWIRE__VALUE__KIND_INTEGER;
      v->integer = (int32_t)x;
      r->i += n;
      return;
    }
    if (*end == '\0') {
      fail(r, "integer out of the imp's 32-bit range");
      return;
    }
  }
  double d = strtod(buf, &end);
  if (*end != '\0' || !isfinite(d) || buf[0] == '+') {
    fail(r, "bad number");
    return;
  }
  v->kind_case = IMPWIRE__VALUE__KIND_REAL;
  v->real = (float)d;
  r->i += n;
}

static Impwire__Value *parse_value(struct reader *r, int depth) {
  skip_ws(r);
  if (depth > VALUE_MAX_DEPTH) {
    fail(r, "nested deeper than 32 levels");
    return NULL;
  }
  Impwire__Value *v = new_value(r);
  if (!v)
    return NULL;
  const char *p = r->s + r->i;
  if (*p == '{') {
    parse_object(r, depth, v);
  } else if (*p == '[') {
    parse_array(r, depth, v);
  } else if (*p == '"') {
    v->kind_case = IMPWIRE__VALUE__KIND_STR;
    v->str = parse_string(r);
  } else if (strncmp(p, "null", 4) == 0) {
    v->kind_case = IMPWIRE__VALUE__KIND_IS_NULL;
    v->is_null = true;
    r->i += 4;
  } else if (strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0) {
    v->kind_case = IMPWIRE__VALUE__KIND_BOOLEAN;
    v->boolean = *p == 't';
    r->i += *p == 't' ? 4 : 5;
  } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
    parse_number(r, v);
  } else {
    fail(r, *p ? "unexpected character" : "unexpected end of text");
  }
  if (r->failed) {
    value_free(v);
    return NULL;
  }
  return v;
}

Impwire__Value *json_parse(const char *text, char *why, size_t cap) {
  struct reader r = {text, 0, why, cap, false};
  Impwire__Value *v = parse_value(&r, 1);
  if (v) {
    skip_ws(&r);
    if (r.s[r.i]) {
      fail(&r, "text after the value");
      value_free(v);
      v = NULL;
    }
  }
  return v;
}

/* ---- writing ----------------------------------------------------------- */

void json_write_string(FILE *f, const char *s, size_t len) {
  fputc('"', f);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c == '\n')
      fputs("\\n", f);
    else if (c == '\t')
      fputs("\\t", f);
    else if (c == '\r')
      fputs("\\r", f);
    else if (c < 0x20 || c == 0x7f)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static void write_real(FILE *f, float x) {
  char buf[40];
  if (!isfinite(x)) {
    fputs("null", f);
    return;
  }
  snprintf(buf, sizeof buf, "%.7g", (double)x);
  if (!strpbrk(buf, ".eE"))
    strcat(buf, ".0");
  fputs(buf, f);
}

/* The i-th slot in key order (string keys by bytes, before other keys),
** so that output does not depend on the table's hash order. A selection
** by rank: tables in device messages are small. */
static const char *key_text(const Impwire__ValueSlot *s) {
  return s->key && s->key->kind_case == IMPWIRE__VALUE__KIND_STR &&
                 s->key->str
             ? s->key->str
             : NULL;
}

static int slot_cmp(const Impwire__ValueSlot *x, const Impwire__ValueSlot *y,
                    size_t ix, size_t iy) {
  const char *a = key_text(x), *b = key_text(y);
  int c = a && b ? strcmp(a, b) : a ? -1 : b ? 1 : 0;
  return c ? c : (ix < iy ? -1 : ix > iy);
}

static const Impwire__ValueSlot *sorted_slot(const Impwire__ValueTable *t,
                                             size_t rank) {
  for (size_t i = 0; i < t->n_slots; i++) {
    size_t below = 0;
    for (size_t j = 0; j < t->n_slots; j++)
      if (slot_cmp(t->slots[j], t->slots[i], j, i) < 0)
        below++;
    if (below == rank)
      return t->slots[i];
  }
  return t->slots[rank];
}

void json_write(FILE *f, const Impwire__Value *v) {
  if (!v) {
    fputs("null", f);
    return;
  }
  switch (v->kind_case) {
  case IMPWIRE__VALUE__KIND_IS_NULL: fputs("null", f); break;
  case IMPWIRE__VALUE__KIND_BOOLEAN:
    fputs(v->boolean ? "true" : "false", f);
    break;
  case IMPWIRE__VALUE__KIND_INTEGER: fprintf(f, "%d", (int)v->integer); break;
  case IMPWIRE__VALUE__KIND_REAL: write_real(f, v->real); break;
  case IMPWIRE__VALUE__KIND_STR:
    json_write_string(f, v->str ? v->str : "", v->str ? strlen(v->str) : 0);
    break;
  case IMPWIRE__VALUE__KIND_BLOB:
    fputs("{\"blob\":\"", f);
    for (size_t i = 0; i < v->blob.len; i++)
      fprintf(f, "%02x", v->blob.data[i]);
    fputs("\"}", f);
    break;
  case IMPWIRE__VALUE__KIND_ARRAY:
    fputc('[', f);
    for (size_t i = 0; v->array && i < v->array->n_items; i++) {
      if (i)
        fputc(',', f);
      json_write(f, v->array->items[i]);
    }
    fputc(']', f);
    break;
  case IMPWIRE__VALUE__KIND_TABLE:
    fputc('{', f);
    for (size_t i = 0; v->table && i < v->table->n_slots; i++) {
      const Impwire__ValueSlot *s = sorted_slot(v->table, i);
      if (i)
        fputc(',', f);
      if (s->key && s->key->kind_case == IMPWIRE__VALUE__KIND_STR) {
        json_write(f, s->key);
      } else {
        char *buf = NULL;
        size_t n = 0;
        FILE *m = open_memstream(&buf, &n);
        if (m) {
          json_write(m, s->key);
          fclose(m);
          json_write_string(f, buf, n);
          free(buf);
        }
      }
      fputc(':', f);
      json_write(f, s->value);
    }
    fputc('}', f);
    break;
  case IMPWIRE__VALUE__KIND__NOT_SET:
  default: fputs("null", f); break;
  }
}
