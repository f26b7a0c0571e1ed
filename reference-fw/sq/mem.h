/*
** mem.h: every byte the interpreter uses, through the embedder's
** allocator, counted against vm->limit. Failure throws SQ_ERRMEM.
*/
#ifndef REFIMP_SQ_MEM_H
#define REFIMP_SQ_MEM_H

#include "sqobj.h"

/* Resizes block p from oldsize to newsize bytes (newsize 0 frees and
** returns NULL). Throws SQ_ERRMEM when the limit or the allocator says
** no; the old block is then untouched. */
void *sqmem_realloc(sq_vm *vm, void *p, size_t oldsize, size_t newsize);

/* Grows an array of elsize-byte elements so that it holds at least
** 'need'; *cap is updated. Throws on overflow or failure. */
void *sqmem_grow(sq_vm *vm, void *p, uint32_t *cap, uint32_t need,
                 size_t elsize);

#define sqmem_alloc(vm, n) sqmem_realloc((vm), NULL, 0, (n))
#define sqmem_free(vm, p, n) ((void)sqmem_realloc((vm), (p), (n), 0))

#endif
