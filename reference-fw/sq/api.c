/*
** api.c: the functions of sq.h. Every entry point that can fail runs
** under sqerr_protect and returns a status, so no longjmp leaves the
** library; inside a native a fatal status is re-raised when it returns.
*/
#include "sq.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "gc.h"
#include "mem.h"
#include "obj.h"
#include "parse.h"
#include "vm.h"

const char *sq_status_text(int st) {
  switch (st) {
#define X(code, text) case code: return text;
  SQ_STATUS_LIST(X)
#undef X
  default: return "unknown status";
  }
}

/* ---- opening and closing --------------------------------------------- */

static const char *const metanames[SQ_NMETA] = {
  "_add", "_sub", "_mul", "_div", "_modulo", "_unm", "_get", "_set",
  "_newslot", "_delslot", "_cmp", "_call", "_tostring", "_typeof",
  "_nexti", "_cloned"
};

static void init_body(sq_vm *vm, void *ud) {
  (void)ud;
  sqstr_init(vm);
  vm->root = sqtab_new(vm, 0);
  vm->consts = sqtab_new(vm, 0);
  vm->refs = sqobj_newarray(vm, 0);
  for (int i = 0; i < SQ_NMETA; i++)
    vm->meta[i] = sqstr_newc(vm, metanames[i]);
  vm->s_constructor = sqstr_newc(vm, "constructor");
  vm->s_this = sqstr_newc(vm, "this");
  vm->s_vargv = sqstr_newc(vm, "vargv");
  sqvm_reserve(vm, 256);
}

/* A heap limit at or below the first collection threshold would throw
** "out of memory" before the collector ever ran: collect at half the
** limit at the latest (found with 20000 short-lived strings in a loop). */
static void cap_gcthreshold(sq_vm *vm) {
  if (vm->limit && vm->gcthreshold > vm->limit / 2)
    vm->gcthreshold = vm->limit / 2;
}

sq_vm *sq_open(sq_alloc alloc, void *ud, size_t limit) {
  if (!alloc || (limit && limit < sizeof(sq_vm)))
    return NULL;
  sq_vm *vm = alloc(ud, NULL, 0, sizeof(sq_vm));
  if (!vm)
    return NULL;
  memset(vm, 0, sizeof(*vm));
  vm->alloc = alloc;
  vm->allocud = ud;
  vm->limit = limit;
  vm->used = vm->peak = sizeof(sq_vm);
  vm->gcthreshold = SQ_GCMIN;
  cap_gcthreshold(vm);
  vm->randstate = 1;
  for (int i = 0; i <= SQ_TWEAKREF; i++)
    vm->typedeleg[i] = V_NULL;
  vm->errval = V_NULL;
  if (sqerr_protect(vm, init_body, NULL) != SQ_OK) {
    sq_close(vm);
    return NULL;
  }
  return vm;
}

void sq_close(sq_vm *vm) {
  if (!vm)
    return;
  sqparse_cleanup(vm);
  vm->top = 0;
  sqgc_freeall(vm);
  if (vm->strtab)
    sqmem_free(vm, vm->strtab, (vm->strmask + 1) * sizeof(struct sqstr *));
  sqmem_free(vm, vm->stack, vm->stacksize * sizeof(sqval));
  sqmem_free(vm, vm->frames, vm->capframes * sizeof(struct frame));
  sqmem_free(vm, vm->handlers, vm->caphandlers * sizeof(struct handler));
  vm->alloc(vm->allocud, vm, sizeof(sq_vm), 0);
}

size_t sq_memused(const sq_vm *vm) { return vm->used; }
size_t sq_mempeak(const sq_vm *vm) { return vm->peak; }
void sq_setmemlimit(sq_vm *vm, size_t limit) {
  vm->limit = limit;
  cap_gcthreshold(vm);
}

void sq_collect(sq_vm *vm) {
  if (!vm->parsing)
    sqgc_collect(vm);
}

void sq_setbudget(sq_vm *vm, uint64_t n) {
  vm->hasbudget = n != 0;
  vm->budget = n;
}

void sq_setprint(sq_vm *vm, sq_printfn fn, void *ud) {
  vm->print = fn;
  vm->printud = ud;
}

void sq_print(sq_vm *vm, int iserr, const char *s, size_t len) {
  if (vm->print)
    vm->print(vm->printud, iserr, s, len);
}

int sq_openlibs(sq_vm *vm) {
  int st;
  if ((st = sq_openbaselib(vm)) != SQ_OK ||
      (st = sq_openstringlib(vm)) != SQ_OK ||
      (st = sq_openmathlib(vm)) != SQ_OK ||
      (st = sq_openbloblib(vm)) != SQ_OK)
    return st;
  return SQ_OK;
}

/* ---- stack access ------------------------------------------------------ */

static uint32_t apibase(const sq_vm *vm) {
  if (vm->nframes && (vm->frames[vm->nframes - 1].flags & FR_NATIVE))
    return vm->frames[vm->nframes - 1].base;
  return 0;
}

