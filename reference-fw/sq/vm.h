/*
** vm.h: the bytecode (opcodes shared with the compiler) and the virtual
** machine: calls, the dispatch loop, metamethods, arithmetic and
** comparison. Errors leave through sqvm_errorf (SQ_ERRRUN).
*/
#ifndef REFIMP_SQ_VM_H
#define REFIMP_SQ_VM_H

#include "sqobj.h"

/* R[x] is register x of the frame, K[x] constant x, O[x] outer x. */
enum sqop {
  OP_LOADK,       /* a x    R[a] = K[x] */
  OP_LOADINT,     /* a x    R[a] = x */
  OP_LOADFLOAT,   /* a x    R[a] = float with bits x */
  OP_LOADNULL,    /* a b    R[a .. a+b-1] = null */
  OP_LOADBOOL,    /* a b    R[a] = b != 0 */
  OP_LOADROOT,    /* a      R[a] = root table */
  OP_MOVE,        /* a b    R[a] = R[b] */
  OP_GETOUTER,    /* a x    R[a] = O[x] */
  OP_SETOUTER,    /* a x    O[x] = R[a] */
  OP_GETVAR,      /* a x    R[a] = K[x] looked up in this, then root */
  OP_SETVAR,      /* a x    K[x] in this (or root) = R[a] */
  OP_GET,         /* a b c  R[a] = R[b][R[c]] */
  OP_GETK,        /* a b x  R[a] = R[b][K[x]] */
  OP_SET,         /* a b c  R[a][R[b]] = R[c] */
  OP_SETK,        /* a b x  R[a][K[x]] = R[b] */
  OP_NEWSLOT,     /* a b c  R[a][R[b]] <- R[c] */
  OP_NEWSLOTK,    /* a b x  R[a][K[x]] <- R[b] */
  OP_DELETE,      /* a b c  R[a] = delete R[b][R[c]] */
  OP_PREPCALL,    /* a b c  R[a] = R[b][R[c]]; R[a+1] = R[b] */
  OP_PREPCALLK,   /* a b x  R[a] = R[b][K[x]]; R[a+1] = R[b] */
  OP_CALL,        /* a b    R[a] = R[a](this R[a+1], args ...), b args */
  OP_RET,         /* a b    return b ? R[a] : null */
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,   /* a b c  R[a] = R[b] op R[c] */
  OP_BAND, OP_BOR, OP_BXOR, OP_SHL, OP_SHR, OP_USHR,
  OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_CMP3,
  OP_INC,         /* a b x  R[a] = R[b] + x */
  OP_NEG,         /* a b    R[a] = -R[b] */
  OP_NOT,         /* a b    R[a] = !R[b] */
  OP_BNOT,        /* a b    R[a] = ~R[b] */
  OP_JMP,         /* x      pc += x */
  OP_JZ,          /* a x    if !R[a] pc += x */
  OP_JNZ,         /* a x    if R[a] pc += x */
  OP_NEWTABLE,    /* a      R[a] = {} */
  OP_NEWARRAY,    /* a x    R[a] = [] with room for x */
  OP_APPEND,      /* a b    R[a].push(R[b]) */
  OP_CLOSURE,     /* a x    R[a] = closure of proto x, defaults R[a+1..] */
  OP_CLASS,       /* a b c  R[a] = class (extends R[b] if c) */
  OP_NEWMEMBER,   /* a b c x  class R[a]: R[b] = R[c], static if x */
  OP_GETBASE,     /* a      R[a] = base class of this method */
  OP_TYPEOF,      /* a b */
  OP_CLONE,       /* a b */
  OP_INSTANCEOF,  /* a b c  R[a] = R[b] instanceof R[c] */
  OP_IN,          /* a b c  R[a] = R[b] in R[c] */
  OP_FOREACH,     /* a x    next of R[a] (iter R[a+1]) into R[a+2], R[a+3]
                              or pc += x when done */
  OP_TRY,         /* a x    on error: R[a] = error, pc += x */
  OP_POPTRY,
  OP_THROW,       /* a */
  OP_CLOSE,       /* a      close outers from register a up */
  OP_YIELD,       /* a b    yield b ? R[a] : null */
  OP_RESUME,      /* a b    R[a] = resume R[b] */
  OP_NOP          /* keep last: emit() refuses anything above it */
};

/* Calls the value at stack[fidx] with nargs values (this + args) after it.
** The result replaces stack[fidx]; vm->top becomes fidx + 1. Throws. */
void sqvm_call(sq_vm *vm, uint32_t fidx, int nargs);

/* Raises a runtime error with a formatted message (records traceback). */
_Noreturn void sqvm_errorf(sq_vm *vm, const char *fmt, ...);
/* Raises 'v' as the error value. */
_Noreturn void sqvm_throw(sq_vm *vm, sqval v);
/* Records the current call stack as the error's traceback. */
void sqvm_settrace(sq_vm *vm);

/* Indexing with delegates and metamethods. tryget returns false when the
** key is missing; get throws "the index 'k' does not exist". */
bool sqvm_tryget(sq_vm *vm, sqval o, sqval k, sqval *out);
sqval sqvm_get(sq_vm *vm, sqval o, sqval k);
void sqvm_set(sq_vm *vm, sqval o, sqval k, sqval v);
void sqvm_newslot(sq_vm *vm, sqval o, sqval k, sqval v);
sqval sqvm_delete(sq_vm *vm, sqval o, sqval k);
bool sqvm_in(sq_vm *vm, sqval k, sqval o);

/* Comparison as < does: <0, 0, >0 (throws on incomparable values). */
int sqvm_compare(sq_vm *vm, sqval a, sqval b);
/* tostring with _tostring. */
struct sqstr *sqvm_tostring(sq_vm *vm, sqval v);
sqval sqvm_clone(sq_vm *vm, sqval v);
/* Grows the value stack to hold at least n slots (throws). */
void sqvm_reserve(sq_vm *vm, uint32_t n);
/* Pushes v (grows the stack). */
void sqvm_push(sq_vm *vm, sqval v);
/* Closes open outers at stack slots >= level. */
void sqvm_closeouters(sq_vm *vm, uint32_t level);
/* Safe point: collect if the allocation debt says so. */
void sqvm_gccheck(sq_vm *vm);

#endif
