/*
** err.h: non-local error exits inside the interpreter. The only module
** that knows about setjmp/longjmp; everything else throws a status and
** every public entry point catches it with sqerr_protect.
*/
#ifndef REFIMP_SQ_ERR_H
#define REFIMP_SQ_ERR_H

#include "sqobj.h"

typedef void (*sqerr_fn)(sq_vm *vm, void *ud);

/* Runs fn(vm, ud); returns SQ_OK or the status it threw. After a fatal
** status (SQ_ERRMEM, SQ_ERRBUDGET) vm->fatal stays set until the
** outermost protection returns. */
int sqerr_protect(sq_vm *vm, sqerr_fn fn, void *ud);

/* Jumps to the innermost sqerr_protect with 'status'. SQ_ERRMEM and
** SQ_ERRBUDGET are fatal: they also set vm->fatal. */
_Noreturn void sqerr_throw(sq_vm *vm, int status);

#endif
