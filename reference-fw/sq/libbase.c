/*
** libbase.c: Squirrel's base library (print, error, assert, type, array,
** getroottable, callee...) and the default delegates of every type
** ("s".len(), a.push(x), f.call(...)). Written on sq.h alone.
*/
#include "sq.h"

#include <stdlib.h>
#include <string.h>

/* ---- global functions ------------------------------------------------ */

static int outvalue(sq_vm *vm, int iserr) {
  if (sq_tostring(vm, 2) != SQ_OK)
    return -1;
  size_t n;
  const char *s = sq_tostr(vm, -1, &n);
  sq_print(vm, iserr, s, n);
  return 0;
}

static int base_print(sq_vm *vm) { return outvalue(vm, 0); }
static int base_error(sq_vm *vm) { return outvalue(vm, 1); }

static int base_assert(sq_vm *vm) {
  if (sq_truthy(vm, 2))
    return 0;
  if (sq_gettop(vm) >= 3 && sq_gettype(vm, 3) == SQ_TSTRING)
    return sq_error(vm, "%s", sq_tostr(vm, 3, NULL));
  return sq_error(vm, "assertion failed");
}

static int base_type(sq_vm *vm) {
  sq_pushstring(vm, sq_typename(sq_gettype(vm, 2)), SIZE_MAX);
  return 1;
}

static int base_array(sq_vm *vm) {
  int32_t n;
  if (sq_checkint(vm, 2, &n))
    return -1;
  if (n < 0)
    return sq_error(vm, "negative size");
  if (sq_newarray(vm, 0) != SQ_OK || sq_arrayresize(vm, -1, n) != SQ_OK)
    return -1;
  if (sq_gettop(vm) >= 4 && sq_gettype(vm, 3) != SQ_TNULL) {
    int a = sq_gettop(vm);
    for (int32_t i = 0; i < n; i++) {
      sq_pushvalue(vm, 3);
      sq_arrayset(vm, a, i);
    }
  }
  return 1;
}

static int base_getroottable(sq_vm *vm) {
  sq_pushroot(vm);
  return 1;
}

static int base_callee(sq_vm *vm) {
  sq_pushcaller(vm);
  return 1;
}

static int base_collectgarbage(sq_vm *vm) {
  sq_collect(vm);
  sq_pushint(vm, 0);
  return 1;
}

static int base_dummy(sq_vm *vm) {
  (void)vm;
  return 0;
}

/* ---- shared delegate methods --------------------------------------------- */

static int any_tostring(sq_vm *vm) {
  if (sq_tostring(vm, 1) != SQ_OK)
    return -1;
  return 1;
}

static int any_weakref(sq_vm *vm) {
  if (sq_weakref(vm, 1) != SQ_OK)
    return -1;
  return 1;
}

static int num_tointeger(sq_vm *vm) {
  sq_pushint(vm, sq_toint(vm, 1));
  return 1;
}

static int num_tofloat(sq_vm *vm) {
  sq_pushfloat(vm, sq_tofloat(vm, 1));
  return 1;
}

static int num_tochar(sq_vm *vm) {
  char c = (char)(sq_toint(vm, 1) & 0xff);
  sq_pushstring(vm, &c, 1);
  return 1;
}

/* ---- string ----------------------------------------------------------- */

static int str_len(sq_vm *vm) {
  sq_pushint(vm, sq_len(vm, 1));
  return 1;
}

