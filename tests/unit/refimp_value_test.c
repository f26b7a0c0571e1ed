/*
** refimp_value_test.c: api/value.h: Squirrel values to impwire.Value and
** back (every kind, nesting, blobs), the depth limit of 32 both ways,
** values that cannot cross the wire (functions, instances, classes,
** strings with NUL), pack/unpack for nv.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/value.h"
#include "core/rf.h"

#include "cu_main.h"

static void *alloc(void *ud, void *p, size_t oldsize, size_t newsize) {
  (void)ud;
  (void)oldsize;
  if (newsize == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, newsize);
}

static sq_vm *vm_with(const char *expr) {
  sq_vm *vm = sq_open(alloc, NULL, 0);
  CU_ASSERT_FATAL(vm != NULL);
  CU_ASSERT_FATAL(sq_openlibs(vm) == SQ_OK);
  char src[4096];
  snprintf(src, sizeof src, "return (%s);", expr);
  CU_ASSERT_FATAL(sq_compile(vm, src, strlen(src), "t") == SQ_OK);
  sq_pushroot(vm);
  CU_ASSERT_FATAL(sq_call(vm, 1) == SQ_OK);
  return vm;
}

/* Convert the expression's value; NULL with why on refusal. */
static Impwire__Value *convert(const char *expr, char *why, size_t cap) {
  sq_vm *vm = vm_with(expr);
  Impwire__Value *v = value_from_sq(vm, -1, why, cap);
  sq_close(vm);
  return v;
}

static void scalars(void) {
  char why[200];
  Impwire__Value *v = convert("null", why, sizeof why);
  CU_ASSERT_FATAL(v != NULL);
  CU_ASSERT(v->kind_case == IMPWIRE__VALUE__KIND_IS_NULL && v->is_null);
  value_free(v);
  v = convert("-2147483647 - 1", why, sizeof why);
  CU_ASSERT(v->kind_case == IMPWIRE__VALUE__KIND_INTEGER &&
            v->integer == INT32_MIN);
  value_free(v);
  v = convert("1.5", why, sizeof why);
  CU_ASSERT(v->kind_case == IMPWIRE__VALUE__KIND_REAL && v->real == 1.5f);
  value_free(v);
  v = convert("true", why, sizeof why);
  CU_ASSERT(v->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN && v->boolean);
  value_free(v);
  v = convert("\"h\\xc3\\xa9\"", why, sizeof why);
  CU_ASSERT(v->kind_case == IMPWIRE__VALUE__KIND_STR &&
            strcmp(v->str, "h\xc3\xa9") == 0);
  value_free(v);
}

static void blob_array_table(void) {
  char why[200];
  Impwire__Value *v = convert(
      "(function(){ local b = blob(3); b.writen(0x41,'b'); b.writen(0,'b');"
      " b.writen(0xff,'b'); return {a=[1,[2,b]], b=\"x\"}; })()",
      why, sizeof why);
  CU_ASSERT_FATAL(v != NULL);
  CU_ASSERT_FATAL(v->kind_case == IMPWIRE__VALUE__KIND_TABLE);
  CU_ASSERT_EQUAL(v->table->n_slots, 2);
  const Impwire__Value *arr = NULL;
  for (size_t i = 0; i < v->table->n_slots; i++)
    if (strcmp(v->table->slots[i]->key->str, "a") == 0)
      arr = v->table->slots[i]->value;
  CU_ASSERT_FATAL(arr && arr->kind_case == IMPWIRE__VALUE__KIND_ARRAY);
  CU_ASSERT_EQUAL(arr->array->n_items, 2);
  const Impwire__Value *inner = arr->array->items[1];
  CU_ASSERT_FATAL(inner->kind_case == IMPWIRE__VALUE__KIND_ARRAY);
  const Impwire__Value *b = inner->array->items[1];
  CU_ASSERT_FATAL(b->kind_case == IMPWIRE__VALUE__KIND_BLOB);
  CU_ASSERT(b->blob.len == 3 && memcmp(b->blob.data, "A\0\xff", 3) == 0);
  CU_ASSERT_EQUAL(value_depth(v), 4);
  value_free(v);
}

/* A table -> Value -> packed -> Value -> Squirrel -> Value keeps all. */
static void round_trip(void) {
  char why[200];
  sq_vm *vm = vm_with("{n=1, f=2.25, s=\"str\", z=null, t=true,"
                      " l=[1,\"two\",[3]], k={[5]=\"five\"}}");
  Impwire__Value *v = value_from_sq(vm, -1, why, sizeof why);
  CU_ASSERT_FATAL(v != NULL);
  size_t n;
  uint8_t *packed = value_pack(v, &n);
  CU_ASSERT_FATAL(packed != NULL);
  Impwire__Value *u = value_unpack(packed, n);
  CU_ASSERT_FATAL(u != NULL);
  CU_ASSERT(value_push(vm, u, why, sizeof why) == SQ_OK);
  /* compare inside Squirrel: the pushed copy equals the original */
  const char *cmp =
      "return function(a, b) { foreach (k, v in a) { if (!(k in b)) "
      "return false; if (typeof v == \"array\" || typeof v == \"table\") {"
      " if (v.len() != b[k].len()) return false; } else if (v != b[k]) "
      "return false; } return a.l[2][0] == 3 && b.k[5] == \"five\"; };";
  CU_ASSERT_FATAL(sq_compile(vm, cmp, strlen(cmp), "cmp") == SQ_OK);
  sq_pushroot(vm);
  CU_ASSERT_FATAL(sq_call(vm, 1) == SQ_OK); /* the comparer */
  sq_pushroot(vm);
  sq_pushvalue(vm, 1);  /* original */
  sq_pushvalue(vm, 2);  /* copy */
  CU_ASSERT_FATAL(sq_call(vm, 3) == SQ_OK);
  CU_ASSERT(sq_truthy(vm, -1));
  value_free_unpacked(u);
  rf_free(packed);
  value_free(v);
  sq_close(vm);
}

