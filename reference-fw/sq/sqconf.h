/*
** sqconf.h: the dialect's limits in one place (as luaconf.h is for Lua).
** The imp runs Squirrel 3.0.4 with 32-bit integers and floats; the
** numbers below bound memory, recursion and nesting.
*/
#ifndef REFIMP_SQ_SQCONF_H
#define REFIMP_SQ_SQCONF_H

#define SQ_MAXFRAMES     1000    /* Squirrel call depth: "stack overflow" */
#define SQ_MAXSTACK      200000  /* value stack slots */
#define SQ_MAXCDEPTH     64      /* nested native -> script re-entries */
#define SQ_MAXPARSEDEPTH 150     /* nesting of expressions / blocks */
#define SQ_MAXREGS       250     /* registers (locals + temps) a function */
#define SQ_GCMIN         (256 * 1024)  /* bytes before the first collection */
#define SQ_TRACEFRAMES   24      /* frames listed in a traceback */
#define SQ_ERRMAX        512     /* bytes of an error message */
#define SQ_RAND_MAX      2147483647

#endif
