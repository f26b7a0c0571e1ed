/*
** lex.h: the Squirrel tokenizer. Turns source bytes into tokens with
** line and column; reports errors as "chunk:line:col: message" by
** throwing SQ_ERRSYNTAX. Knows nothing of grammar.
*/
#ifndef REFIMP_SQ_LEX_H
#define REFIMP_SQ_LEX_H

#include "sqobj.h"

/* Tokens: single characters are their own code; the rest follow. */
enum {
  TK_EOF = 256, TK_IDENT, TK_STRING, TK_INTEGER, TK_FLOAT,
  TK_EQ, TK_NE, TK_LE, TK_GE, TK_AND, TK_OR, TK_NEWSLOT, TK_PLUSEQ,
  TK_MINUSEQ, TK_MULEQ, TK_DIVEQ, TK_MODEQ, TK_INC, TK_DEC, TK_SHL,
  TK_SHR, TK_USHR, TK_CMP3, TK_DCOLON, TK_VARARGS, TK_ATTROPEN,
  TK_ATTRCLOSE,
  /* keywords: ORDER KEYWORDS (lex.c kwnames) */
  TK_BASE, TK_BREAK, TK_CASE, TK_CATCH, TK_CLASS, TK_CLONE, TK_CONTINUE,
  TK_CONST, TK_DEFAULT, TK_DELETE, TK_ELSE, TK_ENUM, TK_EXTENDS, TK_FOR,
  TK_FOREACH, TK_FUNCTION, TK_IF, TK_IN, TK_LOCAL, TK_NULL, TK_RESUME,
  TK_RETURN, TK_SWITCH, TK_THIS, TK_THROW, TK_TRY, TK_TYPEOF, TK_WHILE,
  TK_YIELD, TK_CONSTRUCTOR, TK_INSTANCEOF, TK_TRUE, TK_FALSE, TK_STATIC,
  TK_DO,
  TK_LAST
};

struct sqlex {
  sq_vm *vm;
  const char *p, *end;
  const char *chunk;
  int line, col;            /* position of *p */
  int tok, tokline, tokcol; /* current token */
  int prevtok;
  int prevline;             /* line where the previous token ended */
  bool nlbefore;            /* a newline separates prevtok and tok */
  int32_t ival;
  float fval;
  struct sqstr *sval;
  char *buf;                /* scratch for strings, counted memory */
  uint32_t buflen, bufcap;
};

void sqlex_init(struct sqlex *ls, sq_vm *vm, const char *src, size_t len,
                const char *chunk);
void sqlex_free(struct sqlex *ls);
void sqlex_next(struct sqlex *ls);
/* Throws SQ_ERRSYNTAX with "chunk:line:col: msg" at the current token. */
_Noreturn void sqlex_error(struct sqlex *ls, const char *fmt, ...);
/* Printable name of a token for messages. */
const char *sqlex_tokname(int tok, char buf[8]);

#endif
