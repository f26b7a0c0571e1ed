/*
** sq_compile.c: libFuzzer target for the Squirrel lexer, parser and
** compiler (reference-fw/sq/lex.c, parse.c): any source compiles, or is
** refused with "chunk:line:column: message"; nothing is run.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sq.h"

static void *alloc(void *ud, void *p, size_t oldsize, size_t newsize) {
  (void)ud, (void)oldsize;
  if (newsize == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, newsize);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sq_vm *vm = sq_open(alloc, NULL, 16u << 20);
  if (!vm)
    abort();
  int st = sq_compile(vm, (const char *)data, size, "fuzz.nut");
  if (st == SQ_ERRSYNTAX) {
    if (strncmp(sq_lasterror(vm), "fuzz.nut:", 9) != 0)
      abort(); /* a syntax error names chunk:line:column */
  } else if (st == SQ_OK) {
    if (sq_gettype(vm, -1) != SQ_TCLOSURE)
      abort();
  } else if (st != SQ_ERRMEM) {
    abort();
  }
  sq_close(vm);
  return 0;
}
