/*
** libblob.c: the imp's blob class.
*/
#include "sq.h"

int sq_openbloblib(sq_vm *vm) {
  (void)vm;
  return SQ_OK;
}

int sq_newblob(sq_vm *vm, const void *data, size_t len) {
  (void)vm; (void)data; (void)len;
  return SQ_ERRRUN;
}

int sq_getblob(sq_vm *vm, int idx, uint8_t **data, size_t *len) {
  (void)vm; (void)idx; (void)data; (void)len;
  return -1;
}
