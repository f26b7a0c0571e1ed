/*
** lex.c: tokenizer for Squirrel source: numbers (decimal, hex, octal,
** 'c' characters, floats), strings with escapes, verbatim @"" strings,
** comments (line, block, #) and every operator.
*/
#include "lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mem.h"
#include "obj.h"

/* ORDER KEYWORDS */
static const char *const kwnames[] = {
  "base", "break", "case", "catch", "class", "clone", "continue", "const",
  "default", "delete", "else", "enum", "extends", "for", "foreach",
  "function", "if", "in", "local", "null", "resume", "return", "switch",
  "this", "throw", "try", "typeof", "while", "yield", "constructor",
  "instanceof", "true", "false", "static", "do"
};

void sqlex_init(struct sqlex *ls, sq_vm *vm, const char *src, size_t len,
                const char *chunk) {
  memset(ls, 0, sizeof(*ls));
  ls->vm = vm;
  ls->p = src;
  ls->end = src + len;
  ls->chunk = chunk;
  ls->line = 1;
  ls->col = 1;
  ls->prevline = 1;
  ls->tok = 0;
}

void sqlex_free(struct sqlex *ls) {
  if (ls->buf)
    sqmem_free(ls->vm, ls->buf, ls->bufcap);
  ls->buf = NULL;
  ls->bufcap = 0;
}

_Noreturn void sqlex_error(struct sqlex *ls, const char *fmt, ...) {
  sq_vm *vm = ls->vm;
  int n = snprintf(vm->errmsg, sizeof vm->errmsg, "%s:%d:%d: ", ls->chunk,
                   ls->tokline, ls->tokcol);
  if (n < 0 || (size_t)n >= sizeof vm->errmsg)
    n = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(vm->errmsg + n, sizeof vm->errmsg - (size_t)n, fmt, ap);
  va_end(ap);
  sqerr_throw(vm, SQ_ERRSYNTAX);
}

const char *sqlex_tokname(int tok, char buf[8]) {
  static const char *const ops[] = {
    "<eof>", "<identifier>", "<string>", "<integer>", "<float>", "==",
    "!=", "<=", ">=", "&&", "||", "<-", "+=", "-=", "*=", "/=", "%=",
    "++", "--", "<<", ">>", ">>>", "<=>", "::", "...", "</", "/>"
  };
  if (tok < 256) {
    buf[0] = (char)tok;
    buf[1] = 0;
    return buf;
  }
  if (tok < TK_BASE)
    return ops[tok - TK_EOF];
  if (tok < TK_LAST)
    return kwnames[tok - TK_BASE];
  return "?";
}

static int cur(struct sqlex *ls) {
  return ls->p < ls->end ? (unsigned char)*ls->p : -1;
}
static int peekc(struct sqlex *ls, int k) {
  return ls->p + k < ls->end ? (unsigned char)ls->p[k] : -1;
}
static void adv(struct sqlex *ls) {
  if (ls->p >= ls->end)
    return;
  if (*ls->p == '\n') {
    ls->line++;
    ls->col = 1;
  } else {
    ls->col++;
  }
  ls->p++;
}

static void bufadd(struct sqlex *ls, int c) {
  if (ls->buflen + 1 >= ls->bufcap) {
    uint32_t old = ls->bufcap;
    ls->buf = sqmem_grow(ls->vm, ls->buf, &ls->bufcap, ls->buflen + 2, 1);
    (void)old;
  }
  ls->buf[ls->buflen++] = (char)c;
}

