/*
** value.c: Squirrel values <-> impwire.Value. Trees made here are built
** with rf_malloc and freed by value_free; trees that protobuf-c unpacked
** are freed by frame_free (value_free_unpacked).
*/
#include "api/value.h"

#include <stdio.h>
#include <string.h>

#include "core/frame.h"
#include "core/rf.h"

/* Where in the value we are, for messages: ["a"][3]... */
struct path {
  char text[160];
};

static void path_fmt(const struct path *p, char *why, size_t cap,
                     const char *msg) {
  if (p->text[0])
    snprintf(why, cap, "%s (at %s)", msg, p->text);
  else
    snprintf(why, cap, "%s", msg);
}

static Impwire__Value *new_value(void) {
  Impwire__Value *v = rf_malloc(sizeof(*v));
  if (v)
    impwire__value__init(v);
  return v;
}

void value_free(Impwire__Value *v) {
  if (!v)
    return;
  switch (v->kind_case) {
  case IMPWIRE__VALUE__KIND_STR: rf_free(v->str); break;
  case IMPWIRE__VALUE__KIND_BLOB: rf_free(v->blob.data); break;
  case IMPWIRE__VALUE__KIND_ARRAY:
    if (v->array) {
      for (size_t i = 0; i < v->array->n_items; i++)
        value_free(v->array->items[i]);
      rf_free(v->array->items);
      rf_free(v->array);
    }
    break;
  case IMPWIRE__VALUE__KIND_TABLE:
    if (v->table) {
      for (size_t i = 0; i < v->table->n_slots; i++) {
        Impwire__ValueSlot *s = v->table->slots[i];
        if (s) {
          value_free(s->key);
          value_free(s->value);
          rf_free(s);
        }
      }
      rf_free(v->table->slots);
      rf_free(v->table);
    }
    break;
  default: break;
  }
  rf_free(v);
}

static Impwire__Value *from_sq(sq_vm *vm, int idx, int depth,
                               struct path *p, char *why, size_t cap);

/* Append "[key]" to the path (as much as fits). */
static size_t path_push(sq_vm *vm, struct path *p, int keyidx) {
  size_t old = strlen(p->text);
  size_t room = sizeof(p->text) - old;
  size_t len;
  const char *s;
  if ((s = sq_tostr(vm, keyidx, &len)) != NULL)
    snprintf(p->text + old, room, "[\"%.40s\"]", s);
  else if (sq_gettype(vm, keyidx) == SQ_TINTEGER)
    snprintf(p->text + old, room, "[%d]", (int)sq_toint(vm, keyidx));
  else
    snprintf(p->text + old, room, "[%s]",
             sq_typename(sq_gettype(vm, keyidx)));
  return old;
}

static Impwire__Value *array_from_sq(sq_vm *vm, int idx, int depth,
                                     struct path *p, char *why, size_t cap,
                                     Impwire__Value *v) {
  int32_t n = sq_len(vm, idx);
  v->kind_case = IMPWIRE__VALUE__KIND_ARRAY;
  v->array = rf_malloc(sizeof(*v->array));
  if (!v->array)
    goto nomem;
  impwire__value_array__init(v->array);
  if (n > 0 && !(v->array->items = rf_malloc((size_t)n * sizeof(void *))))
    goto nomem;
  for (int32_t i = 0; i < n; i++) {
    if (sq_arrayget(vm, idx, i) != SQ_OK)
      goto nomem;
    sq_pushint(vm, i);
    size_t old = path_push(vm, p, -1);
    sq_pop(vm, 1);
    Impwire__Value *item = from_sq(vm, -1, depth + 1, p, why, cap);
    p->text[old] = '\0';
    sq_pop(vm, 1);
    if (!item) {
      value_free(v);
      return NULL;
    }
    v->array->items[v->array->n_items++] = item;
  }
  return v;
nomem:
  value_free(v);
  snprintf(why, cap, "out of memory");
  return NULL;
}