/* Squirrel's str2num: a '.' makes a float; otherwise strtol. */
static int str_tonum(sq_vm *vm, bool wantint) {
  const char *s = sq_tostr(vm, 1, NULL);
  int32_t base = 10;
  if (sq_gettop(vm) >= 2 && sq_checkint(vm, 2, &base))
    return -1;
  char *end;
  if (strchr(s, '.') && base == 10) {
    double d = strtod(s, &end);
    if (end == s)
      return sq_error(vm, "cannot convert the string");
    if (wantint)
      sq_pushint(vm, (int32_t)(float)d);
    else
      sq_pushfloat(vm, (float)d);
    return 1;
  }
  if (base < 2 || base > 36)
    return sq_error(vm, "invalid base");
  long long v = strtoll(s, &end, (int)base);
  if (end == s)
    return sq_error(vm, "cannot convert the string");
  if (wantint)
    sq_pushint(vm, (int32_t)(uint32_t)(unsigned long long)v);
  else
    sq_pushfloat(vm, (float)v);
  return 1;
}

static int str_tointeger(sq_vm *vm) { return str_tonum(vm, true); }
static int str_tofloat(sq_vm *vm) { return str_tonum(vm, false); }

/* Resolves slice bounds like Squirrel (negative counts from the end). */
static int slicebounds(sq_vm *vm, int32_t len, int32_t *s, int32_t *e) {
  *s = 0;
  *e = len;
  int top = sq_gettop(vm);
  if (top >= 2 && sq_checkint(vm, 2, s))
    return -1;
  if (top >= 3 && sq_gettype(vm, 3) != SQ_TNULL && sq_checkint(vm, 3, e))
    return -1;
  if (*s < 0)
    *s += len;
  if (*e < 0)
    *e += len;
  if (*s < 0 || *s > len || *e < *s || *e > len)
    return sq_error(vm, "wrong indexes");
  return 0;
}

static int str_slice(sq_vm *vm) {
  size_t n;
  const char *s = sq_tostr(vm, 1, &n);
  int32_t a, b;
  if (slicebounds(vm, (int32_t)n, &a, &b))
    return -1;
  sq_pushstring(vm, s + a, (size_t)(b - a));
  return 1;
}

static int str_find(sq_vm *vm) {
  size_t n, m;
  const char *s = sq_tostr(vm, 1, &n), *sub;
  if (sq_checkstr(vm, 2, &sub, &m))
    return -1;
  int32_t start = 0;
  if (sq_gettop(vm) >= 3 && sq_checkint(vm, 3, &start))
    return -1;
  if (start < 0 || (size_t)start > n)
    return 0;
  for (size_t i = (size_t)start; i + m <= n; i++)
    if (memcmp(s + i, sub, m) == 0) {
      sq_pushint(vm, (int32_t)i);
      return 1;
    }
  return 0;
}

static int str_case(sq_vm *vm, bool upper) {
  size_t n;
  const char *s = sq_tostr(vm, 1, &n);
  char buf[256];
  char *b = n <= sizeof buf ? buf : sq_realloc(vm, NULL, 0, n);
  if (!b)
    return sq_error(vm, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (upper && c >= 'a' && c <= 'z')
      c = (char)(c - 32);
    else if (!upper && c >= 'A' && c <= 'Z')
      c = (char)(c + 32);
    b[i] = c;
  }
  int st = sq_pushstring(vm, b, n);
  if (b != buf)
    sq_realloc(vm, b, n, 0);
  return st == SQ_OK ? 1 : -1;
}

static int str_tolower(sq_vm *vm) { return str_case(vm, false); }
static int str_toupper(sq_vm *vm) { return str_case(vm, true); }

/* ---- table ------------------------------------------------------------------ */

static int tab_len(sq_vm *vm) {
  sq_pushint(vm, sq_len(vm, 1));
  return 1;
}

static int obj_rawget(sq_vm *vm) {
  sq_pushvalue(vm, 2);
  if (sq_rawget(vm, 1) != SQ_OK)
    return -1;
  return 1;
}

static int obj_rawset(sq_vm *vm) {
  sq_pushvalue(vm, 2);
  sq_pushvalue(vm, 3);
  if (sq_rawset(vm, 1) != SQ_OK)
    return -1;
  return 0;
}

static int obj_rawin(sq_vm *vm) {
  sq_pushvalue(vm, 2);
  sq_pushbool(vm, sq_rawin(vm, 1));
  return 1;
}