/* Absolute slot of idx, or UINT32_MAX when it names nothing. */
static uint32_t absidx(const sq_vm *vm, int idx) {
  uint32_t b = apibase(vm);
  if (idx > 0) {
    uint32_t a = b + (uint32_t)idx - 1;
    return a < vm->top ? a : UINT32_MAX;
  }
  if (idx < 0 && (uint32_t)(-idx) <= vm->top - b)
    return vm->top - (uint32_t)(-idx);
  return UINT32_MAX;
}

static sqval at(const sq_vm *vm, int idx) {
  uint32_t a = absidx(vm, idx);
  return a == UINT32_MAX ? V_NULL : vm->stack[a];
}

/* The message of a runtime error: the error value as text. */
static void fillerrmsg(sq_vm *vm, int st) {
  if (st == SQ_ERRMEM) {
    snprintf(vm->errmsg, sizeof vm->errmsg, "out of memory");
  } else if (st == SQ_ERRRUN) {
    sqval e = vm->errval;
    char buf[64];
    const char *s;
    switch (e.t) {
    case SQ_TSTRING: s = e.u.s->data; break;
    case SQ_TNULL: s = "null"; break;
    case SQ_TBOOL: s = e.u.b ? "true" : "false"; break;
    case SQ_TINTEGER: snprintf(buf, sizeof buf, "%d", (int)e.u.i); s = buf; break;
    case SQ_TFLOAT: sqobj_fmtfloat(buf, sizeof buf, e.u.f); s = buf; break;
    default:
      snprintf(buf, sizeof buf, "(%s : 0x%08llx)", sqobj_typename(e),
               (unsigned long long)(uintptr_t)e.u.gc);
      s = buf;
      break;
    }
    snprintf(vm->errmsg, sizeof vm->errmsg, "%s", s);
  }
}

static int protect(sq_vm *vm, sqerr_fn fn, void *ud) {
  uint32_t top = vm->top;
  int st = sqerr_protect(vm, fn, ud);
  if (st != SQ_OK) {
    if (vm->top > top || vm->top < apibase(vm))
      vm->top = top;
    if (st != SQ_ERRSYNTAX && st != SQ_ERRBUDGET)
      fillerrmsg(vm, st);
  }
  return st;
}

int sq_gettop(sq_vm *vm) { return (int)(vm->top - apibase(vm)); }

void sq_settop(sq_vm *vm, int idx) {
  uint32_t b = apibase(vm);
  uint32_t n = idx >= 0 ? b + (uint32_t)idx
                        : vm->top - ((uint32_t)(-idx) - 1);
  if (n < b)
    n = b;
  if (n > vm->stacksize)
    n = vm->stacksize;
  for (uint32_t k = vm->top; k < n; k++)
    vm->stack[k] = V_NULL;
  vm->top = n;
}

void sq_pop(sq_vm *vm, int n) {
  uint32_t b = apibase(vm);
  if (n < 0 || (uint32_t)n > vm->top - b)
    n = (int)(vm->top - b);
  vm->top -= (uint32_t)n;
}

void sq_remove(sq_vm *vm, int idx) {
  uint32_t a = absidx(vm, idx);
  if (a == UINT32_MAX)
    return;
  if (vm->top - a - 1)
    memmove(vm->stack + a, vm->stack + a + 1,
            (vm->top - a - 1) * sizeof(sqval));
  vm->top--;
}

struct pushctx {
  sqval v;
  const char *s;
  size_t len;
  int32_t n;
};

static void push_body(sq_vm *vm, void *ud) {
  struct pushctx *c = ud;
  sqvm_push(vm, c->v);
}

static int pushv(sq_vm *vm, sqval v) {
  if (vm->top < vm->stacksize) {
    vm->stack[vm->top++] = v;
    return SQ_OK;
  }
  struct pushctx c = { .v = v };
  return protect(vm, push_body, &c);
}

int sq_pushvalue(sq_vm *vm, int idx) { return pushv(vm, at(vm, idx)); }
int sq_pushnull(sq_vm *vm) { return pushv(vm, V_NULL); }
int sq_pushbool(sq_vm *vm, bool b) { return pushv(vm, v_bool(b)); }
int sq_pushint(sq_vm *vm, int32_t i) { return pushv(vm, v_int(i)); }
int sq_pushfloat(sq_vm *vm, float f) { return pushv(vm, v_float(f)); }
int sq_pushroot(sq_vm *vm) { return pushv(vm, v_obj(SQ_TTABLE, vm->root)); }
int sq_pushconsts(sq_vm *vm) {
  return pushv(vm, v_obj(SQ_TTABLE, vm->consts));
}
void sq_pushlasterror(sq_vm *vm) { pushv(vm, vm->errval); }

static void pushstr_body(sq_vm *vm, void *ud) {
  struct pushctx *c = ud;
  sqvm_reserve(vm, vm->top + 1);
  struct sqstr *s = sqstr_new(vm, c->s, c->len);
  vm->stack[vm->top++] = v_obj(SQ_TSTRING, s);
}

int sq_pushstring(sq_vm *vm, const char *s, size_t len) {
  struct pushctx c = { .s = s ? s : "", .len = s ? len : 0 };
  if (len == SIZE_MAX)
    c.len = strlen(c.s);
  return protect(vm, pushstr_body, &c);
}