static Impwire__Value *table_from_sq(sq_vm *vm, int idx, int depth,
                                     struct path *p, char *why, size_t cap,
                                     Impwire__Value *v) {
  int32_t n = sq_len(vm, idx);
  v->kind_case = IMPWIRE__VALUE__KIND_TABLE;
  v->table = rf_malloc(sizeof(*v->table));
  if (!v->table)
    goto nomem;
  impwire__value_table__init(v->table);
  if (n > 0 && !(v->table->slots = rf_malloc((size_t)n * sizeof(void *))))
    goto nomem;
  for (int it = sq_next(vm, idx, 0); it >= 0; it = sq_next(vm, idx, it)) {
    /* key at -2, value at -1 */
    Impwire__ValueSlot *s = NULL;
    if ((int32_t)v->table->n_slots >= n ||
        !(s = rf_malloc(sizeof(*s)))) {
      sq_pop(vm, 2);
      goto nomem;
    }
    impwire__value_slot__init(s);
    v->table->slots[v->table->n_slots++] = s;
    size_t old = path_push(vm, p, -2);
    s->key = from_sq(vm, -2, depth + 1, p, why, cap);
    s->value = s->key ? from_sq(vm, -1, depth + 1, p, why, cap) : NULL;
    p->text[old] = '\0';
    sq_pop(vm, 2);
    if (!s->value) {
      value_free(v);
      return NULL;
    }
  }
  return v;
nomem:
  value_free(v);
  snprintf(why, cap, "out of memory");
  return NULL;
}

static Impwire__Value *from_sq(sq_vm *vm, int idx, int depth,
                               struct path *p, char *why, size_t cap) {
  if (idx < 0)
    idx = sq_gettop(vm) + idx + 1;
  if (depth > VALUE_MAX_DEPTH) {
    char msg[80];
    snprintf(msg, sizeof msg, "value nested deeper than %d levels",
             VALUE_MAX_DEPTH);
    path_fmt(p, why, cap, msg);
    return NULL;
  }
  Impwire__Value *v = new_value();
  if (!v) {
    snprintf(why, cap, "out of memory");
    return NULL;
  }
  enum sq_type t = sq_gettype(vm, idx);
  uint8_t *bytes;
  size_t len;
  switch (t) {
  case SQ_TNULL:
    v->kind_case = IMPWIRE__VALUE__KIND_IS_NULL;
    v->is_null = true;
    return v;
  case SQ_TBOOL:
    v->kind_case = IMPWIRE__VALUE__KIND_BOOLEAN;
    v->boolean = sq_truthy(vm, idx);
    return v;
  case SQ_TINTEGER:
    v->kind_case = IMPWIRE__VALUE__KIND_INTEGER;
    v->integer = sq_toint(vm, idx);
    return v;
  case SQ_TFLOAT:
    v->kind_case = IMPWIRE__VALUE__KIND_REAL;
    v->real = sq_tofloat(vm, idx);
    return v;
  case SQ_TSTRING: {
    const char *s = sq_tostr(vm, idx, &len);
    if (memchr(s, '\0', len)) {
      rf_free(v);
      path_fmt(p, why, cap,
               "a string with a NUL byte cannot be sent (use a blob)");
      return NULL;
    }
    v->kind_case = IMPWIRE__VALUE__KIND_STR;
    if (!(v->str = rf_malloc(len + 1))) {
      rf_free(v);
      snprintf(why, cap, "out of memory");
      return NULL;
    }
    memcpy(v->str, s, len + 1);
    return v;
  }
  case SQ_TARRAY:
    return array_from_sq(vm, idx, depth, p, why, cap, v);
  case SQ_TTABLE:
    return table_from_sq(vm, idx, depth, p, why, cap, v);
  case SQ_TINSTANCE:
    if (sq_getblob(vm, idx, &bytes, &len) == 0) {
      v->kind_case = IMPWIRE__VALUE__KIND_BLOB;
      v->blob.len = len;
      if (len && !(v->blob.data = rf_malloc(len))) {
        rf_free(v);
        snprintf(why, cap, "out of memory");
        return NULL;
      }
      if (len)
        memcpy(v->blob.data, bytes, len);
      return v;
    }
    break;
  case SQ_TCLOSURE: case SQ_TNATIVE: case SQ_TCLASS: case SQ_TGENERATOR:
  case SQ_TWEAKREF:
    break;
  }
  rf_free(v);
  char msg[80];
  snprintf(msg, sizeof msg, "cannot send a value of type %s",
           t == SQ_TINSTANCE ? "instance" : sq_typename(t));
  path_fmt(p, why, cap, msg);
  return NULL;
}

Impwire__Value *value_from_sq(sq_vm *vm, int idx, char *why, size_t cap) {
  struct path p = {""};
  if (idx < 0)
    idx = sq_gettop(vm) + idx + 1;
  return from_sq(vm, idx, 1, &p, why, cap);
}