static int tab_rawdelete(sq_vm *vm) {
  sq_pushvalue(vm, 2);
  sq_rawdelete(vm, 1);
  return 1;
}

static int obj_clear(sq_vm *vm) {
  sq_clear(vm, 1);
  sq_pushvalue(vm, 1);
  return 1;
}

static int tab_setdelegate(sq_vm *vm) {
  sq_pushvalue(vm, 2);
  if (sq_setdelegate(vm, 1) != SQ_OK)
    return -1;
  sq_pushvalue(vm, 1);
  return 1;
}

static int tab_getdelegate(sq_vm *vm) {
  sq_getdelegate(vm, 1);
  return 1;
}

/* ---- array ------------------------------------------------------------------- */

static int arr_append(sq_vm *vm) {
  sq_pushvalue(vm, 2);
  if (sq_arrayappend(vm, 1) != SQ_OK)
    return -1;
  return 0;
}

static int arr_extend(sq_vm *vm) {
  if (sq_checktype(vm, 2, SQ_TARRAY))
    return -1;
  int32_t n = sq_len(vm, 2);
  for (int32_t i = 0; i < n; i++) {
    sq_arrayget(vm, 2, i);
    if (sq_arrayappend(vm, 1) != SQ_OK)
      return -1;
  }
  sq_pushvalue(vm, 1);
  return 1;
}

static int arr_pop(sq_vm *vm) {
  int32_t n = sq_len(vm, 1);
  if (n <= 0)
    return sq_error(vm, "empty array");
  sq_arrayremove(vm, 1, n - 1);
  return 1;
}

static int arr_top(sq_vm *vm) {
  int32_t n = sq_len(vm, 1);
  if (n <= 0)
    return sq_error(vm, "empty array");
  sq_arrayget(vm, 1, n - 1);
  return 1;
}

static int arr_insert(sq_vm *vm) {
  int32_t i;
  if (sq_checkint(vm, 2, &i))
    return -1;
  sq_pushvalue(vm, 3);
  if (sq_arrayinsert(vm, 1, i) != SQ_OK)
    return -1;
  return 0;
}

static int arr_remove(sq_vm *vm) {
  int32_t i;
  if (sq_checkint(vm, 2, &i))
    return -1;
  if (sq_arrayremove(vm, 1, i) != SQ_OK)
    return -1;
  return 1;
}

static int arr_resize(sq_vm *vm) {
  int32_t n;
  if (sq_checkint(vm, 2, &n))
    return -1;
  if (n < 0)
    return sq_error(vm, "negative size");
  int32_t old = sq_len(vm, 1);
  if (sq_arrayresize(vm, 1, n) != SQ_OK)
    return -1;
  if (sq_gettop(vm) >= 3)
    for (int32_t i = old; i < n; i++) {
      sq_pushvalue(vm, 3);
      sq_arrayset(vm, 1, i);
    }
  return 0;
}

static int arr_reverse(sq_vm *vm) {
  int32_t n = sq_len(vm, 1);
  for (int32_t i = 0, j = n - 1; i < j; i++, j--) {
    sq_arrayget(vm, 1, i);
    sq_arrayget(vm, 1, j);
    sq_arrayset(vm, 1, i);
    sq_arrayset(vm, 1, j);
  }
  return 0;
}

static int arr_slice(sq_vm *vm) {
  int32_t a, b;
  if (slicebounds(vm, sq_len(vm, 1), &a, &b))
    return -1;
  if (sq_newarray(vm, 0) != SQ_OK)
    return -1;
  int r = sq_gettop(vm);
  for (int32_t i = a; i < b; i++) {
    sq_arrayget(vm, 1, i);
    if (sq_arrayappend(vm, r) != SQ_OK)
      return -1;
  }
  return 1;
}

