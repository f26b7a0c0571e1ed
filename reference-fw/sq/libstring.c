/*
** libstring.c: the string library: format() with printf conversions,
** split (3.0.4: empty fields dropped), strip, lstrip, rstrip. Written on
** sq.h alone; buffers come from the VM's counted allocator.
*/
#include "sq.h"

#include <stdio.h>
#include <string.h>

struct sbuf {
  sq_vm *vm;
  char *p;
  size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n) {
  if (n == 0)
    return;
  if (b->n + n > b->cap) {
    size_t c = b->cap ? b->cap : 64;
    while (c < b->n + n)
      c *= 2;
    b->p = sq_realloc(b->vm, b->p, b->cap, c);
    b->cap = c;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
}

static void sb_free(struct sbuf *b) {
  if (b->p)
    sq_realloc(b->vm, b->p, b->cap, 0);
  b->p = NULL;
  b->cap = b->n = 0;
}

/* Appends snprintf output of one conversion. */
static void sb_fmt(struct sbuf *b, const char *spec, int kind, long long i,
                   double f, const char *s) {
  char small[128];
  int n;
  switch (kind) {
  case 0: n = snprintf(small, sizeof small, spec, (int)i); break;
  case 1: n = snprintf(small, sizeof small, spec, (unsigned)i); break;
  case 2: n = snprintf(small, sizeof small, spec, f); break;
  default: n = snprintf(small, sizeof small, spec, s); break;
  }
  if (n < 0)
    return;
  if ((size_t)n < sizeof small) {
    sb_add(b, small, (size_t)n);
    return;
  }
  size_t need = (size_t)n + 1;
  char *big = sq_realloc(b->vm, NULL, 0, need);
  switch (kind) {
  case 0: snprintf(big, need, spec, (int)i); break;
  case 1: snprintf(big, need, spec, (unsigned)i); break;
  case 2: snprintf(big, need, spec, f); break;
  default: snprintf(big, need, spec, s); break;
  }
  sb_add(b, big, (size_t)n);
  sq_realloc(b->vm, big, need, 0);
}

static int fmt_error(struct sbuf *b, const char *msg) {
  sb_free(b);
  return sq_error(b->vm, "%s", msg);
}

static int str_format(sq_vm *vm) {
  const char *fmt;
  size_t flen;
  if (sq_checkstr(vm, 2, &fmt, &flen))
    return -1;
  struct sbuf b = { vm, NULL, 0, 0 };
  int nparam = 3, top = sq_gettop(vm);
  for (size_t i = 0; i < flen;) {
    if (fmt[i] != '%') {
      size_t j = i;
      while (j < flen && fmt[j] != '%')
        j++;
      sb_add(&b, fmt + i, j - i);
      i = j;
      continue;
    }
    if (i + 1 < flen && fmt[i + 1] == '%') {
      sb_add(&b, "%", 1);
      i += 2;
      continue;
    }
    char spec[32];
    size_t k = 0;
    spec[k++] = fmt[i++];
    while (i < flen && strchr("-+ #0", fmt[i]) && k < 10)
      spec[k++] = fmt[i++];
    int wd = 0;
    while (i < flen && fmt[i] >= '0' && fmt[i] <= '9') {
      if (++wd > 2)
        return fmt_error(&b, "width format too long");
      spec[k++] = fmt[i++];
    }
    if (i < flen && fmt[i] == '.') {
      spec[k++] = fmt[i++];
      int pd = 0;
      while (i < flen && fmt[i] >= '0' && fmt[i] <= '9') {
        if (++pd > 2)
          return fmt_error(&b, "precision format too long");
        spec[k++] = fmt[i++];
      }
    }
    if (i >= flen)
      return fmt_error(&b, "invalid format");
    char conv = fmt[i++];
    if (nparam > top)
      return fmt_error(&b, "not enough paramters for the given format "
                           "string");
    switch (conv) {
    case 'd': case 'i': case 'o': case 'u': case 'x': case 'X':
    case 'c': {
      enum sq_type t = sq_gettype(vm, nparam);
      if (t != SQ_TINTEGER && t != SQ_TFLOAT && t != SQ_TBOOL)
        return fmt_error(&b, "integer expected for the specified format");
      bool isunsigned = conv != 'd' && conv != 'i' && conv != 'c';
      spec[k++] = conv == 'i' ? 'd' : conv;
      spec[k] = 0;
      sb_fmt(&b, spec, isunsigned ? 1 : 0, sq_toint(vm, nparam), 0, NULL);
      break;
    }
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
      if (!sq_isnumber(vm, nparam))
        return fmt_error(&b, "float expected for the specified format");
      spec[k++] = conv;
      spec[k] = 0;
      sb_fmt(&b, spec, 2, 0, (double)sq_tofloat(vm, nparam), NULL);
      break;
    }
    case 's': {
      if (sq_tostring(vm, nparam) != SQ_OK) {
        sb_free(&b);
        return -1;
      }
      size_t sl;
      const char *s = sq_tostr(vm, -1, &sl);
      spec[k++] = 's';
      spec[k] = 0;
      if (k == 2)
        sb_add(&b, s, sl);   /* plain %s keeps embedded zero bytes */
      else
        sb_fmt(&b, spec, 3, 0, 0, s);
      sq_pop(vm, 1);
      break;
    }
    default:
      return fmt_error(&b, "invalid format");
    }
    nparam++;
  }
  int st = sq_pushstring(vm, b.p ? b.p : "", b.n);
  sb_free(&b);
  return st == SQ_OK ? 1 : -1;
}

static bool isblank_(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

static int strip_(sq_vm *vm, bool left, bool right) {
  const char *s;
  size_t n;
  if (sq_checkstr(vm, 2, &s, &n))
    return -1;
  size_t a = 0, e = n;
  if (left)
    while (a < e && isblank_(s[a]))
      a++;
  if (right)
    while (e > a && isblank_(s[e - 1]))
      e--;
  sq_pushstring(vm, s + a, e - a);
  return 1;
}

static int str_strip(sq_vm *vm) { return strip_(vm, true, true); }
static int str_lstrip(sq_vm *vm) { return strip_(vm, true, false); }
static int str_rstrip(sq_vm *vm) { return strip_(vm, false, true); }

static int str_split(sq_vm *vm) {
  const char *s, *seps;
  size_t n, ns;
  if (sq_checkstr(vm, 2, &s, &n) || sq_checkstr(vm, 3, &seps, &ns))
    return -1;
  if (sq_newarray(vm, 0) != SQ_OK)
    return -1;
  int a = sq_gettop(vm);
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    bool sep = i == n || memchr(seps, s[i], ns) != NULL;
    if (!sep)
      continue;
    if (i > start) {
      if (sq_pushstring(vm, s + start, i - start) != SQ_OK ||
          sq_arrayappend(vm, a) != SQ_OK)
        return -1;
    }
    start = i + 1;
  }
  return 1;
}

static const struct sq_reg strfns[] = {
  { "format", str_format, -2 },
  { "strip", str_strip, 2 },
  { "lstrip", str_lstrip, 2 },
  { "rstrip", str_rstrip, 2 },
  { "split", str_split, 3 },
  { NULL, NULL, 0 }
};

int sq_openstringlib(sq_vm *vm) {
  int top = sq_gettop(vm);
  int st = sq_pushroot(vm);
  if (st == SQ_OK)
    st = sq_register(vm, -1, strfns);
  sq_settop(vm, top);
  return st;
}