static int push(sq_vm *vm, const Impwire__Value *v, int depth, char *why,
                size_t cap) {
  int st;
  if (!v) {
    snprintf(why, cap, "missing value");
    return SQ_ERRRUN;
  }
  if (depth > VALUE_MAX_DEPTH) {
    snprintf(why, cap, "value nested deeper than %d levels",
             VALUE_MAX_DEPTH);
    return SQ_ERRRUN;
  }
  switch (v->kind_case) {
  case IMPWIRE__VALUE__KIND_IS_NULL: return sq_pushnull(vm);
  case IMPWIRE__VALUE__KIND_BOOLEAN: return sq_pushbool(vm, v->boolean);
  case IMPWIRE__VALUE__KIND_INTEGER: return sq_pushint(vm, v->integer);
  case IMPWIRE__VALUE__KIND_REAL: return sq_pushfloat(vm, v->real);
  case IMPWIRE__VALUE__KIND_STR:
    return sq_pushstring(vm, v->str ? v->str : "", SIZE_MAX);
  case IMPWIRE__VALUE__KIND_BLOB:
    return sq_newblob(vm, v->blob.data, v->blob.len);
  case IMPWIRE__VALUE__KIND_ARRAY: {
    size_t n = v->array ? v->array->n_items : 0;
    if (n > INT32_MAX) {
      snprintf(why, cap, "array too long");
      return SQ_ERRRUN;
    }
    if ((st = sq_newarray(vm, (int32_t)n)) != SQ_OK)
      return st;
    for (size_t i = 0; i < n; i++) {
      if ((st = push(vm, v->array->items[i], depth + 1, why, cap)) != SQ_OK ||
          (st = sq_arrayset(vm, -2, (int32_t)i)) != SQ_OK) {
        sq_pop(vm, st == SQ_OK ? 1 : 1);
        return st;
      }
    }
    return SQ_OK;
  }
  case IMPWIRE__VALUE__KIND_TABLE: {
    if ((st = sq_newtable(vm)) != SQ_OK)
      return st;
    size_t n = v->table ? v->table->n_slots : 0;
    for (size_t i = 0; i < n; i++) {
      const Impwire__ValueSlot *s = v->table->slots[i];
      if (s && s->key && s->key->kind_case == IMPWIRE__VALUE__KIND_IS_NULL) {
        snprintf(why, cap, "a table key is null");
        sq_pop(vm, 1);
        return SQ_ERRRUN;
      }
      if ((st = push(vm, s ? s->key : NULL, depth + 1, why, cap)) != SQ_OK) {
        sq_pop(vm, 1);
        return st;
      }
      if ((st = push(vm, s->value, depth + 1, why, cap)) != SQ_OK) {
        sq_pop(vm, 2);
        return st;
      }
      if ((st = sq_newslot(vm, -3)) != SQ_OK) {
        snprintf(why, cap, "%s", sq_lasterror(vm));
        sq_pop(vm, 1);
        return st;
      }
    }
    return SQ_OK;
  }
  case IMPWIRE__VALUE__KIND__NOT_SET:
  default:
    snprintf(why, cap, "a Value with no kind set");
    return SQ_ERRRUN;
  }
}

int value_push(sq_vm *vm, const Impwire__Value *v, char *why, size_t cap) {
  int top = sq_gettop(vm);
  int st = push(vm, v, 1, why, cap);
  if (st != SQ_OK)
    sq_settop(vm, top);
  return st;
}

uint8_t *value_pack(const Impwire__Value *v, size_t *n) {
  size_t len = impwire__value__get_packed_size(v);
  uint8_t *buf = rf_malloc(len ? len : 1);
  if (!buf)
    return NULL;
  *n = impwire__value__pack(v, buf);
  return buf;
}

Impwire__Value *value_unpack(const uint8_t *p, size_t n) {
  ProtobufCMessage *m = NULL;
  struct rf_diag d;
  if (frame_decode(&impwire__value__descriptor, &impwire__value__descriptor,
                   p, n, 1, &m, &d) != RF_OK)
    return NULL;
  return (Impwire__Value *)m;
}

void value_free_unpacked(Impwire__Value *v) {
  frame_free(v ? &v->base : NULL);
}

int value_depth(const Impwire__Value *v) {
  int most = 0;
  if (!v)
    return 0;
  if (v->kind_case == IMPWIRE__VALUE__KIND_ARRAY && v->array)
    for (size_t i = 0; i < v->array->n_items; i++) {
      int d = value_depth(v->array->items[i]);
      most = d > most ? d : most;
    }
  if (v->kind_case == IMPWIRE__VALUE__KIND_TABLE && v->table)
    for (size_t i = 0; i < v->table->n_slots; i++) {
      int d = value_depth(v->table->slots[i]->key);
      int e = value_depth(v->table->slots[i]->value);
      most = d > most ? d : most;
      most = e > most ? e : most;
    }
  return most + 1;
}