int sq_pushfstring(sq_vm *vm, const char *fmt, ...) {
  char buf[SQ_ERRMAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return sq_pushstring(vm, buf, SIZE_MAX);
}

static void newtable_body(sq_vm *vm, void *ud) {
  (void)ud;
  sqvm_reserve(vm, vm->top + 1);
  vm->stack[vm->top++] = v_obj(SQ_TTABLE, sqtab_new(vm, 0));
}
int sq_newtable(sq_vm *vm) { return protect(vm, newtable_body, NULL); }

static void newarray_body(sq_vm *vm, void *ud) {
  struct pushctx *c = ud;
  sqvm_reserve(vm, vm->top + 1);
  struct sqarray *a = sqobj_newarray(vm, 0);
  vm->stack[vm->top++] = v_obj(SQ_TARRAY, a);
  if (c->n > 0)
    sqobj_arrayresize(vm, a, (uint32_t)c->n, V_NULL);
}
int sq_newarray(sq_vm *vm, int32_t n) {
  struct pushctx c = { .n = n };
  return protect(vm, newarray_body, &c);
}

enum sq_type sq_gettype(sq_vm *vm, int idx) {
  return (enum sq_type)at(vm, idx).t;
}

bool sq_isnumber(sq_vm *vm, int idx) {
  sqval v = at(vm, idx);
  return v.t == SQ_TINTEGER || v.t == SQ_TFLOAT;
}

bool sq_truthy(sq_vm *vm, int idx) { return !v_falsy(at(vm, idx)); }

int32_t sq_toint(sq_vm *vm, int idx) {
  sqval v = at(vm, idx);
  switch (v.t) {
  case SQ_TINTEGER: return v.u.i;
  case SQ_TFLOAT:
    if (!(v.u.f >= -2147483648.0f && v.u.f < 2147483648.0f))
      return v.u.f > 0 ? INT32_MAX : INT32_MIN;
    return (int32_t)v.u.f;
  case SQ_TBOOL: return v.u.b;
  default: return 0;
  }
}

float sq_tofloat(sq_vm *vm, int idx) {
  sqval v = at(vm, idx);
  switch (v.t) {
  case SQ_TINTEGER: return (float)v.u.i;
  case SQ_TFLOAT: return v.u.f;
  case SQ_TBOOL: return v.u.b;
  default: return 0;
  }
}

const char *sq_tostr(sq_vm *vm, int idx, size_t *len) {
  sqval v = at(vm, idx);
  if (v.t != SQ_TSTRING)
    return NULL;
  if (len)
    *len = v.u.s->len;
  return v.u.s->data;
}

struct idxctx {
  uint32_t a, b;
  int32_t i;
  int res;
  sqval v;
};

static void tostring_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  struct sqstr *s = sqvm_tostring(vm, vm->stack[c->a]);
  sqvm_push(vm, v_obj(SQ_TSTRING, s));
}

int sq_tostring(sq_vm *vm, int idx) {
  struct idxctx c = { .a = absidx(vm, idx) };
  if (c.a == UINT32_MAX)
    return sq_pushstring(vm, "null", 4);
  return protect(vm, tostring_body, &c);
}

/* ---- argument checks --------------------------------------------------- */

static int badtype(sq_vm *vm, int idx, const char *expected) {
  sqval v = at(vm, idx);
  return sq_error(vm, "parameter %d has an invalid type '%s' ; expected: "
                  "'%s'", idx - 1, sqobj_typename(v), expected);
}

int sq_checkint(sq_vm *vm, int idx, int32_t *out) {
  if (!sq_isnumber(vm, idx))
    return badtype(vm, idx, "integer|float");
  *out = sq_toint(vm, idx);
  return 0;
}

int sq_checkfloat(sq_vm *vm, int idx, float *out) {
  if (!sq_isnumber(vm, idx))
    return badtype(vm, idx, "integer|float");
  *out = sq_tofloat(vm, idx);
  return 0;
}

int sq_checkstr(sq_vm *vm, int idx, const char **s, size_t *len) {
  const char *p = sq_tostr(vm, idx, len);
  if (!p)
    return badtype(vm, idx, "string");
  *s = p;
  return 0;
}

int sq_checktype(sq_vm *vm, int idx, enum sq_type t) {
  sqval v = at(vm, idx);
  bool ok = v.t == (uint32_t)t ||
            (t == SQ_TCLOSURE && v.t == SQ_TNATIVE);
  if (!ok)
    return badtype(vm, idx, sq_typename(t));
  return 0;
}

/* ---- containers --------------------------------------------------------- */

static void get_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  sqval v = sqvm_get(vm, vm->stack[c->a], vm->stack[vm->top - 1]);
  vm->stack[vm->top - 1] = v;
}

static bool needkey(sq_vm *vm, uint32_t a, int n) {
  return a != UINT32_MAX && vm->top >= apibase(vm) + (uint32_t)n;
}

