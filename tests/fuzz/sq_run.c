/*
** sq_run.c: libFuzzer target for the Squirrel interpreter running any
** program (reference-fw/sq/), with the standard libraries, under an
** instruction budget and a memory limit as the firmware runs application
** code: it ends with a status, never a crash, a hang or a leak.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sq.h"

#define RUN_BUDGET 200000u       /* VM steps: loops and calls */
#define RUN_MEMLIMIT (4u << 20)  /* bytes, as a device's heap */

static void *alloc(void *ud, void *p, size_t oldsize, size_t newsize) {
  (void)ud, (void)oldsize;
  if (newsize == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, newsize);
}

static void drop_output(void *ud, int iserr, const char *s, size_t len) {
  (void)ud, (void)iserr, (void)s, (void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sq_vm *vm = sq_open(alloc, NULL, RUN_MEMLIMIT);
  if (!vm)
    abort();
  sq_setprint(vm, drop_output, NULL);
  if (sq_openlibs(vm) != SQ_OK)
    abort(); /* the libraries fit well within the limit */
  sq_setbudget(vm, RUN_BUDGET);
  int st = sq_dobuffer(vm, (const char *)data, size, "fuzz.nut");
  if (st < SQ_OK || st > SQ_ERRBUDGET)
    abort();
  if (st != SQ_OK && !sq_lasterror(vm)[0])
    abort(); /* every failure says what it was */
  if (sq_memused(vm) > RUN_MEMLIMIT + (64u << 10))
    abort(); /* the limit holds (a little slack for the failing step) */
  sq_close(vm);
  return 0;
}