/* Calls the function at fn with this = the array and 'n' values already
** pushed; leaves the result on top. */
static int callf(sq_vm *vm, int fn, int n, const int *args) {
  sq_pushvalue(vm, fn);
  sq_pushvalue(vm, 1);
  for (int k = 0; k < n; k++)
    sq_pushvalue(vm, args[k]);
  return sq_call(vm, n + 1);
}

static int arr_map(sq_vm *vm) {
  if (sq_checktype(vm, 2, SQ_TCLOSURE))
    return -1;
  int32_t n = sq_len(vm, 1);
  sq_newarray(vm, 0);
  int r = sq_gettop(vm);
  for (int32_t i = 0; i < n && i < sq_len(vm, 1); i++) {
    sq_arrayget(vm, 1, i);
    int item = sq_gettop(vm);
    if (callf(vm, 2, 1, &item) != SQ_OK)
      return -1;
    sq_arrayappend(vm, r);
    sq_pop(vm, 1);
  }
  return 1;
}

static int arr_apply(sq_vm *vm) {
  if (sq_checktype(vm, 2, SQ_TCLOSURE))
    return -1;
  int32_t n = sq_len(vm, 1);
  for (int32_t i = 0; i < n && i < sq_len(vm, 1); i++) {
    sq_arrayget(vm, 1, i);
    int item = sq_gettop(vm);
    if (callf(vm, 2, 1, &item) != SQ_OK)
      return -1;
    sq_arrayset(vm, 1, i);
    sq_pop(vm, 1);
  }
  return 0;
}

static int arr_reduce(sq_vm *vm) {
  if (sq_checktype(vm, 2, SQ_TCLOSURE))
    return -1;
  int32_t n = sq_len(vm, 1);
  if (n == 0)
    return 0;
  sq_arrayget(vm, 1, 0);
  int acc = sq_gettop(vm);
  for (int32_t i = 1; i < n && i < sq_len(vm, 1); i++) {
    sq_arrayget(vm, 1, i);
    int args[2] = { acc, acc + 1 };
    if (callf(vm, 2, 2, args) != SQ_OK)
      return -1;
    /* stack: acc, item, result -> acc = result */
    sq_pushvalue(vm, -1);
    sq_remove(vm, acc);
    sq_remove(vm, acc);
    sq_remove(vm, acc);
  }
  return 1;
}

static int arr_filter(sq_vm *vm) {
  if (sq_checktype(vm, 2, SQ_TCLOSURE))
    return -1;
  int32_t n = sq_len(vm, 1);
  sq_newarray(vm, 0);
  int r = sq_gettop(vm);
  for (int32_t i = 0; i < n && i < sq_len(vm, 1); i++) {
    sq_pushint(vm, i);
    sq_arrayget(vm, 1, i);
    int args[2] = { r + 1, r + 2 };
    if (callf(vm, 2, 2, args) != SQ_OK)
      return -1;
    bool keep = sq_truthy(vm, -1);
    sq_pop(vm, 1);
    if (keep)
      sq_arrayappend(vm, r);
    else
      sq_pop(vm, 1);
    sq_pop(vm, 1);
  }
  return 1;
}

static int arr_find(sq_vm *vm) {
  int32_t n = sq_len(vm, 1);
  for (int32_t i = 0; i < n; i++) {
    sq_arrayget(vm, 1, i);
    bool eq = sq_rawequal(vm, -1, 2);
    sq_pop(vm, 1);
    if (eq) {
      sq_pushint(vm, i);
      return 1;
    }
  }
  return 0;
}

/* Compares the values at a and b with the user comparator (or <=>). */
static int sortcmp(sq_vm *vm, int cmpfn, int a, int b, int *res) {
  if (!cmpfn)
    return sq_cmp(vm, a, b, res);
  sq_pushvalue(vm, cmpfn);
  sq_pushroot(vm);
  sq_pushvalue(vm, a);
  sq_pushvalue(vm, b);
  int st = sq_call(vm, 3);
  if (st != SQ_OK)
    return st;
  if (!sq_isnumber(vm, -1)) {
    sq_pop(vm, 1);
    sq_error(vm, "_cmp must return an integer");
    return SQ_ERRRUN;
  }
  *res = sq_toint(vm, -1);
  sq_pop(vm, 1);
  return SQ_OK;
}

