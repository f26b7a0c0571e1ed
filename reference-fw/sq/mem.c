/*
** mem.c: the counted allocator. The byte count is what the imp's
** free-memory query reports and what drives the collector.
*/
#include "mem.h"

#include "err.h"

void *sqmem_realloc(sq_vm *vm, void *p, size_t oldsize, size_t newsize) {
  if (newsize == 0) {
    if (p) {
      vm->alloc(vm->allocud, p, oldsize, 0);
      vm->used -= oldsize;
    }
    return NULL;
  }
  if (newsize > oldsize && vm->limit &&
      vm->used - oldsize + newsize > vm->limit)
    sqerr_throw(vm, SQ_ERRMEM);
  void *q = vm->alloc(vm->allocud, p, p ? oldsize : 0, newsize);
  if (!q)
    sqerr_throw(vm, SQ_ERRMEM);
  vm->used = vm->used - (p ? oldsize : 0) + newsize;
  if (vm->used > vm->peak)
    vm->peak = vm->used;
  return q;
}

void *sqmem_grow(sq_vm *vm, void *p, uint32_t *cap, uint32_t need,
                 size_t elsize) {
  if (need <= *cap)
    return p;
  uint64_t n = *cap ? (uint64_t)*cap * 2 : 4;
  while (n < need)
    n *= 2;
  if (n > UINT32_MAX / 2 || n * elsize > (uint64_t)SIZE_MAX / 2)
    sqerr_throw(vm, SQ_ERRMEM);
  p = sqmem_realloc(vm, p, (size_t)*cap * elsize, (size_t)n * elsize);
  *cap = (uint32_t)n;
  return p;
}
