/*
** str.c: interned strings. Equal byte strings are one object, so string
** equality and table lookup compare pointers. The collector unlinks dead
** strings through sqstr_unlink.
*/
#include "obj.h"

#include <string.h>

#include "err.h"
#include "mem.h"

/* Short strings hash every byte; long ones a sample of 32 or so (as Lua
** 5.1 does), so building long strings stays linear. */
#define SAMPLESTEP(len) ((len) <= 32 ? 1 : ((len) >> 5) + 1)

uint32_t sqstr_hash(const char *s, size_t len) {
  uint32_t h = 2166136261u ^ (uint32_t)len;
  size_t step = SAMPLESTEP(len);
  for (size_t i = len; i >= step && i > 0; i -= step)
    h = (h ^ (uint8_t)s[i - 1]) * 16777619u;
  return h;
}

void sqstr_init(sq_vm *vm) {
  vm->strtab = sqmem_alloc(vm, 64 * sizeof(struct sqstr *));
  memset(vm->strtab, 0, 64 * sizeof(struct sqstr *));
  vm->strmask = 63;
  vm->nstr = 0;
}

static void rehash(sq_vm *vm) {
  uint32_t nsize = (vm->strmask + 1) * 2;
  struct sqstr **nt = sqmem_alloc(vm, nsize * sizeof(*nt));
  memset(nt, 0, nsize * sizeof(*nt));
  for (uint32_t i = 0; i <= vm->strmask; i++) {
    struct sqstr *s = vm->strtab[i];
    while (s) {
      struct sqstr *next = s->hnext;
      uint32_t b = s->hash & (nsize - 1);
      s->hnext = nt[b];
      nt[b] = s;
      s = next;
    }
  }
  sqmem_free(vm, vm->strtab, (vm->strmask + 1) * sizeof(*nt));
  vm->strtab = nt;
  vm->strmask = nsize - 1;
}

struct sqstr *sqstr_new(sq_vm *vm, const char *s, size_t len) {
  uint32_t h = sqstr_hash(s, len);
  for (struct sqstr *p = vm->strtab[h & vm->strmask]; p; p = p->hnext)
    if (p->hash == h && p->len == len && memcmp(p->data, s, len) == 0)
      return p;
  if (len > 0x7fffffff)
    sqerr_throw(vm, SQ_ERRMEM);
  if (vm->nstr >= vm->strmask)
    rehash(vm);
  struct sqstr *n = sqobj_new(vm, SQ_TSTRING, sizeof(*n) + len + 1);
  n->hash = h;
  n->len = (uint32_t)len;
  memcpy(n->data, s, len);
  n->data[len] = 0;
  uint32_t b = h & vm->strmask;
  n->hnext = vm->strtab[b];
  vm->strtab[b] = n;
  vm->nstr++;
  return n;
}

struct sqstr *sqstr_newc(sq_vm *vm, const char *s) {
  return sqstr_new(vm, s, strlen(s));
}

void sqstr_unlink(sq_vm *vm, struct sqstr *s) {
  struct sqstr **pp = &vm->strtab[s->hash & vm->strmask];
  while (*pp && *pp != s)
    pp = &(*pp)->hnext;
  if (*pp) {
    *pp = s->hnext;
    vm->nstr--;
  }
}

struct sqstr *sqstr_concat(sq_vm *vm, const char *a, size_t an,
                           const char *b, size_t bn) {
  size_t len = an + bn;
  if (len < an || len > 0x7fffffff)
    sqerr_throw(vm, SQ_ERRMEM);
  uint32_t h = 2166136261u ^ (uint32_t)len;
  size_t step = SAMPLESTEP(len);
  for (size_t i = len; i >= step && i > 0; i -= step) {
    uint8_t c = (uint8_t)(i - 1 < an ? a[i - 1] : b[i - 1 - an]);
    h = (h ^ c) * 16777619u;
  }
  for (struct sqstr *p = vm->strtab[h & vm->strmask]; p; p = p->hnext)
    if (p->hash == h && p->len == len && memcmp(p->data, a, an) == 0 &&
        memcmp(p->data + an, b, bn) == 0)
      return p;
  if (vm->nstr >= vm->strmask)
    rehash(vm);
  struct sqstr *n = sqobj_new(vm, SQ_TSTRING, sizeof(*n) + len + 1);
  n->hash = h;
  n->len = (uint32_t)len;
  memcpy(n->data, a, an);
  memcpy(n->data + an, b, bn);
  n->data[len] = 0;
  uint32_t bk = h & vm->strmask;
  n->hnext = vm->strtab[bk];
  vm->strtab[bk] = n;
  vm->nstr++;
  return n;
}