/* Bottom-up merge sort of array 1 through a scratch array (stable). */
static int arr_sort(sq_vm *vm) {
  int cmpfn = 0;
  if (sq_gettop(vm) >= 2 && sq_gettype(vm, 2) != SQ_TNULL) {
    if (sq_checktype(vm, 2, SQ_TCLOSURE))
      return -1;
    cmpfn = 2;
  }
  int32_t n = sq_len(vm, 1);
  if (sq_newarray(vm, n) != SQ_OK)
    return -1;
  int tmp = sq_gettop(vm);
  int src = 1, dst = tmp;
  for (int32_t w = 1; w < n; w *= 2) {
    for (int32_t lo = 0; lo < n; lo += 2 * w) {
      int32_t mid = lo + w < n ? lo + w : n;
      int32_t hi = lo + 2 * w < n ? lo + 2 * w : n;
      int32_t i = lo, j = mid, k = lo;
      while (i < mid || j < hi) {
        bool takeleft;
        if (i >= mid) {
          takeleft = false;
        } else if (j >= hi) {
          takeleft = true;
        } else {
          sq_arrayget(vm, src, i);
          sq_arrayget(vm, src, j);
          int top = sq_gettop(vm), r;
          if (sortcmp(vm, cmpfn, top - 1, top, &r) != SQ_OK)
            return -1;
          sq_pop(vm, 2);
          takeleft = r <= 0;
        }
        sq_arrayget(vm, src, takeleft ? i++ : j++);
        sq_arrayset(vm, dst, k++);
      }
    }
    int t = src;
    src = dst;
    dst = t;
  }
  if (src != 1)
    for (int32_t i = 0; i < n; i++) {
      sq_arrayget(vm, src, i);
      sq_arrayset(vm, 1, i);
    }
  return 0;
}

/* ---- functions ------------------------------------------------------------------ */

static int fn_call(sq_vm *vm) {
  int top = sq_gettop(vm);
  sq_pushvalue(vm, 1);
  for (int i = 2; i <= top; i++)
    sq_pushvalue(vm, i);
  if (sq_call(vm, top - 1) != SQ_OK)
    return -1;
  return 1;
}

static int fn_pcall(sq_vm *vm) {
  int top = sq_gettop(vm);
  sq_pushvalue(vm, 1);
  for (int i = 2; i <= top; i++)
    sq_pushvalue(vm, i);
  int st = sq_call(vm, top - 1);
  if (st == SQ_ERRMEM || st == SQ_ERRBUDGET)
    return -1;
  if (st != SQ_OK)
    sq_pushnull(vm);
  return 1;
}

static int fn_acall(sq_vm *vm) {
  if (sq_checktype(vm, 2, SQ_TARRAY))
    return -1;
  int32_t n = sq_len(vm, 2);
  if (n < 1)
    return sq_error(vm, "wrong number of parameters");
  sq_pushvalue(vm, 1);
  for (int32_t i = 0; i < n; i++)
    sq_arrayget(vm, 2, i);
  if (sq_call(vm, n) != SQ_OK)
    return -1;
  return 1;
}

static int fn_pacall(sq_vm *vm) {
  if (sq_checktype(vm, 2, SQ_TARRAY))
    return -1;
  int32_t n = sq_len(vm, 2);
  if (n < 1)
    return sq_error(vm, "wrong number of parameters");
  sq_pushvalue(vm, 1);
  for (int32_t i = 0; i < n; i++)
    sq_arrayget(vm, 2, i);
  int st = sq_call(vm, n);
  if (st == SQ_ERRMEM || st == SQ_ERRBUDGET)
    return -1;
  if (st != SQ_OK)
    sq_pushnull(vm);
  return 1;
}

