/*
** gc.h: the mark & sweep collector. Roots are the value stack up to
** vm->top, the frames, the root and const tables, references, default
** delegates and the error value; cycles are reclaimed.
*/
#ifndef REFIMP_SQ_GC_H
#define REFIMP_SQ_GC_H

#include "sqobj.h"

/* Full collection. Only at safe points: every live value reachable. */
void sqgc_collect(sq_vm *vm);
/* Frees every object (sq_close). */
void sqgc_freeall(sq_vm *vm);

#endif