static bool isdig(int c) { return c >= '0' && c <= '9'; }
static bool isalph(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int hexval(int c) {
  if (isdig(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void lexnumber(struct sqlex *ls) {
  uint32_t v = 0;
  if (cur(ls) == '0' && (peekc(ls, 1) == 'x' || peekc(ls, 1) == 'X')) {
    adv(ls);
    adv(ls);
    if (hexval(cur(ls)) < 0)
      sqlex_error(ls, "expected hex digits after '0x'");
    while (hexval(cur(ls)) >= 0) {
      v = v * 16 + (uint32_t)hexval(cur(ls));
      adv(ls);
    }
    ls->ival = (int32_t)v;
    ls->tok = TK_INTEGER;
    return;
  }
  if (cur(ls) == '0' && isdig(peekc(ls, 1))) {
    adv(ls);
    while (isdig(cur(ls))) {
      if (cur(ls) > '7')
        sqlex_error(ls, "invalid octal number");
      v = v * 8 + (uint32_t)(cur(ls) - '0');
      adv(ls);
    }
    ls->ival = (int32_t)v;
    ls->tok = TK_INTEGER;
    return;
  }
  ls->buflen = 0;
  bool isfloat = false;
  while (isdig(cur(ls))) {
    bufadd(ls, cur(ls));
    adv(ls);
  }
  if (cur(ls) == '.' && isdig(peekc(ls, 1))) {
    isfloat = true;
    bufadd(ls, '.');
    adv(ls);
    while (isdig(cur(ls))) {
      bufadd(ls, cur(ls));
      adv(ls);
    }
  } else if (cur(ls) == '.' && peekc(ls, 1) != '.' && !isalph(peekc(ls, 1))) {
    /* "1." is a float */
    isfloat = true;
    adv(ls);
  }
  if (cur(ls) == 'e' || cur(ls) == 'E') {
    int k = 1;
    if (peekc(ls, 1) == '+' || peekc(ls, 1) == '-')
      k = 2;
    if (isdig(peekc(ls, k))) {
      isfloat = true;
      bufadd(ls, 'e');
      adv(ls);
      if (cur(ls) == '+' || cur(ls) == '-') {
        bufadd(ls, cur(ls));
        adv(ls);
      }
      while (isdig(cur(ls))) {
        bufadd(ls, cur(ls));
        adv(ls);
      }
    }
  }
  bufadd(ls, 0);
  if (isfloat) {
    ls->fval = (float)strtod(ls->buf, NULL);
    ls->tok = TK_FLOAT;
  } else {
    for (const char *s = ls->buf; *s; s++)
      v = v * 10 + (uint32_t)(*s - '0');
    ls->ival = (int32_t)v;
    ls->tok = TK_INTEGER;
  }
  if (isalph(cur(ls)))
    sqlex_error(ls, "malformed number");
}

static int lexescape(struct sqlex *ls) {
  adv(ls); /* backslash */
  int c = cur(ls);
  adv(ls);
  switch (c) {
  case 't': return '\t';
  case 'a': return '\a';
  case 'b': return '\b';
  case 'n': return '\n';
  case 'r': return '\r';
  case 'v': return '\v';
  case 'f': return '\f';
  case '0': return 0;
  case '\\': return '\\';
  case '"': return '"';
  case '\'': return '\'';
  case 'x': {
    /* Squirrel 3.0.4 reads up to four hex digits into one char. */
    if (hexval(cur(ls)) < 0)
      sqlex_error(ls, "hexadecimal number expected");
    uint32_t v = 0;
    for (int n = 0; n < 4 && hexval(cur(ls)) >= 0; n++) {
      v = v * 16 + (uint32_t)hexval(cur(ls));
      adv(ls);
    }
    return (int)(v & 0xff);
  }
  default:
    sqlex_error(ls, "unrecognised escaper char");
  }
}

static void lexstring(struct sqlex *ls, int delim, bool verbatim) {
  ls->buflen = 0;
  adv(ls); /* opening quote */
  for (;;) {
    int c = cur(ls);
    if (c < 0)
      sqlex_error(ls, "unfinished string");
    if (c == delim) {
      if (verbatim && peekc(ls, 1) == delim) {
        bufadd(ls, c);
        adv(ls);
        adv(ls);
        continue;
      }
      adv(ls);
      break;
    }
    if (c == '\n' && !verbatim)
      sqlex_error(ls, "newline in a constant");
    if (c == '\\' && !verbatim) {
      bufadd(ls, lexescape(ls));
      continue;
    }
    bufadd(ls, c);
    adv(ls);
  }
  if (delim == '\'') {
    if (ls->buflen != 1)
      sqlex_error(ls, "invalid character literal");
    ls->ival = (int32_t)(unsigned char)ls->buf[0];
    ls->tok = TK_INTEGER;
    return;
  }
  ls->sval = sqstr_new(ls->vm, ls->buf ? ls->buf : "", ls->buflen);
  ls->tok = TK_STRING;
}

static void lexident(struct sqlex *ls) {
  const char *s = ls->p;
  while (isalph(cur(ls)) || isdig(cur(ls)))
    adv(ls);
  size_t n = (size_t)(ls->p - s);
  for (int k = 0; k < TK_LAST - TK_BASE; k++)
    if (strlen(kwnames[k]) == n && memcmp(kwnames[k], s, n) == 0) {
      ls->tok = TK_BASE + k;
      return;
    }
  ls->sval = sqstr_new(ls->vm, s, n);
  ls->tok = TK_IDENT;
}

/* Skips blanks and comments; true if a newline was crossed. */
static bool skipspace(struct sqlex *ls) {
  bool nl = false;
  for (;;) {
    int c = cur(ls);
    if (c == '\n') {
      nl = true;
      adv(ls);
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
               c == '\v') {
      adv(ls);
    } else if (c == '#' || (c == '/' && peekc(ls, 1) == '/')) {
      while (cur(ls) >= 0 && cur(ls) != '\n')
        adv(ls);
    } else if (c == '/' && peekc(ls, 1) == '*') {
      ls->tokline = ls->line;
      ls->tokcol = ls->col;
      adv(ls);
      adv(ls);
      while (!(cur(ls) == '*' && peekc(ls, 1) == '/')) {
        if (cur(ls) < 0)
          sqlex_error(ls, "missing \"*/\" in comment");
        if (cur(ls) == '\n')
          nl = true;
        adv(ls);
      }
      adv(ls);
      adv(ls);
    } else {
      return nl;
    }
  }
}

static int op2(struct sqlex *ls, int n, int tok) {
  for (int i = 0; i < n; i++)
    adv(ls);
  return tok;
}

void sqlex_next(struct sqlex *ls) {
  ls->prevtok = ls->tok;
  ls->prevline = ls->line;
  ls->nlbefore = skipspace(ls);
  ls->tokline = ls->line;
  ls->tokcol = ls->col;
  int c = cur(ls);
  if (c < 0) {
    ls->tok = TK_EOF;
    return;
  }
  int c1 = peekc(ls, 1), c2 = peekc(ls, 2);
  if (isdig(c)) {
    lexnumber(ls);
    return;
  }
  if (isalph(c)) {
    lexident(ls);
    return;
  }
  switch (c) {
  case '"': lexstring(ls, '"', false); return;
  case '\'': lexstring(ls, '\'', false); return;
  case '@':
    if (c1 == '"') {
      adv(ls);
      lexstring(ls, '"', true);
      return;
    }
    ls->tok = op2(ls, 1, '@');
    return;
  case '=': ls->tok = c1 == '=' ? op2(ls, 2, TK_EQ) : op2(ls, 1, '='); return;
  case '!': ls->tok = c1 == '=' ? op2(ls, 2, TK_NE) : op2(ls, 1, '!'); return;
  case '<':
    if (c1 == '=' && c2 == '>') ls->tok = op2(ls, 3, TK_CMP3);
    else if (c1 == '=') ls->tok = op2(ls, 2, TK_LE);
    else if (c1 == '-') ls->tok = op2(ls, 2, TK_NEWSLOT);
    else if (c1 == '<') ls->tok = op2(ls, 2, TK_SHL);
    else if (c1 == '/') ls->tok = op2(ls, 2, TK_ATTROPEN);
    else ls->tok = op2(ls, 1, '<');
    return;
  case '>':
    if (c1 == '=') ls->tok = op2(ls, 2, TK_GE);
    else if (c1 == '>' && c2 == '>') ls->tok = op2(ls, 3, TK_USHR);
    else if (c1 == '>') ls->tok = op2(ls, 2, TK_SHR);
    else ls->tok = op2(ls, 1, '>');
    return;
  case '&': ls->tok = c1 == '&' ? op2(ls, 2, TK_AND) : op2(ls, 1, '&'); return;
  case '|': ls->tok = c1 == '|' ? op2(ls, 2, TK_OR) : op2(ls, 1, '|'); return;
  case '+':
    if (c1 == '+') ls->tok = op2(ls, 2, TK_INC);
    else if (c1 == '=') ls->tok = op2(ls, 2, TK_PLUSEQ);
    else ls->tok = op2(ls, 1, '+');
    return;
  case '-':
    if (c1 == '-') ls->tok = op2(ls, 2, TK_DEC);
    else if (c1 == '=') ls->tok = op2(ls, 2, TK_MINUSEQ);
    else ls->tok = op2(ls, 1, '-');
    return;
  case '*': ls->tok = c1 == '=' ? op2(ls, 2, TK_MULEQ) : op2(ls, 1, '*'); return;
  case '/':
    if (c1 == '=') ls->tok = op2(ls, 2, TK_DIVEQ);
    else if (c1 == '>') ls->tok = op2(ls, 2, TK_ATTRCLOSE);
    else ls->tok = op2(ls, 1, '/');
    return;
  case '%': ls->tok = c1 == '=' ? op2(ls, 2, TK_MODEQ) : op2(ls, 1, '%'); return;
  case ':': ls->tok = c1 == ':' ? op2(ls, 2, TK_DCOLON) : op2(ls, 1, ':'); return;
  case '.':
    if (c1 == '.' && c2 == '.') {
      ls->tok = op2(ls, 3, TK_VARARGS);
      return;
    }
    ls->tok = op2(ls, 1, '.');
    return;
  case '{': case '}': case '(': case ')': case '[': case ']': case ';':
  case ',': case '?': case '^': case '~':
    ls->tok = op2(ls, 1, c);
    return;
  default:
    if (c < 32 || c > 126)
      sqlex_error(ls, "unexpected character 0x%02x", c);
    sqlex_error(ls, "unexpected character '%c'", c);
  }
}
