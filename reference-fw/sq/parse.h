/*
** parse.h: the single-pass compiler from Squirrel source to register
** bytecode (vm.h). Resolves locals, outers (closures) and compile-time
** constants (const, enum); never runs code.
*/
#ifndef REFIMP_SQ_PARSE_H
#define REFIMP_SQ_PARSE_H

#include "sqobj.h"

/* Compiles a chunk into the prototype of its main function (which takes
** `this` and varargs). Throws SQ_ERRSYNTAX with vm->errmsg set; the
** caller then runs sqparse_cleanup. */
struct sqproto *sqparse_compile(sq_vm *vm, const char *src, size_t len,
                                const char *chunk);
/* Frees the buffers of an interrupted compilation. */
void sqparse_cleanup(sq_vm *vm);

#endif