int sq_get(sq_vm *vm, int idx) {
  struct idxctx c = { .a = absidx(vm, idx) };
  if (!needkey(vm, c.a, 1))
    return sq_error(vm, "sq_get: bad index"), SQ_ERRRUN;
  int st = protect(vm, get_body, &c);
  if (st != SQ_OK)
    sq_pop(vm, 1);
  return st;
}

static void rawget_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  sqval o = vm->stack[c->a], k = vm->stack[vm->top - 1], v;
  bool found = false;
  if (o.t == SQ_TTABLE)
    found = sqtab_get(o.u.tab, k, &v);
  else if (o.t == SQ_TINSTANCE)
    found = sqobj_instanceget(o.u.ins, k, &v);
  else if (o.t == SQ_TCLASS)
    found = sqobj_classget(o.u.cls, k, &v);
  else
    found = sqvm_tryget(vm, o, k, &v);
  if (!found)
    sqvm_get(vm, V_NULL, k);   /* raises "the index ... does not exist" */
  vm->stack[vm->top - 1] = v;
}

int sq_rawget(sq_vm *vm, int idx) {
  struct idxctx c = { .a = absidx(vm, idx) };
  if (!needkey(vm, c.a, 1))
    return sq_error(vm, "sq_rawget: bad index"), SQ_ERRRUN;
  int st = protect(vm, rawget_body, &c);
  if (st != SQ_OK)
    sq_pop(vm, 1);
  return st;
}

enum { SET_NORMAL, SET_NEWSLOT, SET_RAW };

static void set_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  sqval o = vm->stack[c->a];
  sqval k = vm->stack[vm->top - 2], v = vm->stack[vm->top - 1];
  switch (c->res) {
  case SET_NORMAL: sqvm_set(vm, o, k, v); break;
  case SET_NEWSLOT: sqvm_newslot(vm, o, k, v); break;
  default:
    if (k.t == SQ_TNULL)
      sqvm_errorf(vm, "null cannot be used as index");
    if (o.t == SQ_TTABLE)
      sqtab_set(vm, o.u.tab, k, v);
    else if (o.t == SQ_TINSTANCE) {
      if (!sqobj_instanceset(o.u.ins, k, v))
        sqvm_set(vm, V_NULL, k, v);
    } else if (o.t == SQ_TCLASS) {
      if (!sqobj_classset(vm, o.u.cls, k, v, false))
        sqvm_errorf(vm, "trying to modify a class that has already been "
                        "instantiated");
    } else {
      sqvm_set(vm, o, k, v);
    }
    break;
  }
}

static int doset(sq_vm *vm, int idx, int mode) {
  struct idxctx c = { .a = absidx(vm, idx), .res = mode };
  if (!needkey(vm, c.a, 2))
    return sq_error(vm, "sq_set: bad index"), SQ_ERRRUN;
  int st = protect(vm, set_body, &c);
  if (vm->top >= 2 + apibase(vm))
    vm->top -= 2;
  return st;
}

int sq_set(sq_vm *vm, int idx) { return doset(vm, idx, SET_NORMAL); }
int sq_newslot(sq_vm *vm, int idx) { return doset(vm, idx, SET_NEWSLOT); }
int sq_rawset(sq_vm *vm, int idx) { return doset(vm, idx, SET_RAW); }

int sq_rawdelete(sq_vm *vm, int idx) {
  sqval o = at(vm, idx);
  if (vm->top <= apibase(vm))
    return SQ_ERRRUN;
  sqval k = vm->stack[vm->top - 1], old = V_NULL;
  if (o.t == SQ_TTABLE)
    sqtab_delete(o.u.tab, k, &old);
  vm->stack[vm->top - 1] = old;
  return SQ_OK;
}

bool sq_rawin(sq_vm *vm, int idx) {
  sqval o = at(vm, idx);
  if (vm->top <= apibase(vm))
    return false;
  sqval k = vm->stack[--vm->top], v;
  switch (o.t) {
  case SQ_TTABLE: return sqtab_find(o.u.tab, k) != NULL;
  case SQ_TINSTANCE: return sqobj_instanceget(o.u.ins, k, &v);
  case SQ_TCLASS: return sqobj_classget(o.u.cls, k, &v);
  default: return sqvm_in(vm, k, o);
  }
}

static void append_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  sqobj_arraypush(vm, vm->stack[c->a].u.arr, vm->stack[vm->top - 1]);
}

int sq_arrayappend(sq_vm *vm, int idx) {
  struct idxctx c = { .a = absidx(vm, idx) };
  if (!needkey(vm, c.a, 1) || vm->stack[c.a].t != SQ_TARRAY)
    return sq_error(vm, "sq_arrayappend: not an array"), SQ_ERRRUN;
  int st = protect(vm, append_body, &c);
  vm->top--;
  return st;
}

static struct sqarray *arrayat(sq_vm *vm, int idx) {
  sqval v = at(vm, idx);
  return v.t == SQ_TARRAY ? v.u.arr : NULL;
}

int sq_arrayget(sq_vm *vm, int idx, int32_t i) {
  struct sqarray *a = arrayat(vm, idx);
  if (!a || i < 0 || (uint32_t)i >= a->len)
    return sq_error(vm, "the index '%d' does not exist", (int)i), SQ_ERRRUN;
  return pushv(vm, a->v[i]);
}

