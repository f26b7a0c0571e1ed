/*
** sq.h: the public interface of refimp's Squirrel 3 interpreter (the imp
** dialect: Squirrel 3.0.4 with 32-bit integers and floats, math.*).
** Everything an embedder (api/, sqrun, the libraries) may use; see
** docs/squirrel.md for the dialect and the known gaps.
*/
#ifndef REFIMP_SQ_H
#define REFIMP_SQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sq_vm sq_vm;

/* Status codes: 0 is success; never renumbered. */
#define SQ_STATUS_LIST(X)                                         \
  X(SQ_OK,        "ok")                                           \
  X(SQ_ERRSYNTAX, "syntax error")                                 \
  X(SQ_ERRRUN,    "runtime error")                                \
  X(SQ_ERRMEM,    "out of memory (limit reached)")                \
  X(SQ_ERRBUDGET, "instruction budget exhausted")

enum sq_status {
#define X(code, text) code,
  SQ_STATUS_LIST(X)
#undef X
};

/* Text of a status code; never NULL ("unknown status" for others). */
const char *sq_status_text(int st);

/* Value types, as `typeof` names them (sq_typename). */
enum sq_type {
  SQ_TNULL, SQ_TBOOL, SQ_TINTEGER, SQ_TFLOAT, SQ_TSTRING, SQ_TTABLE,
  SQ_TARRAY, SQ_TCLOSURE, SQ_TNATIVE, SQ_TCLASS, SQ_TINSTANCE,
  SQ_TGENERATOR, SQ_TWEAKREF
};
/* "null", "bool", "integer", ... ("function" for both closure kinds). */
const char *sq_typename(enum sq_type t);

/* ---- the VM -------------------------------------------------------------
** Every byte the VM uses comes from 'alloc' (newsize 0 frees; must return
** NULL on failure) and is counted; beyond 'limit' bytes (0: no limit) the
** running operation fails with SQ_ERRMEM, which scripts cannot catch.
** Returns NULL if the VM itself cannot be allocated. sq_close frees all.
*/
typedef void *(*sq_alloc)(void *ud, void *ptr, size_t oldsize,
                          size_t newsize);
sq_vm *sq_open(sq_alloc alloc, void *ud, size_t limit);
void sq_close(sq_vm *vm);
size_t sq_memused(const sq_vm *vm);   /* bytes allocated now */
size_t sq_mempeak(const sq_vm *vm);   /* most bytes ever allocated */
void sq_setmemlimit(sq_vm *vm, size_t limit);
/* Runs a full collection (cycles included) now. */
void sq_collect(sq_vm *vm);

/* Instruction budget: after 'n' more VM steps (loop jumps and calls) the
** running code stops with SQ_ERRBUDGET (not catchable). 0: unlimited. */
void sq_setbudget(sq_vm *vm, uint64_t n);

/* Output hook for print() (iserr 0) and error() (iserr 1). Default:
** output is dropped. */
typedef void (*sq_printfn)(void *ud, int iserr, const char *s, size_t len);
void sq_setprint(sq_vm *vm, sq_printfn fn, void *ud);
void sq_print(sq_vm *vm, int iserr, const char *s, size_t len);

/* Registers the standard libraries: base (print, array, type...), the
** default delegates, string (format, split, strip...), math, blob.
** Returns SQ_OK or SQ_ERRMEM. */
int sq_openlibs(sq_vm *vm);
int sq_openbaselib(sq_vm *vm);
int sq_openstringlib(sq_vm *vm);
int sq_openmathlib(sq_vm *vm);
int sq_openbloblib(sq_vm *vm);

/* ---- compiling and running ----------------------------------------------
** sq_compile compiles 'len' bytes of source; on SQ_OK it pushes the main
** function. On SQ_ERRSYNTAX sq_lasterror() is "chunk:line:column: msg".
** sq_dobuffer compiles and calls it with the root table as `this`, then
** pops everything it pushed.
*/
int sq_compile(sq_vm *vm, const char *src, size_t len, const char *chunk);
int sq_dobuffer(sq_vm *vm, const char *src, size_t len, const char *chunk);

/* Message of the last error (owned by the VM, valid until the next
** call), and for runtime errors the call stack at the throw: one line per
** frame, "  at NAME (CHUNK:LINE)\n", innermost first. "" when none. */
const char *sq_lasterror(const sq_vm *vm);
const char *sq_traceback(const sq_vm *vm);
/* The last error's value (the thrown object) is pushed. */
void sq_pushlasterror(sq_vm *vm);

