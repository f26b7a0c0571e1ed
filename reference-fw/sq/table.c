/*
** table.c: Squirrel tables. Entries are kept in insertion order (so
** iteration is deterministic) with an open-addressed index of entry
** numbers; deleted entries stay as tombstones until the next rebuild.
*/
#include "obj.h"

#include <string.h>

#include "err.h"
#include "mem.h"

uint32_t sqtab_hash(sqval v) {
  uint32_t h;
  switch (v.t) {
  case SQ_TSTRING: return v.u.s->hash;
  case SQ_TINTEGER: h = (uint32_t)v.u.i; break;
  case SQ_TFLOAT: memcpy(&h, &v.u.f, 4); break;
  case SQ_TBOOL: h = v.u.b; break;
  default: h = (uint32_t)((uintptr_t)v.u.gc >> 3); break;
  }
  h ^= h >> 16;
  h *= 0x45d9f3bu;
  h ^= h >> 16;
  return h;
}

static bool keyeq(sqval a, sqval b) {
  if (a.t != b.t)
    return false;
  switch (a.t) {
  case SQ_TINTEGER: return a.u.i == b.u.i;
  case SQ_TFLOAT: return a.u.f == b.u.f;
  case SQ_TBOOL: return a.u.b == b.u.b;
  case SQ_TNULL: return false;
  default: return a.u.gc == b.u.gc;
  }
}

struct sqtable *sqtab_new(sq_vm *vm, uint32_t n) {
  struct sqtable *t = sqobj_new(vm, SQ_TTABLE, sizeof(*t));
  t->delegate = NULL;
  t->count = t->nent = t->cap = 0;
  t->hmask = 0;
  t->ent = NULL;
  t->idx = NULL;
  (void)n;
  return t;
}

static int32_t lookup(const struct sqtable *t, sqval key) {
  if (!t->cap)
    return -1;
  uint32_t h = sqtab_hash(key) & t->hmask;
  for (;;) {
    uint32_t e = t->idx[h];
    if (!e)
      return -1;
    if (keyeq(t->ent[e - 1].key, key))
      return (int32_t)(e - 1);
    h = (h + 1) & t->hmask;
  }
}

sqval *sqtab_find(const struct sqtable *t, sqval key) {
  int32_t i = lookup(t, key);
  return i < 0 ? NULL : &t->ent[i].val;
}

bool sqtab_get(const struct sqtable *t, sqval key, sqval *out) {
  int32_t i = lookup(t, key);
  if (i < 0)
    return false;
  *out = t->ent[i].val;
  return true;
}

static void insertidx(struct sqtable *t, uint32_t e) {
  uint32_t h = sqtab_hash(t->ent[e].key) & t->hmask;
  while (t->idx[h])
    h = (h + 1) & t->hmask;
  t->idx[h] = e + 1;
}

/* Rebuilds with room for at least one more entry, dropping tombstones. */
static void rebuild(sq_vm *vm, struct sqtable *t) {
  uint32_t ncap = t->cap ? t->cap : 4;
  while (t->count + 1 > ncap * 3 / 4 || ncap < 4)
    ncap *= 2;
  if (ncap > (1u << 27))
    sqerr_throw(vm, SQ_ERRMEM);
  /* entries and index in one block, so a failure leaks nothing */
  struct tent *ne = sqmem_alloc(vm, ncap * sizeof(*ne) +
                                    2 * ncap * sizeof(uint32_t));
  uint32_t *ni = (uint32_t *)(ne + ncap);
  memset(ni, 0, 2 * ncap * sizeof(*ni));
  uint32_t n = 0;
  for (uint32_t i = 0; i < t->nent; i++)
    if (t->ent[i].key.t != SQ_TNULL)
      ne[n++] = t->ent[i];
  sqtab_freeparts(vm, t);
  t->ent = ne;
  t->idx = ni;
  t->cap = ncap;
  t->hmask = 2 * ncap - 1;
  t->nent = n;
  t->count = n;
  for (uint32_t i = 0; i < n; i++)
    insertidx(t, i);
}

void sqtab_set(sq_vm *vm, struct sqtable *t, sqval key, sqval val) {
  int32_t i = lookup(t, key);
  if (i >= 0) {
    t->ent[i].val = val;
    return;
  }
  if (t->nent >= t->cap)
    rebuild(vm, t);
  uint32_t e = t->nent++;
  t->ent[e].key = key;
  t->ent[e].val = val;
  t->count++;
  insertidx(t, e);
}

bool sqtab_delete(struct sqtable *t, sqval key, sqval *out) {
  int32_t i = lookup(t, key);
  if (i < 0)
    return false;
  if (out)
    *out = t->ent[i].val;
  t->ent[i].key = V_NULL;
  t->ent[i].val = V_NULL;
  t->count--;
  return true;
}

int sqtab_next(const struct sqtable *t, int it, sqval *k, sqval *v) {
  for (uint32_t i = (uint32_t)it; i < t->nent; i++)
    if (t->ent[i].key.t != SQ_TNULL) {
      *k = t->ent[i].key;
      *v = t->ent[i].val;
      return (int)i + 1;
    }
  return -1;
}

void sqtab_freeparts(sq_vm *vm, struct sqtable *t) {
  if (t->cap)
    sqmem_free(vm, t->ent, t->cap * sizeof(struct tent) +
                           2 * t->cap * sizeof(uint32_t));
  t->ent = NULL;
  t->idx = NULL;
  t->cap = t->nent = t->count = 0;
  t->hmask = 0;
}

void sqtab_clear(sq_vm *vm, struct sqtable *t) {
  sqtab_freeparts(vm, t);
}
