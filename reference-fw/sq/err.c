/*
** err.c: setjmp/longjmp for the interpreter (the one file that uses them).
** Protections nest through vm->errjmp; a fatal status passes through
** every level up to the outermost one, which clears it.
*/
#include "err.h"

#include <setjmp.h>

struct sqerr_jmp {
  struct sqerr_jmp *prev;
  jmp_buf buf;
  volatile int status;
};

int sqerr_protect(sq_vm *vm, sqerr_fn fn, void *ud) {
  struct sqerr_jmp j;
  j.prev = vm->errjmp;
  j.status = SQ_OK;
  vm->errjmp = &j;
  if (setjmp(j.buf) == 0)
    fn(vm, ud);
  vm->errjmp = j.prev;
  int st = j.status;
  if (vm->fatal) {
    st = vm->fatal;
    if (!j.prev)
      vm->fatal = 0;
  }
  return st;
}

_Noreturn void sqerr_throw(sq_vm *vm, int status) {
  if (status == SQ_ERRMEM || status == SQ_ERRBUDGET)
    vm->fatal = status;
  struct sqerr_jmp *j = vm->errjmp;
  if (!j)
    __builtin_trap();   /* an entry point forgot its protection */
  j->status = status;
  longjmp(j->buf, 1);
}