/* ---- the value stack ----------------------------------------------------
** Natives and embedders work on a stack. Positive indices count from the
** current native's base (1 is `this`, 2 the first argument), or from the
** bottom outside natives; negative ones from the top (-1 is the top).
** Functions returning int return SQ_OK or an error status; outside a
** running native they never longjmp.
*/
int sq_gettop(sq_vm *vm);
void sq_settop(sq_vm *vm, int idx);
void sq_pop(sq_vm *vm, int n);
void sq_remove(sq_vm *vm, int idx);
int sq_pushvalue(sq_vm *vm, int idx);
int sq_pushnull(sq_vm *vm);
int sq_pushbool(sq_vm *vm, bool b);
int sq_pushint(sq_vm *vm, int32_t i);
int sq_pushfloat(sq_vm *vm, float f);
/* len SIZE_MAX: strlen(s). The bytes are copied. */
int sq_pushstring(sq_vm *vm, const char *s, size_t len);
int sq_pushfstring(sq_vm *vm, const char *fmt, ...);
int sq_newtable(sq_vm *vm);
int sq_newarray(sq_vm *vm, int32_t n);   /* n nulls */
int sq_pushroot(sq_vm *vm);
int sq_pushconsts(sq_vm *vm);            /* compile-time const table */

enum sq_type sq_gettype(sq_vm *vm, int idx);
bool sq_isnumber(sq_vm *vm, int idx);
bool sq_truthy(sq_vm *vm, int idx);      /* Squirrel truthiness */
int32_t sq_toint(sq_vm *vm, int idx);    /* int, float (truncated), bool */
float sq_tofloat(sq_vm *vm, int idx);
/* The bytes of a string (NUL-terminated too); NULL if not a string. The
** pointer lives while the value is on the stack. */
const char *sq_tostr(sq_vm *vm, int idx, size_t *len);
/* Pushes tostring(value), calling _tostring on instances. */
int sq_tostring(sq_vm *vm, int idx);

/* Argument checks for natives: on a wrong type they set the error
** "parameter N has an invalid type 'T' ; expected: 'E'" and return -1. */
int sq_checkint(sq_vm *vm, int idx, int32_t *out);    /* int or float */
int sq_checkfloat(sq_vm *vm, int idx, float *out);    /* int or float */
int sq_checkstr(sq_vm *vm, int idx, const char **s, size_t *len);
int sq_checktype(sq_vm *vm, int idx, enum sq_type t);

/* ---- tables, arrays, classes, instances ---------------------------------
** The key (and value) are on top of the stack; 'idx' names the container.
** sq_get replaces the key by the value (metamethods and delegates apply);
** sq_rawget ignores them. On a missing key they pop the key and return
** SQ_ERRRUN with the error set. sq_set/sq_newslot pop key and value.
*/
int sq_get(sq_vm *vm, int idx);
int sq_rawget(sq_vm *vm, int idx);
int sq_set(sq_vm *vm, int idx);
int sq_newslot(sq_vm *vm, int idx);
int sq_rawset(sq_vm *vm, int idx);
/* Pops the key; pushes the removed value (null if absent). */
int sq_rawdelete(sq_vm *vm, int idx);
/* Pops the key; true if present (no metamethods). */
bool sq_rawin(sq_vm *vm, int idx);
int sq_arrayappend(sq_vm *vm, int idx);              /* pops the value */
int sq_arrayget(sq_vm *vm, int idx, int32_t i);      /* pushes a[i] */
int sq_arrayset(sq_vm *vm, int idx, int32_t i);      /* pops into a[i] */
int sq_arrayresize(sq_vm *vm, int idx, int32_t n);   /* fills with null */
int sq_arrayinsert(sq_vm *vm, int idx, int32_t i);   /* pops the value */
int sq_arrayremove(sq_vm *vm, int idx, int32_t i);   /* pushes removed */
/* Length of a string, array or table; -1 for other types. */
int32_t sq_len(sq_vm *vm, int idx);
/* Iteration over a table, array, class or instance: start with it = 0;
** each call pushes key and value and returns the next iterator, or -1
** (nothing pushed) at the end. */
int sq_next(sq_vm *vm, int idx, int it);
int sq_clear(sq_vm *vm, int idx);
/* Table delegates: sq_setdelegate pops the delegate (table or null). */
int sq_setdelegate(sq_vm *vm, int idx);
int sq_getdelegate(sq_vm *vm, int idx);
/* The default delegate of a type (the table behind "x".len()): pops a
** table and installs it. */
int sq_settypedelegate(sq_vm *vm, enum sq_type t);
int sq_clone(sq_vm *vm, int idx);                    /* pushes the copy */
/* Compares two values as < and > do (metamethods too): *res <0, 0, >0. */
int sq_cmp(sq_vm *vm, int a, int b, int *res);
bool sq_rawequal(sq_vm *vm, int a, int b);