static int fn_bindenv(sq_vm *vm) {
  sq_pushvalue(vm, 2);
  if (sq_bindenv(vm, 1) != SQ_OK)
    return -1;
  return 1;
}

/* ---- class and instance ----------------------------------------------------- */

static int cls_instance(sq_vm *vm) {
  if (sq_createinstance(vm, 1) != SQ_OK)
    return -1;
  return 1;
}

static int cls_newmember(sq_vm *vm) {
  sq_pushvalue(vm, 2);
  sq_pushvalue(vm, 3);
  if (sq_newslot(vm, 1) != SQ_OK)
    return -1;
  return 0;
}

static int cls_getattributes(sq_vm *vm) {
  (void)vm;
  return 0;
}

static int inst_getclass(sq_vm *vm) {
  sq_getclass(vm, 1);
  return 1;
}

static int cls_getbase(sq_vm *vm) {
  sq_getbase(vm, 1);
  return 1;
}

static int weak_ref(sq_vm *vm) {
  sq_weakderef(vm, 1);
  return 1;
}

static int gen_getstatus(sq_vm *vm) {
  const char *s = sq_genstatus(vm, 1);
  sq_pushstring(vm, s ? s : "dead", SIZE_MAX);
  return 1;
}

/* ---- registration --------------------------------------------------------- */

static const struct sq_reg globals[] = {
  { "print", base_print, 2 },
  { "error", base_error, 2 },
  { "assert", base_assert, -2 },
  { "type", base_type, 2 },
  { "array", base_array, -2 },
  { "getroottable", base_getroottable, 1 },
  { "callee", base_callee, 1 },
  { "collectgarbage", base_collectgarbage, 1 },
  { "dummy", base_dummy, 0 },
  { NULL, NULL, 0 }
};

static const struct sq_reg numdeleg[] = {
  { "tointeger", num_tointeger, 1 },
  { "tofloat", num_tofloat, 1 },
  { "tostring", any_tostring, 1 },
  { "tochar", num_tochar, 1 },
  { "weakref", any_weakref, 1 },
  { NULL, NULL, 0 }
};

static const struct sq_reg strdeleg[] = {
  { "len", str_len, 1 },
  { "tointeger", str_tointeger, -1 },
  { "tofloat", str_tofloat, 1 },
  { "tostring", any_tostring, 1 },
  { "slice", str_slice, -2 },
  { "find", str_find, -2 },
  { "tolower", str_tolower, 1 },
  { "toupper", str_toupper, 1 },
  { "weakref", any_weakref, 1 },
  { NULL, NULL, 0 }
};

static const struct sq_reg tabdeleg[] = {
  { "len", tab_len, 1 },
  { "rawget", obj_rawget, 2 },
  { "rawset", obj_rawset, 3 },
  { "rawdelete", tab_rawdelete, 2 },
  { "rawin", obj_rawin, 2 },
  { "weakref", any_weakref, 1 },
  { "tostring", any_tostring, 1 },
  { "clear", obj_clear, 1 },
  { "setdelegate", tab_setdelegate, 2 },
  { "getdelegate", tab_getdelegate, 1 },
  { NULL, NULL, 0 }
};

static const struct sq_reg arrdeleg[] = {
  { "len", tab_len, 1 },
  { "append", arr_append, 2 },
  { "push", arr_append, 2 },
  { "extend", arr_extend, 2 },
  { "pop", arr_pop, 1 },
  { "top", arr_top, 1 },
  { "insert", arr_insert, 3 },
  { "remove", arr_remove, 2 },
  { "resize", arr_resize, -2 },
  { "sort", arr_sort, -1 },
  { "reverse", arr_reverse, 1 },
  { "slice", arr_slice, -2 },
  { "weakref", any_weakref, 1 },
  { "tostring", any_tostring, 1 },
  { "clear", obj_clear, 1 },
  { "map", arr_map, 2 },
  { "apply", arr_apply, 2 },
  { "reduce", arr_reduce, 2 },
  { "filter", arr_filter, 2 },
  { "find", arr_find, 2 },
  { NULL, NULL, 0 }
};