int sq_arrayset(sq_vm *vm, int idx, int32_t i) {
  struct sqarray *a = arrayat(vm, idx);
  if (vm->top <= apibase(vm))
    return SQ_ERRRUN;
  sqval v = vm->stack[--vm->top];
  if (!a || i < 0 || (uint32_t)i >= a->len)
    return sq_error(vm, "the index '%d' does not exist", (int)i), SQ_ERRRUN;
  a->v[i] = v;
  return SQ_OK;
}

static void resize_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  sqobj_arrayresize(vm, vm->stack[c->a].u.arr, (uint32_t)c->i, c->v);
}

int sq_arrayresize(sq_vm *vm, int idx, int32_t n) {
  struct idxctx c = { .a = absidx(vm, idx), .i = n, .v = V_NULL };
  if (c.a == UINT32_MAX || vm->stack[c.a].t != SQ_TARRAY || n < 0)
    return sq_error(vm, "sq_arrayresize: bad array or size"), SQ_ERRRUN;
  return protect(vm, resize_body, &c);
}

static void insert_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  sqobj_arrayinsert(vm, vm->stack[c->a].u.arr, (uint32_t)c->i, c->v);
}

int sq_arrayinsert(sq_vm *vm, int idx, int32_t i) {
  struct idxctx c = { .a = absidx(vm, idx), .i = i };
  struct sqarray *a = arrayat(vm, idx);
  if (vm->top <= apibase(vm))
    return SQ_ERRRUN;
  c.v = vm->stack[vm->top - 1];
  if (!a || i < 0 || (uint32_t)i > a->len) {
    vm->top--;
    return sq_error(vm, "index out of range"), SQ_ERRRUN;
  }
  int st = protect(vm, insert_body, &c);
  vm->top--;
  return st;
}

int sq_arrayremove(sq_vm *vm, int idx, int32_t i) {
  struct sqarray *a = arrayat(vm, idx);
  if (!a || i < 0 || (uint32_t)i >= a->len)
    return sq_error(vm, "index out of range"), SQ_ERRRUN;
  sqval v = a->v[i];
  sqobj_arrayremove(a, (uint32_t)i);
  return pushv(vm, v);
}

int32_t sq_len(sq_vm *vm, int idx) {
  sqval v = at(vm, idx);
  switch (v.t) {
  case SQ_TSTRING: return (int32_t)v.u.s->len;
  case SQ_TARRAY: return (int32_t)v.u.arr->len;
  case SQ_TTABLE: return (int32_t)v.u.tab->count;
  default: return -1;
  }
}

int sq_next(sq_vm *vm, int idx, int it) {
  sqval o = at(vm, idx), k, v;
  int nx;
  switch (o.t) {
  case SQ_TTABLE:
    nx = sqtab_next(o.u.tab, it, &k, &v);
    break;
  case SQ_TARRAY:
    if (it < 0 || (uint32_t)it >= o.u.arr->len)
      return -1;
    k = v_int(it);
    v = o.u.arr->v[it];
    nx = it + 1;
    break;
  case SQ_TCLASS:
    nx = sqtab_next(o.u.cls->members, it, &k, &v);
    if (nx >= 0)
      sqobj_classget(o.u.cls, k, &v);
    break;
  case SQ_TINSTANCE:
    nx = sqtab_next(o.u.ins->cls->members, it, &k, &v);
    if (nx >= 0)
      sqobj_instanceget(o.u.ins, k, &v);
    break;
  default:
    return -1;
  }
  if (nx < 0)
    return -1;
  if (pushv(vm, k) != SQ_OK)
    return -1;
  if (pushv(vm, v) != SQ_OK) {
    vm->top--;
    return -1;
  }
  return nx;
}

int sq_clear(sq_vm *vm, int idx) {
  sqval o = at(vm, idx);
  if (o.t == SQ_TTABLE)
    sqtab_clear(vm, o.u.tab);
  else if (o.t == SQ_TARRAY)
    o.u.arr->len = 0;
  else
    return SQ_ERRRUN;
  return SQ_OK;
}

int sq_setdelegate(sq_vm *vm, int idx) {
  sqval o = at(vm, idx);
  if (vm->top <= apibase(vm))
    return SQ_ERRRUN;
  sqval d = vm->stack[--vm->top];
  if (o.t != SQ_TTABLE || (d.t != SQ_TTABLE && d.t != SQ_TNULL))
    return sq_error(vm, "only tables can have table delegates"), SQ_ERRRUN;
  for (struct sqtable *t = d.t == SQ_TTABLE ? d.u.tab : NULL; t;
       t = t->delegate)
    if (t == o.u.tab)
      return sq_error(vm, "delegate cycle"), SQ_ERRRUN;
  o.u.tab->delegate = d.t == SQ_TTABLE ? d.u.tab : NULL;
  return SQ_OK;
}

int sq_getdelegate(sq_vm *vm, int idx) {
  sqval o = at(vm, idx);
  if (o.t == SQ_TTABLE && o.u.tab->delegate)
    return pushv(vm, v_obj(SQ_TTABLE, o.u.tab->delegate));
  return pushv(vm, V_NULL);
}