/* 32 levels pass, 33 are refused with the depth named, both ways. */
static void depth_limit(void) {
  char expr[512] = "", why[200];
  for (int i = 0; i < 31; i++)
    strcat(expr, "[");
  strcat(expr, "1");
  for (int i = 0; i < 31; i++)
    strcat(expr, "]");
  Impwire__Value *v = convert(expr, why, sizeof why);
  CU_ASSERT_FATAL(v != NULL);
  CU_ASSERT_EQUAL(value_depth(v), 32);
  sq_vm *vm = sq_open(alloc, NULL, 0);
  CU_ASSERT(value_push(vm, v, why, sizeof why) == SQ_OK);
  /* wrap it once more: 33 levels may not be pushed */
  Impwire__Value outer = IMPWIRE__VALUE__INIT;
  Impwire__ValueArray arr = IMPWIRE__VALUE_ARRAY__INIT;
  Impwire__Value *items[1] = {v};
  arr.items = items;
  arr.n_items = 1;
  outer.kind_case = IMPWIRE__VALUE__KIND_ARRAY;
  outer.array = &arr;
  int top = sq_gettop(vm);
  CU_ASSERT(value_push(vm, &outer, why, sizeof why) == SQ_ERRRUN);
  CU_ASSERT(strstr(why, "32") != NULL);
  CU_ASSERT_EQUAL(sq_gettop(vm), top); /* nothing left behind */
  /* and packed bytes 33 deep are refused by value_unpack */
  size_t n;
  uint8_t *packed = value_pack(&outer, &n);
  CU_ASSERT(value_unpack(packed, n) == NULL);
  rf_free(packed);
  sq_close(vm);
  value_free(v);
  char deeper[512] = "[";
  for (int i = 0; i < 32; i++)
    strcat(deeper, "[");
  strcat(deeper, "1");
  for (int i = 0; i < 33; i++)
    strcat(deeper, "]");
  CU_ASSERT(convert(deeper, why, sizeof why) == NULL);
  CU_ASSERT(strstr(why, "deeper than 32") != NULL);
}

static void refused(void) {
  char why[200];
  CU_ASSERT(convert("{cb=function(){}}", why, sizeof why) == NULL);
  CU_ASSERT(strstr(why, "function") && strstr(why, "[\"cb\"]"));
  CU_ASSERT(convert("[1, (class {})()]", why, sizeof why) == NULL);
  CU_ASSERT(strstr(why, "instance") && strstr(why, "[1]"));
  CU_ASSERT(convert("class {}", why, sizeof why) == NULL);
  CU_ASSERT(strstr(why, "class") != NULL);
  CU_ASSERT(convert("\"a\\x0000b\"", why, sizeof why) == NULL);
  CU_ASSERT(strstr(why, "NUL") != NULL);
}

/* Malformed Values from the wire: no kind, null table key. */
static void malformed(void) {
  char why[200];
  sq_vm *vm = sq_open(alloc, NULL, 0);
  Impwire__Value none = IMPWIRE__VALUE__INIT;
  CU_ASSERT(value_push(vm, &none, why, sizeof why) == SQ_ERRRUN);
  CU_ASSERT(strstr(why, "no kind") != NULL);
  Impwire__Value key = IMPWIRE__VALUE__INIT, val = IMPWIRE__VALUE__INIT;
  key.kind_case = IMPWIRE__VALUE__KIND_IS_NULL;
  val.kind_case = IMPWIRE__VALUE__KIND_INTEGER;
  Impwire__ValueSlot slot = IMPWIRE__VALUE_SLOT__INIT;
  slot.key = &key;
  slot.value = &val;
  Impwire__ValueSlot *slots[1] = {&slot};
  Impwire__ValueTable t = IMPWIRE__VALUE_TABLE__INIT;
  t.slots = slots;
  t.n_slots = 1;
  Impwire__Value tv = IMPWIRE__VALUE__INIT;
  tv.kind_case = IMPWIRE__VALUE__KIND_TABLE;
  tv.table = &t;
  CU_ASSERT(value_push(vm, &tv, why, sizeof why) == SQ_ERRRUN);
  CU_ASSERT(strstr(why, "null") != NULL);
  CU_ASSERT_EQUAL(sq_gettop(vm), 0);
  CU_ASSERT(value_unpack((const uint8_t *)"\xff\xff", 2) == NULL);
  sq_close(vm);
}

static const struct cu_test value_tests[] = {
    {"scalars", scalars},
    {"blob, array and table", blob_array_table},
    {"round trip through pack/unpack", round_trip},
    {"depth limit 32 both ways", depth_limit},
    {"functions, instances, classes, NUL strings refused", refused},
    {"malformed wire values", malformed},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"value", value_tests}};

CU_MAIN(suites)