/* Classes for natives. sq_newclass pushes a new class (its base popped
** first when hasbase). Instances of a class with a type tag carry a user
** pointer; 'release' runs when such an instance is collected. */
typedef void (*sq_release)(sq_vm *vm, void *up);
int sq_newclass(sq_vm *vm, bool hasbase);
void sq_settypetag(sq_vm *vm, int idx, const void *tag);
void sq_setreleasehook(sq_vm *vm, int idx, sq_release fn);
/* Pushes a new instance of the class at idx without calling its
** constructor. */
int sq_createinstance(sq_vm *vm, int idx);
/* User pointer of an instance whose class (or a base) has type tag 'tag'
** (any tag if NULL); NULL otherwise. */
void *sq_getinstanceup(sq_vm *vm, int idx, const void *tag);
void sq_setinstanceup(sq_vm *vm, int idx, void *up);
bool sq_instanceof(sq_vm *vm, int inst, int cls);
/* Pushes the class of an instance / the base of a class (null if none). */
int sq_getclass(sq_vm *vm, int idx);
int sq_getbase(sq_vm *vm, int idx);

/* ---- functions ----------------------------------------------------------
** A native returns 1 when it pushed a result, 0 for null, or -1 after
** sq_error/sq_throw set an error. 'nparams' counts `this`: n > 0 exact,
** n < 0 at least -n, 0 unchecked. 'ud' is returned by sq_nativeud().
*/
typedef int (*sq_native)(sq_vm *vm);
int sq_newnative(sq_vm *vm, sq_native fn, const char *name, int nparams,
                 void *ud);
void *sq_nativeud(sq_vm *vm);
/* Pushes the function that called the running native (for callee()). */
int sq_pushcaller(sq_vm *vm);
/* Calls: below the top lie the function, `this`, then nargs-1 arguments.
** All are popped and the result pushed (null if none). Errors return
** SQ_ERRRUN (catchable inside natives by not propagating), SQ_ERRMEM or
** SQ_ERRBUDGET; then nothing is pushed. */
int sq_call(sq_vm *vm, int nargs);
/* Sets the error message (printf-style) and returns -1. */
int sq_error(sq_vm *vm, const char *fmt, ...);
/* Pops a value and makes it the error; returns -1. */
int sq_throw(sq_vm *vm);
/* Binds `this` of the closure at idx: pushes the bound copy (pops env). */
int sq_bindenv(sq_vm *vm, int idx);

/* References that keep a value alive for C (timers, handlers). */
int sq_ref(sq_vm *vm, int idx);         /* >= 0, or -1 out of memory */
int sq_pushref(sq_vm *vm, int ref);
void sq_unref(sq_vm *vm, int ref);

/* Weak references: pushes a weak reference to the value at idx (numbers,
** bools and null are pushed as they are). sq_weakderef pushes the target
** (null once it was collected). */
int sq_weakref(sq_vm *vm, int idx);
int sq_weakderef(sq_vm *vm, int idx);
/* "suspended", "running" or "dead" for a generator; NULL otherwise. */
const char *sq_genstatus(sq_vm *vm, int idx);

/* Library helper: registers natives into the table or class at idx.
** The list ends with a NULL name. */
struct sq_reg {
  const char *name;
  sq_native fn;
  int nparams;
};
int sq_register(sq_vm *vm, int idx, const struct sq_reg *list);

/* ---- memory for natives (counted against the limit) ---------------------
** Inside a native a failure jumps out with SQ_ERRMEM; outside, NULL. */
void *sq_realloc(sq_vm *vm, void *p, size_t oldsize, size_t newsize);

/* ---- blobs (libblob.c) --------------------------------------------------
** A blob is an instance of the class `blob`. sq_newblob pushes one holding
** a copy of 'len' bytes (data may be NULL: zeros). sq_getblob gives its
** bytes and length; returns -1 if the value is not a blob. */
int sq_newblob(sq_vm *vm, const void *data, size_t len);
int sq_getblob(sq_vm *vm, int idx, uint8_t **data, size_t *len);

#endif