int sq_settypedelegate(sq_vm *vm, enum sq_type t) {
  if (vm->top <= apibase(vm) || (unsigned)t > SQ_TWEAKREF)
    return SQ_ERRRUN;
  vm->typedeleg[t] = vm->stack[--vm->top];
  return SQ_OK;
}

static void clone_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  sqval r = sqvm_clone(vm, vm->stack[c->a]);
  sqvm_push(vm, r);
}

int sq_clone(sq_vm *vm, int idx) {
  struct idxctx c = { .a = absidx(vm, idx) };
  if (c.a == UINT32_MAX)
    return SQ_ERRRUN;
  return protect(vm, clone_body, &c);
}

static void cmp_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  c->res = sqvm_compare(vm, vm->stack[c->a], vm->stack[c->b]);
}

int sq_cmp(sq_vm *vm, int a, int b, int *res) {
  struct idxctx c = { .a = absidx(vm, a), .b = absidx(vm, b) };
  if (c.a == UINT32_MAX || c.b == UINT32_MAX)
    return SQ_ERRRUN;
  int st = protect(vm, cmp_body, &c);
  *res = c.res;
  return st;
}

bool sq_rawequal(sq_vm *vm, int a, int b) {
  return sqobj_rawequal(at(vm, a), at(vm, b));
}

/* ---- classes ------------------------------------------------------------- */

static void newclass_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  struct sqclass *base = NULL;
  if (c->res) {
    sqval b = vm->stack[vm->top - 1];
    if (b.t != SQ_TCLASS)
      sqvm_errorf(vm, "trying to inherit from a %s", sqobj_typename(b));
    base = b.u.cls;
  }
  struct sqclass *k = sqobj_newclass(vm, base);
  if (c->res)
    vm->stack[vm->top - 1] = v_obj(SQ_TCLASS, k);
  else
    sqvm_push(vm, v_obj(SQ_TCLASS, k));
}

int sq_newclass(sq_vm *vm, bool hasbase) {
  struct idxctx c = { .res = hasbase };
  if (hasbase && vm->top <= apibase(vm))
    return SQ_ERRRUN;
  return protect(vm, newclass_body, &c);
}

void sq_settypetag(sq_vm *vm, int idx, const void *tag) {
  sqval v = at(vm, idx);
  if (v.t == SQ_TCLASS)
    v.u.cls->typetag = tag;
}

void sq_setreleasehook(sq_vm *vm, int idx, sq_release fn) {
  sqval v = at(vm, idx);
  if (v.t == SQ_TCLASS)
    v.u.cls->release = fn;
}

static void createinst_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  sqval k = vm->stack[c->a];
  if (k.t != SQ_TCLASS)
    sqvm_errorf(vm, "not a class");
  sqvm_reserve(vm, vm->top + 1);
  vm->stack[vm->top++] = v_obj(SQ_TINSTANCE,
                               sqobj_newinstance(vm, k.u.cls));
}

int sq_createinstance(sq_vm *vm, int idx) {
  struct idxctx c = { .a = absidx(vm, idx) };
  if (c.a == UINT32_MAX)
    return SQ_ERRRUN;
  return protect(vm, createinst_body, &c);
}

void *sq_getinstanceup(sq_vm *vm, int idx, const void *tag) {
  sqval v = at(vm, idx);
  if (v.t != SQ_TINSTANCE)
    return NULL;
  if (tag) {
    bool ok = false;
    for (struct sqclass *k = v.u.ins->cls; k && !ok; k = k->base)
      ok = k->typetag == tag;
    if (!ok)
      return NULL;
  }
  return v.u.ins->up;
}

void sq_setinstanceup(sq_vm *vm, int idx, void *up) {
  sqval v = at(vm, idx);
  if (v.t == SQ_TINSTANCE)
    v.u.ins->up = up;
}

bool sq_instanceof(sq_vm *vm, int inst, int cls) {
  sqval a = at(vm, inst), c = at(vm, cls);
  if (a.t != SQ_TINSTANCE || c.t != SQ_TCLASS)
    return false;
  for (struct sqclass *k = a.u.ins->cls; k; k = k->base)
    if (k == c.u.cls)
      return true;
  return false;
}

int sq_getclass(sq_vm *vm, int idx) {
  sqval a = at(vm, idx);
  if (a.t != SQ_TINSTANCE)
    return pushv(vm, V_NULL);
  return pushv(vm, v_obj(SQ_TCLASS, a.u.ins->cls));
}

int sq_getbase(sq_vm *vm, int idx) {
  sqval a = at(vm, idx);
  if (a.t != SQ_TCLASS || !a.u.cls->base)
    return pushv(vm, V_NULL);
  return pushv(vm, v_obj(SQ_TCLASS, a.u.cls->base));
}

/* ---- functions ------------------------------------------------------------- */

struct nativectx {
  sq_native fn;
  const char *name;
  int nparams;
  void *ud;
};