static const struct sq_reg fndeleg[] = {
  { "call", fn_call, -2 },
  { "pcall", fn_pcall, -2 },
  { "acall", fn_acall, 2 },
  { "pacall", fn_pacall, 2 },
  { "weakref", any_weakref, 1 },
  { "tostring", any_tostring, 1 },
  { "bindenv", fn_bindenv, 2 },
  { NULL, NULL, 0 }
};

static const struct sq_reg clsdeleg[] = {
  { "instance", cls_instance, 1 },
  { "rawget", obj_rawget, 2 },
  { "rawset", obj_rawset, 3 },
  { "rawin", obj_rawin, 2 },
  { "newmember", cls_newmember, -3 },
  { "getattributes", cls_getattributes, 2 },
  { "getbase", cls_getbase, 1 },
  { "weakref", any_weakref, 1 },
  { "tostring", any_tostring, 1 },
  { NULL, NULL, 0 }
};

static const struct sq_reg instdeleg[] = {
  { "getclass", inst_getclass, 1 },
  { "rawget", obj_rawget, 2 },
  { "rawset", obj_rawset, 3 },
  { "rawin", obj_rawin, 2 },
  { "weakref", any_weakref, 1 },
  { "tostring", any_tostring, 1 },
  { NULL, NULL, 0 }
};

static const struct sq_reg gendeleg[] = {
  { "getstatus", gen_getstatus, 1 },
  { "weakref", any_weakref, 1 },
  { "tostring", any_tostring, 1 },
  { NULL, NULL, 0 }
};

static const struct sq_reg weakdeleg[] = {
  { "ref", weak_ref, 1 },
  { "weakref", any_weakref, 1 },
  { "tostring", any_tostring, 1 },
  { NULL, NULL, 0 }
};

static int setdeleg(sq_vm *vm, enum sq_type t, const struct sq_reg *r) {
  int st;
  if ((st = sq_newtable(vm)) != SQ_OK)
    return st;
  if ((st = sq_register(vm, -1, r)) != SQ_OK) {
    sq_pop(vm, 1);
    return st;
  }
  return sq_settypedelegate(vm, t);
}

int sq_openbaselib(sq_vm *vm) {
  int top = sq_gettop(vm);
  int st;
  if ((st = sq_pushroot(vm)) != SQ_OK ||
      (st = sq_register(vm, -1, globals)) != SQ_OK)
    goto done;
  sq_pop(vm, 1);
  if ((st = setdeleg(vm, SQ_TINTEGER, numdeleg)) != SQ_OK ||
      (st = setdeleg(vm, SQ_TFLOAT, numdeleg)) != SQ_OK ||
      (st = setdeleg(vm, SQ_TBOOL, numdeleg)) != SQ_OK ||
      (st = setdeleg(vm, SQ_TSTRING, strdeleg)) != SQ_OK ||
      (st = setdeleg(vm, SQ_TTABLE, tabdeleg)) != SQ_OK ||
      (st = setdeleg(vm, SQ_TARRAY, arrdeleg)) != SQ_OK ||
      (st = setdeleg(vm, SQ_TCLOSURE, fndeleg)) != SQ_OK ||
      (st = setdeleg(vm, SQ_TCLASS, clsdeleg)) != SQ_OK ||
      (st = setdeleg(vm, SQ_TINSTANCE, instdeleg)) != SQ_OK ||
      (st = setdeleg(vm, SQ_TGENERATOR, gendeleg)) != SQ_OK ||
      (st = setdeleg(vm, SQ_TWEAKREF, weakdeleg)) != SQ_OK)
    goto done;
done:
  sq_settop(vm, top);
  return st;
}