static void newnative_body(sq_vm *vm, void *ud) {
  struct nativectx *c = ud;
  sqvm_reserve(vm, vm->top + 1);
  struct sqstr *nm = sqstr_newc(vm, c->name ? c->name : "native");
  vm->stack[vm->top++] = v_obj(SQ_TSTRING, nm);
  struct sqnative *n = sqobj_newnative(vm, c->fn, nm, c->nparams, c->ud);
  vm->stack[vm->top - 1] = v_obj(SQ_TNATIVE, n);
}

int sq_newnative(sq_vm *vm, sq_native fn, const char *name, int nparams,
                 void *ud) {
  struct nativectx c = { fn, name, nparams, ud };
  return protect(vm, newnative_body, &c);
}

void *sq_nativeud(sq_vm *vm) {
  if (vm->nframes && (vm->frames[vm->nframes - 1].flags & FR_NATIVE))
    return vm->frames[vm->nframes - 1].func.u.nat->ud;
  return NULL;
}

int sq_pushcaller(sq_vm *vm) {
  if (vm->nframes >= 2)
    return pushv(vm, vm->frames[vm->nframes - 2].func);
  return pushv(vm, V_NULL);
}

struct callctx {
  uint32_t fidx;
  int nargs;
};

static void call_body(sq_vm *vm, void *ud) {
  struct callctx *c = ud;
  sqvm_gccheck(vm);
  sqvm_call(vm, c->fidx, c->nargs);
}

int sq_call(sq_vm *vm, int nargs) {
  uint32_t b = apibase(vm);
  if (nargs < 1 || vm->top < b + (uint32_t)nargs + 1)
    return sq_error(vm, "sq_call: not enough values on the stack"),
           SQ_ERRRUN;
  struct callctx c = { vm->top - (uint32_t)nargs - 1, nargs };
  uint32_t nframes = vm->nframes, nhandlers = vm->nhandlers;
  int st = sqerr_protect(vm, call_body, &c);
  if (st != SQ_OK) {
    vm->nframes = nframes;
    vm->nhandlers = nhandlers;
    sqvm_closeouters(vm, c.fidx);
    vm->top = c.fidx;
    if (st != SQ_ERRBUDGET)
      fillerrmsg(vm, st);
  }
  return st;
}

static void error_body(sq_vm *vm, void *ud) {
  const char *msg = ud;
  vm->errval = v_obj(SQ_TSTRING, sqstr_newc(vm, msg));
  sqvm_settrace(vm);
}

int sq_error(sq_vm *vm, const char *fmt, ...) {
  char buf[SQ_ERRMAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  vm->errval = V_NULL;
  if (sqerr_protect(vm, error_body, buf) != SQ_OK)
    vm->errval = V_NULL;
  snprintf(vm->errmsg, sizeof vm->errmsg, "%s", buf);
  return -1;
}

int sq_throw(sq_vm *vm) {
  if (vm->top > apibase(vm))
    vm->errval = vm->stack[--vm->top];
  else
    vm->errval = V_NULL;
  sqvm_settrace(vm);
  return -1;
}

static void bindenv_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  sqval f = vm->stack[c->a], env = vm->stack[vm->top - 1];
  if (f.t == SQ_TCLOSURE) {
    struct sqclosure *o = f.u.cl;
    struct sqclosure *n = sqobj_newclosure(vm, o->p);
    n->base = o->base;
    n->env = env;
    if (o->p->ndefaults)
      memcpy(n->defaults, o->defaults, o->p->ndefaults * sizeof(sqval));
    if (o->p->nouters)
      memcpy(n->outers, o->outers,
             o->p->nouters * sizeof(struct sqouter *));
    vm->stack[vm->top - 1] = v_obj(SQ_TCLOSURE, n);
  } else if (f.t == SQ_TNATIVE) {
    struct sqnative *o = f.u.nat;
    struct sqnative *n =
        sqobj_newnative(vm, o->fn, o->name, o->nparams, o->ud);
    n->env = env;
    vm->stack[vm->top - 1] = v_obj(SQ_TNATIVE, n);
  } else {
    sqvm_errorf(vm, "bindenv: not a function");
  }
}

int sq_bindenv(sq_vm *vm, int idx) {
  struct idxctx c = { .a = absidx(vm, idx) };
  if (!needkey(vm, c.a, 1))
    return SQ_ERRRUN;
  return protect(vm, bindenv_body, &c);
}

/* ---- references ----------------------------------------------------------- */

static void ref_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  struct sqarray *r = vm->refs;
  for (uint32_t i = 0; i < r->len; i++)
    if (r->v[i].t == SQ_TNULL) {
      r->v[i] = c->v;
      c->res = (int)i;
      return;
    }
  sqobj_arraypush(vm, r, c->v);
  c->res = (int)r->len - 1;
}

int sq_ref(sq_vm *vm, int idx) {
  struct idxctx c = { .v = at(vm, idx), .res = -1 };
  if (c.v.t == SQ_TNULL)
    c.v = v_bool(false);  /* keep the slot taken; pushref gives false */
  if (protect(vm, ref_body, &c) != SQ_OK)
    return -1;
  if (at(vm, idx).t == SQ_TNULL)
    vm->refs->v[c.res] = v_obj(SQ_TARRAY, vm->refs);
  return c.res;
}

int sq_pushref(sq_vm *vm, int ref) {
  struct sqarray *r = vm->refs;
  if (ref < 0 || (uint32_t)ref >= r->len)
    return pushv(vm, V_NULL);
  sqval v = r->v[ref];
  if (v.t == SQ_TARRAY && v.u.arr == r)
    v = V_NULL;
  return pushv(vm, v);
}

void sq_unref(sq_vm *vm, int ref) {
  struct sqarray *r = vm->refs;
  if (ref >= 0 && (uint32_t)ref < r->len)
    r->v[ref] = V_NULL;
}

/* ---- memory ------------------------------------------------------------------ */

struct reallocctx {
  void *p, *res;
  size_t old, nsize;
};

static void realloc_body(sq_vm *vm, void *ud) {
  struct reallocctx *c = ud;
  c->res = sqmem_realloc(vm, c->p, c->old, c->nsize);
}

void *sq_realloc(sq_vm *vm, void *p, size_t oldsize, size_t newsize) {
  if (vm->errjmp)
    return sqmem_realloc(vm, p, oldsize, newsize);
  struct reallocctx c = { p, NULL, oldsize, newsize };
  if (sqerr_protect(vm, realloc_body, &c) != SQ_OK)
    return NULL;
  return c.res;
}

/* ---- compiling ------------------------------------------------------------- */

struct compilectx {
  const char *src;
  size_t len;
  const char *chunk;
};

static void compile_body(sq_vm *vm, void *ud) {
  struct compilectx *c = ud;
  sqvm_reserve(vm, vm->top + 1);
  struct sqproto *p = sqparse_compile(vm, c->src, c->len, c->chunk);
  vm->stack[vm->top++] = v_obj(SQT_PROTO, p);
  struct sqclosure *cl = sqobj_newclosure(vm, p);
  vm->stack[vm->top - 1] = v_obj(SQ_TCLOSURE, cl);
}

int sq_compile(sq_vm *vm, const char *src, size_t len, const char *chunk) {
  struct compilectx c = { src ? src : "", src ? len : 0,
                          chunk ? chunk : "?" };
  uint32_t top = vm->top;
  int st = sqerr_protect(vm, compile_body, &c);
  if (st != SQ_OK) {
    sqparse_cleanup(vm);
    vm->top = top;
    if (st == SQ_ERRMEM)
      snprintf(vm->errmsg, sizeof vm->errmsg, "%s: out of memory "
               "while compiling", c.chunk);
    vm->trace[0] = 0;
  }
  return st;
}

int sq_dobuffer(sq_vm *vm, const char *src, size_t len, const char *chunk) {
  uint32_t top = vm->top;
  int st = sq_compile(vm, src, len, chunk);
  if (st == SQ_OK) {
    st = sq_pushroot(vm);
    if (st == SQ_OK)
      st = sq_call(vm, 1);
  }
  vm->top = top;
  return st;
}

const char *sq_lasterror(const sq_vm *vm) { return vm->errmsg; }
const char *sq_traceback(const sq_vm *vm) { return vm->trace; }

/* ---- weak references, generators, registration ------------------------ */

static void weakref_body(sq_vm *vm, void *ud) {
  struct idxctx *c = ud;
  sqval v = vm->stack[c->a];
  if (v_iscollectable(v) && v.t != SQ_TWEAKREF)
    v = v_obj(SQ_TWEAKREF, sqobj_newweak(vm, v));
  sqvm_push(vm, v);
}

int sq_weakref(sq_vm *vm, int idx) {
  struct idxctx c = { .a = absidx(vm, idx) };
  if (c.a == UINT32_MAX)
    return SQ_ERRRUN;
  return protect(vm, weakref_body, &c);
}

int sq_weakderef(sq_vm *vm, int idx) {
  sqval v = at(vm, idx);
  if (v.t == SQ_TWEAKREF)
    v = v.u.weak->target;
  return pushv(vm, v);
}

const char *sq_genstatus(sq_vm *vm, int idx) {
  sqval v = at(vm, idx);
  if (v.t != SQ_TGENERATOR)
    return NULL;
  switch (v.u.gen->state) {
  case GEN_SUSPENDED: return "suspended";
  case GEN_RUNNING: return "running";
  default: return "dead";
  }
}

int sq_register(sq_vm *vm, int idx, const struct sq_reg *list) {
  uint32_t a = absidx(vm, idx);
  if (a == UINT32_MAX)
    return SQ_ERRRUN;
  int t = (int)(a - apibase(vm)) + 1;
  for (; list->name; list++) {
    int st;
    if ((st = sq_pushstring(vm, list->name, SIZE_MAX)) != SQ_OK)
      return st;
    if ((st = sq_newnative(vm, list->fn, list->name, list->nparams,
                           NULL)) != SQ_OK) {
      sq_pop(vm, 1);
      return st;
    }
    if ((st = sq_newslot(vm, t)) != SQ_OK)
      return st;
  }
  return SQ_OK;
}
