/*
** vm.c: the Squirrel virtual machine. Script-to-script calls stay inside
** one dispatch loop (no C recursion per call); natives, metamethods and
** generators re-enter it, bounded by SQ_MAXCDEPTH. Each loop runs under
** its own protection so try/catch can resume it after a throw.
*/
#include "vm.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "gc.h"
#include "mem.h"
#include "obj.h"

static sqval S_(struct sqstr *s) { return v_obj(SQ_TSTRING, s); }

/* ---- errors ---------------------------------------------------------- */

static int frameline(const struct frame *f) {
  if (f->flags & FR_NATIVE)
    return -1;
  const struct sqproto *p = f->func.u.cl->p;
  ptrdiff_t i = f->pc - p->code - 1;
  if (i < 0)
    i = 0;
  if ((uint32_t)i >= p->ncode)
    return p->ncode ? p->lines[p->ncode - 1] : 0;
  return p->lines[i];
}

void sqvm_settrace(sq_vm *vm) {
  size_t n = 0, cap = sizeof vm->trace;
  vm->trace[0] = 0;
  uint32_t shown = 0;
  for (uint32_t k = vm->nframes; k-- > 0;) {
    const struct frame *f = &vm->frames[k];
    int w;
    if (shown++ >= SQ_TRACEFRAMES) {
      w = snprintf(vm->trace + n, cap - n, "  ...\n");
      if (w > 0 && (size_t)w < cap - n)
        n += (size_t)w;
      break;
    }
    if (f->flags & FR_NATIVE) {
      const struct sqnative *nf = f->func.u.nat;
      w = snprintf(vm->trace + n, cap - n, "  at %s (native)\n",
                   nf->name ? nf->name->data : "native");
    } else {
      const struct sqproto *p = f->func.u.cl->p;
      w = snprintf(vm->trace + n, cap - n, "  at %s (%s:%d)\n",
                   p->name ? p->name->data : "anonymous",
                   p->chunk ? p->chunk->data : "?", frameline(f));
    }
    if (w < 0 || (size_t)w >= cap - n)
      break;
    n += (size_t)w;
  }
}

_Noreturn void sqvm_throw(sq_vm *vm, sqval v) {
  vm->errval = v;
  sqvm_settrace(vm);
  sqerr_throw(vm, SQ_ERRRUN);
}

_Noreturn void sqvm_errorf(sq_vm *vm, const char *fmt, ...) {
  char buf[SQ_ERRMAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  vm->errval = V_NULL;
  vm->errval = S_(sqstr_newc(vm, buf));
  sqvm_settrace(vm);
  sqerr_throw(vm, SQ_ERRRUN);
}

/* Squirrel's PrintObjVal: strings and numbers as text, else type name. */
static const char *objval(sqval v, char *buf, size_t n) {
  switch (v.t) {
  case SQ_TSTRING: return v.u.s->data;
  case SQ_TINTEGER: snprintf(buf, n, "%d", (int)v.u.i); return buf;
  case SQ_TFLOAT: sqobj_fmtfloat(buf, n, v.u.f); return buf;
  default: return sqobj_typename(v);
  }
}

static _Noreturn void noindex(sq_vm *vm, sqval k) {
  char b[64];
  sqvm_errorf(vm, "the index '%.80s' does not exist", objval(k, b, sizeof b));
}

/* ---- stack, frames, outers ------------------------------------------- */

void sqvm_reserve(sq_vm *vm, uint32_t n) {
  if (n <= vm->stacksize)
    return;
  if (n > SQ_MAXSTACK)
    sqvm_errorf(vm, "stack overflow");
  uint32_t ns = vm->stacksize ? vm->stacksize : 256;
  while (ns < n)
    ns *= 2;
  if (ns > SQ_MAXSTACK)
    ns = SQ_MAXSTACK;
  vm->stack = sqmem_realloc(vm, vm->stack, vm->stacksize * sizeof(sqval),
                            ns * sizeof(sqval));
  for (uint32_t i = vm->stacksize; i < ns; i++)
    vm->stack[i] = V_NULL;
  vm->stacksize = ns;
}

void sqvm_push(sq_vm *vm, sqval v) {
  sqvm_reserve(vm, vm->top + 1);
  vm->stack[vm->top++] = v;
}

static struct frame *pushframe(sq_vm *vm) {
  if (vm->nframes >= SQ_MAXFRAMES)
    sqvm_errorf(vm, "stack overflow");
  if (vm->nframes >= vm->capframes)
    vm->frames = sqmem_grow(vm, vm->frames, &vm->capframes,
                            vm->nframes + 1, sizeof(struct frame));
  return &vm->frames[vm->nframes++];
}

static struct sqouter *findouter(sq_vm *vm, uint32_t idx) {
  struct sqouter **pp = &vm->openouters;
  while (*pp && (*pp)->idx > idx)
    pp = &(*pp)->next;
  if (*pp && (*pp)->idx == idx)
    return *pp;
  struct sqouter *o = sqobj_newouter(vm, idx);
  o->next = *pp;
  *pp = o;
  return o;
}

void sqvm_closeouters(sq_vm *vm, uint32_t level) {
  while (vm->openouters && vm->openouters->idx >= level) {
    struct sqouter *o = vm->openouters;
    o->closed = vm->stack[o->idx];
    o->open = false;
    vm->openouters = o->next;
    o->next = NULL;
  }
}

static sqval outerget(sq_vm *vm, struct sqouter *o) {
  return o->open ? vm->stack[o->idx] : o->closed;
}

static void outerset(sq_vm *vm, struct sqouter *o, sqval v) {
  if (o->open)
    vm->stack[o->idx] = v;
  else
    o->closed = v;
}

void sqvm_gccheck(sq_vm *vm) {
#ifdef SQ_GCSTRESS   /* test builds: collect at every safe point */
  if (!vm->parsing)
    sqgc_collect(vm);
#else
  if (vm->used > vm->gcthreshold && !vm->parsing)
    sqgc_collect(vm);
#endif
}

static void budget(sq_vm *vm) {
  if (vm->hasbudget) {
    if (vm->budget == 0) {
      snprintf(vm->errmsg, sizeof vm->errmsg,
               "instruction budget exhausted");
      sqvm_settrace(vm);
      sqerr_throw(vm, SQ_ERRBUDGET);
    }
    vm->budget--;
  }
}

/* ---- calls ------------------------------------------------------------ */

/* Lays out parameters of cl for a call at fidx with nargs values;
** returns the number of registers holding parameters. */
static void setupargs(sq_vm *vm, struct sqclosure *cl, uint32_t fidx,
                      int nargs) {
  struct sqproto *p = cl->p;
  uint32_t nb = fidx + 1;
  int np = p->nparams;
  sqvm_reserve(vm, nb + p->maxstack + 1);
  sqval *S = vm->stack;
  int minargs = np - p->ndefaults;
  int filled;
  if (p->varargs) {
    if (nargs < minargs)
      sqvm_errorf(vm, "wrong number of parameters");
    int extra = nargs > np ? nargs - np : 0;
    struct sqarray *va = sqobj_newarray(vm, (uint32_t)extra);
    S = vm->stack;
    for (int k = 0; k < extra; k++)
      va->v[k] = S[nb + (uint32_t)(np + k)];
    for (int k = nargs; k < np; k++)
      S[nb + (uint32_t)k] = cl->defaults[k - minargs];
    S[nb + (uint32_t)np] = v_obj(SQ_TARRAY, va);
    filled = np + 1;
  } else {
    if (nargs > np || nargs < minargs)
      sqvm_errorf(vm, "wrong number of parameters");
    for (int k = nargs; k < np; k++)
      S[nb + (uint32_t)k] = cl->defaults[k - minargs];
    filled = np;
  }
  /* The registers above the arguments are not cleared: the compiler
  ** writes each before reading it, and the collector nulls the stack
  ** above the top, so what they hold is either null or still alive. */
  (void)filled;
  if (cl->env.t != SQ_TNULL)
    S[nb] = cl->env;
}

static void enterclosure(sq_vm *vm, struct sqclosure *cl, uint32_t fidx,
                         int nargs, uint8_t flags) {
  setupargs(vm, cl, fidx, nargs);
  struct frame *f = pushframe(vm);
  f->func = v_obj(SQ_TCLOSURE, cl);
  f->pc = cl->p->code;
  f->base = fidx + 1;
  f->ret = fidx;
  f->top = 0;
  f->flags = flags;
  f->nhandlers = (uint16_t)vm->nhandlers;
  vm->top = fidx + 1 + cl->p->maxstack;
}

static void makegenerator(sq_vm *vm, struct sqclosure *cl, uint32_t fidx,
                          int nargs) {
  setupargs(vm, cl, fidx, nargs);
  struct sqgen *g = sqobj_newgen(vm, cl);
  uint32_t n = cl->p->maxstack;
  g->stack = sqmem_alloc(vm, n * sizeof(sqval));
  g->nstack = n;
  memcpy(g->stack, vm->stack + fidx + 1, n * sizeof(sqval));
  vm->stack[fidx] = v_obj(SQ_TGENERATOR, g);
  vm->top = fidx + 1;
}

static void callnative(sq_vm *vm, uint32_t fidx, int nargs) {
  struct sqnative *n = vm->stack[fidx].u.nat;
  if ((n->nparams > 0 && nargs != n->nparams) ||
      (n->nparams < 0 && nargs < -n->nparams))
    sqvm_errorf(vm, "wrong number of parameters");
  if (n->env.t != SQ_TNULL)
    vm->stack[fidx + 1] = n->env;
  struct frame *f = pushframe(vm);
  f->func = vm->stack[fidx];
  f->pc = NULL;
  f->base = fidx + 1;
  f->ret = fidx;
  f->flags = FR_NATIVE;
  f->nhandlers = (uint16_t)vm->nhandlers;
  vm->top = fidx + 1 + (uint32_t)nargs;
  f->top = vm->top;
  int r = n->fn(vm);
  if (vm->fatal)
    sqerr_throw(vm, vm->fatal);
  if (r < 0) {
    vm->nframes--;
    sqerr_throw(vm, SQ_ERRRUN);
  }
  sqval res = (r > 0 && vm->top > fidx + 1) ? vm->stack[vm->top - 1] : V_NULL;
  vm->nframes--;
  vm->stack[fidx] = res;
  vm->top = fidx + 1;
}

static void execute(sq_vm *vm);

static bool getmeta(sq_vm *vm, sqval o, int mm, sqval *out) {
  sqval key = S_(vm->meta[mm]);
  if (o.t == SQ_TINSTANCE)
    return sqobj_classget(o.u.ins->cls, key, out);
  if (o.t == SQ_TTABLE)
    for (struct sqtable *d = o.u.tab->delegate; d; d = d->delegate)
      if (sqtab_get(d, key, out))
        return true;
  return false;
}

/* Creates an instance; with a script constructor pushes its frame
** (returns true), otherwise finishes the construction here. */
static bool construct(sq_vm *vm, uint32_t fidx, int nargs, uint8_t flags) {
  struct sqclass *c = vm->stack[fidx].u.cls;
  struct sqinstance *in = sqobj_newinstance(vm, c);
  vm->stack[fidx + 1] = v_obj(SQ_TINSTANCE, in);
  sqval ctor;
  if (!sqobj_classget(c, S_(vm->s_constructor), &ctor) ||
      ctor.t == SQ_TNULL) {
    vm->stack[fidx] = vm->stack[fidx + 1];
    vm->top = fidx + 1;
    return false;
  }
  if (ctor.t == SQ_TCLOSURE) {
    enterclosure(vm, ctor.u.cl, fidx, nargs, flags | FR_CTOR);
    return true;
  }
  if (ctor.t == SQ_TNATIVE) {
    vm->stack[fidx] = ctor;
    callnative(vm, fidx, nargs);
    vm->stack[fidx] = v_obj(SQ_TINSTANCE, in);
    vm->top = fidx + 1;
    return false;
  }
  sqvm_errorf(vm, "constructor is not a function");
}

void sqvm_call(sq_vm *vm, uint32_t fidx, int nargs) {
  sqval f = vm->stack[fidx];
  switch (f.t) {
  case SQ_TCLOSURE:
    if (f.u.cl->p->generator) {
      makegenerator(vm, f.u.cl, fidx, nargs);
      return;
    }
    enterclosure(vm, f.u.cl, fidx, nargs, FR_ENTRY);
    execute(vm);
    break;
  case SQ_TNATIVE:
    callnative(vm, fidx, nargs);
    break;
  case SQ_TCLASS:
    if (construct(vm, fidx, nargs, FR_ENTRY))
      execute(vm);
    break;
  case SQ_TINSTANCE:
  case SQ_TTABLE: {
    sqval mm;
    if (!getmeta(vm, f, MM_CALL, &mm))
      goto bad;
    /* _call(this = object, original this, args...) */
    sqvm_reserve(vm, fidx + (uint32_t)nargs + 2);
    if (nargs)
      memmove(vm->stack + fidx + 2, vm->stack + fidx + 1,
              (size_t)nargs * sizeof(sqval));
    vm->stack[fidx + 1] = f;
    vm->stack[fidx] = mm;
    vm->top = fidx + (uint32_t)nargs + 2;
    sqvm_call(vm, fidx, nargs + 1);
    break;
  }
  default:
  bad:
    sqvm_errorf(vm, "attempt to call '%s'", sqobj_typename(f));
  }
  vm->top = fidx + 1;
}

/* Calls fn with this=self and up to two arguments; returns the result. */
static sqval callmeta(sq_vm *vm, sqval fn, sqval self, int nargs, sqval a1,
                      sqval a2) {
  uint32_t f = vm->top;
  sqvm_reserve(vm, f + 5);
  sqval *S = vm->stack;
  S[f] = fn;
  S[f + 1] = self;
  S[f + 2] = a1;
  S[f + 3] = a2;
  vm->top = f + 1 + (uint32_t)nargs;
  sqvm_call(vm, f, nargs);
  sqval r = vm->stack[f];
  vm->top = f;
  return r;
}

/* ---- generators ------------------------------------------------------ */

static sqval resume(sq_vm *vm, struct sqgen *g) {
  if (g->state == GEN_DEAD)
    sqvm_errorf(vm, "resuming dead generator");
  if (g->state == GEN_RUNNING)
    sqvm_errorf(vm, "resuming active generator");
  uint32_t fidx = vm->top;
  sqvm_reserve(vm, fidx + 1 + g->nstack + 1);
  vm->stack[fidx] = v_obj(SQ_TGENERATOR, g);
  memcpy(vm->stack + fidx + 1, g->stack, g->nstack * sizeof(sqval));
  struct frame *f = pushframe(vm);
  f->func = v_obj(SQ_TCLOSURE, g->cl);
  f->pc = g->cl->p->code + g->pc;
  f->base = fidx + 1;
  f->ret = fidx;
  f->flags = FR_ENTRY | FR_GEN;
  f->nhandlers = (uint16_t)vm->nhandlers;
  vm->top = fidx + 1 + g->nstack;
  g->state = GEN_RUNNING;
  execute(vm);
  sqval r = vm->stack[fidx];
  vm->top = fidx;
  return r;
}

/* ---- indexing ---------------------------------------------------------- */

struct metacall {
  sqval fn, self, a1, a2, res;
  int nargs;
};

static void metacall_body(sq_vm *vm, void *ud) {
  struct metacall *m = ud;
  m->res = callmeta(vm, m->fn, m->self, m->nargs, m->a1, m->a2);
}

/* Calls _get/_set; returns false when it threw null ("not found"). */
static bool metaprotected(sq_vm *vm, struct metacall *m) {
  uint32_t top = vm->top;
  int st = sqerr_protect(vm, metacall_body, m);
  if (st == SQ_OK)
    return true;
  vm->top = top;
  if (st == SQ_ERRRUN && !vm->fatal && vm->errval.t == SQ_TNULL)
    return false;
  sqerr_throw(vm, vm->fatal ? vm->fatal : st);
}

static bool deleg(sq_vm *vm, sqval o, sqval k, sqval *out) {
  if (k.t != SQ_TSTRING)
    return false;
  uint32_t t = o.t == SQ_TNATIVE ? SQ_TCLOSURE : o.t;
  sqval d = vm->typedeleg[t];
  return d.t == SQ_TTABLE && sqtab_get(d.u.tab, k, out);
}

static bool numindex(sqval k, int32_t *i) {
  if (k.t == SQ_TINTEGER) {
    *i = k.u.i;
    return true;
  }
  if (k.t == SQ_TFLOAT) {
    *i = (int32_t)k.u.f;
    return true;
  }
  return false;
}

bool sqvm_tryget(sq_vm *vm, sqval o, sqval k, sqval *out) {
  int32_t i;
  switch (o.t) {
  case SQ_TTABLE: {
    for (struct sqtable *t = o.u.tab; t; t = t->delegate)
      if (sqtab_get(t, k, out))
        return true;
    sqval mm;
    if (getmeta(vm, o, MM_GET, &mm)) {
      struct metacall m = { mm, o, k, V_NULL, V_NULL, 2 };
      if (metaprotected(vm, &m)) {
        *out = m.res;
        return true;
      }
    }
    break;
  }
  case SQ_TARRAY:
    if (numindex(k, &i)) {
      if (i < 0 || (uint32_t)i >= o.u.arr->len)
        return false;
      *out = o.u.arr->v[i];
      return true;
    }
    break;
  case SQ_TSTRING:
    if (numindex(k, &i)) {
      if (i < 0 || (uint32_t)i >= o.u.s->len)
        return false;
      *out = v_int((unsigned char)o.u.s->data[i]);
      return true;
    }
    break;
  case SQ_TINSTANCE: {
    if (sqobj_instanceget(o.u.ins, k, out))
      return true;
    sqval mm;
    if (getmeta(vm, o, MM_GET, &mm)) {
      struct metacall m = { mm, o, k, V_NULL, V_NULL, 2 };
      if (metaprotected(vm, &m)) {
        *out = m.res;
        return true;
      }
    }
    break;
  }
  case SQ_TCLASS:
    if (sqobj_classget(o.u.cls, k, out))
      return true;
    break;
  case SQ_TWEAKREF:
    if (deleg(vm, o, k, out))
      return true;
    return sqvm_tryget(vm, o.u.weak->target, k, out);
  default:
    break;
  }
  return deleg(vm, o, k, out);
}

sqval sqvm_get(sq_vm *vm, sqval o, sqval k) {
  sqval v;
  if (!sqvm_tryget(vm, o, k, &v)) {
    if (o.t == SQ_TNULL || o.t == SQ_TBOOL)
      sqvm_errorf(vm, "the index '%s' does not exist",
                  k.t == SQ_TSTRING ? k.u.s->data : "?");
    noindex(vm, k);
  }
  return v;
}

static bool tryset(sq_vm *vm, sqval o, sqval k, sqval v) {
  int32_t i;
  switch (o.t) {
  case SQ_TTABLE: {
    sqval *slot = sqtab_find(o.u.tab, k);
    if (slot) {
      *slot = v;
      return true;
    }
    sqval mm;
    if (getmeta(vm, o, MM_SET, &mm)) {
      struct metacall m = { mm, o, k, v, V_NULL, 3 };
      return metaprotected(vm, &m);
    }
    return false;
  }
  case SQ_TARRAY:
    if (!numindex(k, &i))
      sqvm_errorf(vm, "indexing array with %s", sqobj_typename(k));
    if (i < 0 || (uint32_t)i >= o.u.arr->len)
      return false;
    o.u.arr->v[i] = v;
    return true;
  case SQ_TINSTANCE: {
    if (sqobj_instanceset(o.u.ins, k, v))
      return true;
    sqval mm;
    if (getmeta(vm, o, MM_SET, &mm)) {
      struct metacall m = { mm, o, k, v, V_NULL, 3 };
      return metaprotected(vm, &m);
    }
    return false;
  }
  case SQ_TCLASS: {
    sqval cur;
    if (!sqtab_get(o.u.cls->members, k, &cur))
      return false;
    if (!sqobj_classset(vm, o.u.cls, k, v, false))
      sqvm_errorf(vm, "trying to modify a class that has already been "
                      "instantiated");
    return true;
  }
  default:
    sqvm_errorf(vm, "trying to set '%s'", sqobj_typename(o));
  }
}

void sqvm_set(sq_vm *vm, sqval o, sqval k, sqval v) {
  if (!tryset(vm, o, k, v))
    noindex(vm, k);
}

void sqvm_newslot(sq_vm *vm, sqval o, sqval k, sqval v) {
  if (k.t == SQ_TNULL)
    sqvm_errorf(vm, "null cannot be used as index");
  switch (o.t) {
  case SQ_TTABLE: {
    sqval mm;
    if (o.u.tab->delegate && !sqtab_find(o.u.tab, k) &&
        getmeta(vm, o, MM_NEWSLOT, &mm)) {
      callmeta(vm, mm, o, 3, k, v);
      return;
    }
    sqtab_set(vm, o.u.tab, k, v);
    return;
  }
  case SQ_TCLASS:
    if (!sqobj_classset(vm, o.u.cls, k, v, false))
      sqvm_errorf(vm, "trying to modify a class that has already been "
                      "instantiated");
    return;
  case SQ_TINSTANCE:
    sqvm_errorf(vm, "class instances do not support the new slot operator");
  default:
    sqvm_errorf(vm, "trying to set '%s'", sqobj_typename(o));
  }
}

sqval sqvm_delete(sq_vm *vm, sqval o, sqval k) {
  if (o.t == SQ_TTABLE) {
    sqval old;
    if (sqtab_delete(o.u.tab, k, &old))
      return old;
    sqval mm;
    if (getmeta(vm, o, MM_DELSLOT, &mm))
      return callmeta(vm, mm, o, 2, k, V_NULL);
    noindex(vm, k);
  }
  if (o.t == SQ_TINSTANCE) {
    sqval mm;
    if (getmeta(vm, o, MM_DELSLOT, &mm))
      return callmeta(vm, mm, o, 2, k, V_NULL);
  }
  sqvm_errorf(vm, "cannot delete a slot from %s", sqobj_typename(o));
}

bool sqvm_in(sq_vm *vm, sqval k, sqval o) {
  int32_t i;
  sqval v;
  (void)vm;
  switch (o.t) {
  case SQ_TTABLE:
    for (struct sqtable *t = o.u.tab; t; t = t->delegate)
      if (sqtab_find(t, k))
        return true;
    return false;
  case SQ_TARRAY:
    return numindex(k, &i) && i >= 0 && (uint32_t)i < o.u.arr->len;
  case SQ_TSTRING:
    return numindex(k, &i) && i >= 0 && (uint32_t)i < o.u.s->len;
  case SQ_TINSTANCE:
    return sqobj_instanceget(o.u.ins, k, &v);
  case SQ_TCLASS:
    return sqobj_classget(o.u.cls, k, &v);
  default:
    return false;
  }
}

/* ---- conversions and operators ----------------------------------------- */

struct sqstr *sqvm_tostring(sq_vm *vm, sqval v) {
  sqval mm;
  if ((v.t == SQ_TINSTANCE || v.t == SQ_TTABLE) &&
      getmeta(vm, v, MM_TOSTRING, &mm)) {
    sqval r = callmeta(vm, mm, v, 1, V_NULL, V_NULL);
    if (r.t == SQ_TSTRING)
      return r.u.s;
  }
  return sqobj_tostring(vm, v);
}

sqval sqvm_clone(sq_vm *vm, sqval v) {
  switch (v.t) {
  case SQ_TTABLE: {
    struct sqtable *t = sqtab_new(vm, 0);
    sqval r = v_obj(SQ_TTABLE, t);
    sqvm_push(vm, r);
    sqval k, x;
    for (int it = 0; (it = sqtab_next(v.u.tab, it, &k, &x)) >= 0;)
      sqtab_set(vm, t, k, x);
    t->delegate = v.u.tab->delegate;
    vm->top--;
    return r;
  }
  case SQ_TARRAY: {
    struct sqarray *a = sqobj_newarray(vm, v.u.arr->len);
    if (v.u.arr->len)
      memcpy(a->v, v.u.arr->v, v.u.arr->len * sizeof(sqval));
    return v_obj(SQ_TARRAY, a);
  }
  case SQ_TINSTANCE: {
    struct sqinstance *src = v.u.ins;
    struct sqinstance *in = sqobj_newinstance(vm, src->cls);
    if (src->nfields)
      memcpy(in->fields, src->fields, src->nfields * sizeof(sqval));
    sqval r = v_obj(SQ_TINSTANCE, in);
    sqval mm;
    if (getmeta(vm, r, MM_CLONED, &mm)) {
      sqvm_push(vm, r);
      callmeta(vm, mm, r, 2, v, V_NULL);
      vm->top--;
    }
    return r;
  }
  default:
    return v;
  }
}

static float tof(sqval v) {
  return v.t == SQ_TINTEGER ? (float)v.u.i : v.u.f;
}

static bool isnum(sqval v) {
  return v.t == SQ_TINTEGER || v.t == SQ_TFLOAT;
}

static const char opchar[] = { '+', '-', '*', '/', '%' };

/* The text of a string or number without making a string object, so that
** "k" + i does not intern the text of i first. NULL for other types
** (they may have _tostring). buf: 64 bytes. */
static const char *plaintext(sqval v, char *buf, size_t *len) {
  switch (v.t) {
  case SQ_TSTRING:
    *len = v.u.s->len;
    return v.u.s->data;
  case SQ_TINTEGER:
    *len = (size_t)sqobj_fmtint(buf, v.u.i);
    return buf;
  case SQ_TFLOAT: {
    int n = sqobj_fmtfloat(buf, 64, v.u.f);
    if (n < 0 || n >= 64)
      return NULL;
    *len = (size_t)n;
    return buf;
  }
  default:
    return NULL;
  }
}

static sqval arith(sq_vm *vm, int op, sqval a, sqval b) {
  if (a.t == SQ_TINTEGER && b.t == SQ_TINTEGER) {
    uint32_t x = (uint32_t)a.u.i, y = (uint32_t)b.u.i;
    switch (op) {
    case OP_ADD: return v_int((int32_t)(x + y));
    case OP_SUB: return v_int((int32_t)(x - y));
    case OP_MUL: return v_int((int32_t)(x * y));
    case OP_DIV:
      if (y == 0)
        sqvm_errorf(vm, "division by zero");
      if (a.u.i == INT32_MIN && b.u.i == -1)
        return v_int(INT32_MIN);
      return v_int(a.u.i / b.u.i);
    default:
      if (y == 0)
        sqvm_errorf(vm, "modulo by zero");
      if (b.u.i == -1)
        return v_int(0);
      return v_int(a.u.i % b.u.i);
    }
  }
  if (isnum(a) && isnum(b)) {
    float x = tof(a), y = tof(b);
    switch (op) {
    case OP_ADD: return v_float(x + y);
    case OP_SUB: return v_float(x - y);
    case OP_MUL: return v_float(x * y);
    case OP_DIV: return v_float(x / y);
    default: return v_float(fmodf(x, y));
    }
  }
  if (op == OP_ADD && (a.t == SQ_TSTRING || b.t == SQ_TSTRING)) {
    char ba[64], bb[64];
    size_t la, lb;
    const char *ta = plaintext(a, ba, &la), *tb = plaintext(b, bb, &lb);
    if (ta && tb)
      return S_(sqstr_concat(vm, ta, la, tb, lb));
    uint32_t mark = vm->top;
    struct sqstr *sa = sqvm_tostring(vm, a);
    sqvm_push(vm, S_(sa));
    struct sqstr *sb = sqvm_tostring(vm, b);
    sqvm_push(vm, S_(sb));
    struct sqstr *r = sqstr_concat(vm, sa->data, sa->len, sb->data, sb->len);
    vm->top = mark;
    return S_(r);
  }
  sqval mm;
  static const int mms[] = { MM_ADD, MM_SUB, MM_MUL, MM_DIV, MM_MOD };
  if ((a.t == SQ_TINSTANCE || a.t == SQ_TTABLE) &&
      getmeta(vm, a, mms[op - OP_ADD], &mm))
    return callmeta(vm, mm, a, 2, b, V_NULL);
  sqvm_errorf(vm, "arith op %c on between '%s' and '%s'", opchar[op - OP_ADD],
              sqobj_typename(a), sqobj_typename(b));
}

static int32_t bitop(sq_vm *vm, int op, sqval a, sqval b) {
  if (a.t != SQ_TINTEGER || b.t != SQ_TINTEGER)
    sqvm_errorf(vm, "bitwise op between '%s' and '%s'", sqobj_typename(a),
                sqobj_typename(b));
  uint32_t x = (uint32_t)a.u.i, y = (uint32_t)b.u.i;
  uint32_t n = y & 0xff;   /* ARM: the low byte of the count */
  switch (op) {
  case OP_BAND: return (int32_t)(x & y);
  case OP_BOR: return (int32_t)(x | y);
  case OP_BXOR: return (int32_t)(x ^ y);
  case OP_SHL: return n >= 32 ? 0 : (int32_t)(x << n);
  case OP_SHR:
    if (n >= 32)
      return a.u.i < 0 ? -1 : 0;
    return a.u.i < 0 ? (int32_t)~(~x >> n) : (int32_t)(x >> n);
  default: return n >= 32 ? 0 : (int32_t)(x >> n);
  }
}

int sqvm_compare(sq_vm *vm, sqval a, sqval b) {
  if (a.t == SQ_TINTEGER && b.t == SQ_TINTEGER)
    return (a.u.i > b.u.i) - (a.u.i < b.u.i);
  if (isnum(a) && isnum(b)) {
    float x = tof(a), y = tof(b);
    return (x > y) - (x < y);
  }
  if (a.t == SQ_TSTRING && b.t == SQ_TSTRING) {
    uint32_t n = a.u.s->len < b.u.s->len ? a.u.s->len : b.u.s->len;
    int c = memcmp(a.u.s->data, b.u.s->data, n);
    if (c)
      return c < 0 ? -1 : 1;
    return (a.u.s->len > b.u.s->len) - (a.u.s->len < b.u.s->len);
  }
  sqval mm;
  if ((a.t == SQ_TINSTANCE || a.t == SQ_TTABLE) &&
      getmeta(vm, a, MM_CMP, &mm)) {
    sqval r = callmeta(vm, mm, a, 2, b, V_NULL);
    if (r.t == SQ_TINTEGER)
      return (r.u.i > 0) - (r.u.i < 0);
    if (r.t == SQ_TFLOAT)
      return (r.u.f > 0) - (r.u.f < 0);
    sqvm_errorf(vm, "_cmp must return an integer");
  }
  if (a.t == b.t && a.t != SQ_TNULL) {
    if (a.t == SQ_TBOOL)
      return (int)a.u.b - (int)b.u.b;
    if (a.u.gc == b.u.gc)
      return 0;
    return (uintptr_t)a.u.gc < (uintptr_t)b.u.gc ? -1 : 1;
  }
  char b1[64], b2[64];
  sqvm_errorf(vm, "comparison between '%.50s' and '%.50s'",
              objval(a, b1, sizeof b1), objval(b, b2, sizeof b2));
}

static sqval typeofv(sq_vm *vm, sqval v) {
  sqval mm;
  if ((v.t == SQ_TINSTANCE || v.t == SQ_TTABLE) &&
      getmeta(vm, v, MM_TYPEOF, &mm)) {
    sqval r = callmeta(vm, mm, v, 1, V_NULL, V_NULL);
    if (r.t == SQ_TSTRING)
      return r;
  }
  return S_(sqstr_newc(vm, sqobj_typename(v)));
}

static sqval unm(sq_vm *vm, sqval v) {
  if (v.t == SQ_TINTEGER)
    return v_int((int32_t)(0u - (uint32_t)v.u.i));
  if (v.t == SQ_TFLOAT)
    return v_float(-v.u.f);
  sqval mm;
  if ((v.t == SQ_TINSTANCE || v.t == SQ_TTABLE) &&
      getmeta(vm, v, MM_UNM, &mm))
    return callmeta(vm, mm, v, 1, V_NULL, V_NULL);
  sqvm_errorf(vm, "attempt to negate a %s", sqobj_typename(v));
}

static bool instanceof(sq_vm *vm, sqval a, sqval c) {
  if (c.t != SQ_TCLASS)
    sqvm_errorf(vm, "cannot apply instanceof between a %s and a %s",
                sqobj_typename(a), sqobj_typename(c));
  if (a.t != SQ_TINSTANCE)
    return false;
  for (struct sqclass *k = a.u.ins->cls; k; k = k->base)
    if (k == c.u.cls)
      return true;
  return false;
}

static sqval getvar(sq_vm *vm, sqval self, sqval k) {
  sqval v;
  if (sqvm_tryget(vm, self, k, &v))
    return v;
  if (sqtab_get(vm->root, k, &v))
    return v;
  noindex(vm, k);
}

static void setvar(sq_vm *vm, sqval self, sqval k, sqval v) {
  if (self.t == SQ_TTABLE || self.t == SQ_TINSTANCE || self.t == SQ_TCLASS)
    if (tryset(vm, self, k, v))
      return;
  sqval *slot = sqtab_find(vm->root, k);
  if (slot) {
    *slot = v;
    return;
  }
  noindex(vm, k);
}

/* foreach step over container R[a]; returns false when done. */
static bool foreachstep(sq_vm *vm, uint32_t a) {
  sqval *R = vm->stack + a;
  sqval c = R[0];
  int32_t it = R[1].t == SQ_TINTEGER ? R[1].u.i : 0;
  switch (c.t) {
  case SQ_TARRAY:
    if ((uint32_t)it >= c.u.arr->len)
      return false;
    R[2] = v_int(it);
    R[3] = c.u.arr->v[it];
    R[1] = v_int(it + 1);
    return true;
  case SQ_TSTRING:
    if ((uint32_t)it >= c.u.s->len)
      return false;
    R[2] = v_int(it);
    R[3] = v_int((unsigned char)c.u.s->data[it]);
    R[1] = v_int(it + 1);
    return true;
  case SQ_TTABLE: {
    sqval k, v;
    int nx = sqtab_next(c.u.tab, it, &k, &v);
    if (nx < 0)
      return false;
    R[2] = k;
    R[3] = v;
    R[1] = v_int(nx);
    return true;
  }
  case SQ_TCLASS: {
    sqval k, v;
    int nx = sqtab_next(c.u.cls->members, it, &k, &v);
    if (nx < 0)
      return false;
    R[2] = k;
    sqobj_classget(c.u.cls, k, &R[3]);
    R[1] = v_int(nx);
    return true;
  }
  case SQ_TINSTANCE: {
    sqval mm;
    if (getmeta(vm, c, MM_NEXTI, &mm)) {
      sqval prev = R[1].t == SQ_TNULL ? V_NULL : R[2];
      sqval k = callmeta(vm, mm, c, 2, prev, V_NULL);
      if (k.t == SQ_TNULL)
        return false;
      sqval v = sqvm_get(vm, c, k);
      R = vm->stack + a;
      R[1] = v_int(1);
      R[2] = k;
      R[3] = v;
      return true;
    }
    sqval k, v;
    int nx = sqtab_next(c.u.ins->cls->members, it, &k, &v);
    if (nx < 0)
      return false;
    R[2] = k;
    sqobj_instanceget(c.u.ins, k, &R[3]);
    R[1] = v_int(nx);
    return true;
  }
  case SQ_TGENERATOR: {
    struct sqgen *g = c.u.gen;
    if (g->state == GEN_DEAD)
      return false;
    sqval v = resume(vm, g);
    if (g->state == GEN_DEAD)
      return false;
    R = vm->stack + a;
    R[2] = v_int(it);
    R[3] = v;
    R[1] = v_int(it + 1);
    return true;
  }
  default:
    sqvm_errorf(vm, "cannot iterate %s", sqobj_typename(c));
  }
}

/* ---- the dispatch loop ----------------------------------------------- */

static void markgensdead(sq_vm *vm, uint32_t from, uint32_t to) {
  for (uint32_t k = from; k < to; k++)
    if (vm->frames[k].flags & FR_GEN) {
      sqval g = vm->stack[vm->frames[k].ret];
      if (g.t == SQ_TGENERATOR)
        g.u.gen->state = GEN_DEAD;
    }
}

#define REFRESH() (fr = &vm->frames[fi], R = vm->stack + base)
#define ARITHFAST(OPC, EXPR_I, EXPR_F)                                     \
  {                                                                       \
    sqval b_ = R[i.b], c_ = R[i.c];                                       \
    if (b_.t == SQ_TINTEGER && c_.t == SQ_TINTEGER) {                     \
      uint32_t x = (uint32_t)b_.u.i, y = (uint32_t)c_.u.i;                \
      R[i.a] = v_int((int32_t)(EXPR_I));                                  \
    } else if (isnum(b_) && isnum(c_)) {                                  \
      float x = tof(b_), y = tof(c_);                                     \
      R[i.a] = v_float(EXPR_F);                                           \
    } else {                                                              \
      sqval r_ = arith(vm, OPC, b_, c_);                                  \
      REFRESH();                                                          \
      R[i.a] = r_;                                                        \
    }                                                                     \
    break;                                                                \
  }
#define CMPOP(TEST)                                                        \
  {                                                                       \
    sqval b_ = R[i.b], c_ = R[i.c];                                       \
    int r_;                                                               \
    if (b_.t == SQ_TINTEGER && c_.t == SQ_TINTEGER)                       \
      r_ = (b_.u.i > c_.u.i) - (b_.u.i < c_.u.i);                         \
    else {                                                                \
      r_ = sqvm_compare(vm, b_, c_);                                      \
      REFRESH();                                                          \
    }                                                                     \
    R[i.a] = v_bool(TEST);                                                \
    break;                                                                \
  }

static void run(sq_vm *vm, void *ud) {
  (void)ud;
  struct frame *fr;
  struct sqclosure *cl;
  struct sqproto *p;
  const struct sqins *pc;
  const sqval *K;
  uint32_t base, fi;
  sqval *R;
newframe:
  fi = vm->nframes - 1;
  fr = &vm->frames[fi];
  cl = fr->func.u.cl;
  p = cl->p;
  pc = fr->pc;
  K = p->consts;
  base = fr->base;
  R = vm->stack + base;
  vm->top = base + p->maxstack;
  for (;;) {
    const struct sqins i = *pc++;
    fr->pc = pc;
    switch ((enum sqop)i.op) {
    case OP_LOADK: R[i.a] = K[i.x]; break;
    case OP_LOADINT: R[i.a] = v_int(i.x); break;
    case OP_LOADFLOAT: {
      float f;
      memcpy(&f, &i.x, 4);
      R[i.a] = v_float(f);
      break;
    }
    case OP_LOADNULL:
      for (int k = 0; k < i.b; k++)
        R[i.a + k] = V_NULL;
      break;
    case OP_LOADBOOL: R[i.a] = v_bool(i.b != 0); break;
    case OP_LOADROOT: R[i.a] = v_obj(SQ_TTABLE, vm->root); break;
    case OP_MOVE: R[i.a] = R[i.b]; break;
    case OP_GETOUTER: R[i.a] = outerget(vm, cl->outers[i.x]); break;
    case OP_SETOUTER: outerset(vm, cl->outers[i.x], R[i.a]); break;
    case OP_GETVAR: {
      sqval self = R[0];
      if (self.t == SQ_TTABLE) {
        sqval *pv = sqtab_find(self.u.tab, K[i.x]);
        if (pv) {
          R[i.a] = *pv;
          break;
        }
      }
      sqval v = getvar(vm, self, K[i.x]);
      REFRESH();
      R[i.a] = v;
      break;
    }
    case OP_SETVAR:
      setvar(vm, R[0], K[i.x], R[i.a]);
      REFRESH();
      break;
    case OP_GET: {
      sqval o = R[i.b], k = R[i.c];
      if (o.t == SQ_TARRAY && k.t == SQ_TINTEGER &&
          (uint32_t)k.u.i < o.u.arr->len) {
        R[i.a] = o.u.arr->v[k.u.i];
        break;
      }
      if (o.t == SQ_TTABLE) {
        sqval *pv = sqtab_find(o.u.tab, k);
        if (pv) {
          R[i.a] = *pv;
          break;
        }
      }
      sqval v = sqvm_get(vm, o, k);
      REFRESH();
      R[i.a] = v;
      break;
    }
    case OP_GETK: {
      sqval o = R[i.b], v;
      if (o.t == SQ_TTABLE) {
        sqval *pv = sqtab_find(o.u.tab, K[i.x]);
        if (pv) {
          R[i.a] = *pv;
          break;
        }
      } else if (o.t == SQ_TINSTANCE &&
                 sqobj_instanceget(o.u.ins, K[i.x], &v)) {
        R[i.a] = v;
        break;
      }
      v = sqvm_get(vm, o, K[i.x]);
      REFRESH();
      R[i.a] = v;
      break;
    }
    case OP_SET: {
      sqval o = R[i.a], k = R[i.b];
      if (o.t == SQ_TARRAY && k.t == SQ_TINTEGER &&
          (uint32_t)k.u.i < o.u.arr->len) {
        o.u.arr->v[k.u.i] = R[i.c];
        break;
      }
      sqvm_set(vm, o, k, R[i.c]);
      REFRESH();
      break;
    }
    case OP_SETK: {
      sqval o = R[i.a];
      if (o.t == SQ_TTABLE) {
        sqval *pv = sqtab_find(o.u.tab, K[i.x]);
        if (pv) {
          *pv = R[i.b];
          break;
        }
      } else if (o.t == SQ_TINSTANCE &&
                 sqobj_instanceset(o.u.ins, K[i.x], R[i.b])) {
        break;
      }
      sqvm_set(vm, o, K[i.x], R[i.b]);
      REFRESH();
      break;
    }
    case OP_NEWSLOT:
      sqvm_newslot(vm, R[i.a], R[i.b], R[i.c]);
      REFRESH();
      break;
    case OP_NEWSLOTK:
      sqvm_newslot(vm, R[i.a], K[i.x], R[i.b]);
      REFRESH();
      break;
    case OP_DELETE: {
      sqval v = sqvm_delete(vm, R[i.b], R[i.c]);
      REFRESH();
      R[i.a] = v;
      break;
    }
    case OP_PREPCALL:
    case OP_PREPCALLK: {
      sqval o = R[i.b];
      sqval k = i.op == OP_PREPCALL ? R[i.c] : K[i.x];
      sqval v;
      if (o.t == SQ_TINSTANCE && sqobj_instanceget(o.u.ins, k, &v)) {
        /* fast path: a method or field */
      } else if (o.t == SQ_TTABLE && sqtab_get(o.u.tab, k, &v)) {
        /* own slot */
      } else {
        v = sqvm_get(vm, o, k);
        REFRESH();
      }
      R[i.a] = v;
      R[i.a + 1] = o;
      break;
    }
    case OP_CALL: {
      budget(vm);
      uint32_t fidx = base + i.a;
      sqval f = R[i.a];
      if (f.t == SQ_TCLOSURE && !f.u.cl->p->generator) {
        enterclosure(vm, f.u.cl, fidx, i.b, 0);
        goto newframe;
      }
      if (f.t == SQ_TCLASS) {
        if (construct(vm, fidx, i.b, 0))
          goto newframe;
      } else {
        sqvm_call(vm, fidx, i.b);
      }
      vm->top = base + p->maxstack;
      REFRESH();
      sqvm_gccheck(vm);
      break;
    }
    case OP_RET: {
      sqval v = i.b ? R[i.a] : V_NULL;
      uint8_t fl = fr->flags;
      if (fl & FR_CTOR)
        v = R[0];
      if (vm->openouters && vm->openouters->idx >= base)
        sqvm_closeouters(vm, base);
      if (fl & FR_GEN) {
        sqval g = vm->stack[fr->ret];
        if (g.t == SQ_TGENERATOR)
          g.u.gen->state = GEN_DEAD;
      }
      vm->nhandlers = fr->nhandlers;
      uint32_t ret = fr->ret;
      vm->nframes--;
      vm->stack[ret] = v;
      if (fl & FR_ENTRY) {
        vm->top = ret + 1;
        return;
      }
      goto newframe;
    }
    case OP_ADD: ARITHFAST(OP_ADD, x + y, x + y)
    case OP_SUB: ARITHFAST(OP_SUB, x - y, x - y)
    case OP_MUL: ARITHFAST(OP_MUL, x * y, x * y)
    case OP_DIV:
    case OP_MOD: {
      sqval r = arith(vm, i.op, R[i.b], R[i.c]);
      REFRESH();
      R[i.a] = r;
      break;
    }
    case OP_BAND: case OP_BOR: case OP_BXOR: case OP_SHL: case OP_SHR:
    case OP_USHR:
      R[i.a] = v_int(bitop(vm, i.op, R[i.b], R[i.c]));
      break;
    case OP_EQ: R[i.a] = v_bool(sqobj_rawequal(R[i.b], R[i.c])); break;
    case OP_NE: R[i.a] = v_bool(!sqobj_rawequal(R[i.b], R[i.c])); break;
    case OP_LT: CMPOP(r_ < 0)
    case OP_LE: CMPOP(r_ <= 0)
    case OP_GT: CMPOP(r_ > 0)
    case OP_GE: CMPOP(r_ >= 0)
    case OP_CMP3: {
      int r = sqvm_compare(vm, R[i.b], R[i.c]);
      REFRESH();
      R[i.a] = v_int(r);
      break;
    }
    case OP_INC: {
      sqval b = R[i.b];
      if (b.t == SQ_TINTEGER) {
        R[i.a] = v_int((int32_t)((uint32_t)b.u.i + (uint32_t)i.x));
      } else if (b.t == SQ_TFLOAT) {
        R[i.a] = v_float(b.u.f + (float)i.x);
      } else {
        sqval r = arith(vm, OP_ADD, b, v_int(i.x));
        REFRESH();
        R[i.a] = r;
      }
      break;
    }
    case OP_NEG: {
      sqval r = unm(vm, R[i.b]);
      REFRESH();
      R[i.a] = r;
      break;
    }
    case OP_NOT: R[i.a] = v_bool(v_falsy(R[i.b])); break;
    case OP_BNOT:
      if (R[i.b].t != SQ_TINTEGER)
        sqvm_errorf(vm, "attempt to perform a bitwise op on a %s",
                    sqobj_typename(R[i.b]));
      R[i.a] = v_int(~R[i.b].u.i);
      break;
    case OP_JMP:
      if (i.x < 0) {
        budget(vm);
        sqvm_gccheck(vm);
      }
      pc += i.x;
      break;
    case OP_JZ:
      if (v_falsy(R[i.a]))
        pc += i.x;
      break;
    case OP_JNZ:
      if (!v_falsy(R[i.a])) {
        if (i.x < 0) {
          budget(vm);
          sqvm_gccheck(vm);
        }
        pc += i.x;
      }
      break;
    case OP_NEWTABLE:
      R[i.a] = v_obj(SQ_TTABLE, sqtab_new(vm, 0));
      break;
    case OP_NEWARRAY: {
      struct sqarray *a = sqobj_newarray(vm, 0);
      R[i.a] = v_obj(SQ_TARRAY, a);
      if (i.x > 0)
        a->v = sqmem_grow(vm, a->v, &a->cap, (uint32_t)i.x, sizeof(sqval));
      break;
    }
    case OP_APPEND:
      sqobj_arraypush(vm, R[i.a].u.arr, R[i.b]);
      break;
    case OP_CLOSURE: {
      struct sqproto *np = p->protos[i.x];
      struct sqclosure *ncl = sqobj_newclosure(vm, np);
      for (uint32_t k = 0; k < np->nouters; k++) {
        const struct outerdesc *od = &np->outers[k];
        ncl->outers[k] = od->fromlocal ? findouter(vm, base + od->idx)
                                       : cl->outers[od->idx];
      }
      for (uint32_t k = 0; k < np->ndefaults; k++)
        ncl->defaults[k] = R[i.a + 1 + k];
      R[i.a] = v_obj(SQ_TCLOSURE, ncl);
      break;
    }
    case OP_CLASS: {
      struct sqclass *b = NULL;
      if (i.c) {
        if (R[i.b].t != SQ_TCLASS)
          sqvm_errorf(vm, "trying to inherit from a %s",
                      sqobj_typename(R[i.b]));
        b = R[i.b].u.cls;
      }
      R[i.a] = v_obj(SQ_TCLASS, sqobj_newclass(vm, b));
      break;
    }
    case OP_NEWMEMBER:
      if (R[i.b].t == SQ_TNULL)
        sqvm_errorf(vm, "null cannot be used as index");
      if (!sqobj_classset(vm, R[i.a].u.cls, R[i.b], R[i.c], i.x != 0))
        sqvm_errorf(vm, "trying to modify a class that has already been "
                        "instantiated");
      break;
    case OP_GETBASE:
      R[i.a] = cl->base ? v_obj(SQ_TCLASS, cl->base) : V_NULL;
      break;
    case OP_TYPEOF: {
      sqval r = typeofv(vm, R[i.b]);
      REFRESH();
      R[i.a] = r;
      break;
    }
    case OP_CLONE: {
      sqval r = sqvm_clone(vm, R[i.b]);
      REFRESH();
      R[i.a] = r;
      break;
    }
    case OP_INSTANCEOF:
      R[i.a] = v_bool(instanceof(vm, R[i.b], R[i.c]));
      break;
    case OP_IN: R[i.a] = v_bool(sqvm_in(vm, R[i.b], R[i.c])); break;
    case OP_FOREACH: {
      budget(vm);
      bool more = foreachstep(vm, base + i.a);
      REFRESH();
      if (!more)
        pc += i.x;
      sqvm_gccheck(vm);
      break;
    }
    case OP_TRY: {
      if (vm->nhandlers >= vm->caphandlers)
        vm->handlers = sqmem_grow(vm, vm->handlers, &vm->caphandlers,
                                  vm->nhandlers + 1, sizeof(struct handler));
      struct handler *h = &vm->handlers[vm->nhandlers++];
      h->nframes = vm->nframes;
      h->top = vm->top;
      h->catchpc = pc + i.x;
      h->reg = base + i.a;
      break;
    }
    case OP_POPTRY:
      if (vm->nhandlers > fr->nhandlers)
        vm->nhandlers--;
      break;
    case OP_THROW:
      sqvm_throw(vm, R[i.a]);
    case OP_CLOSE:
      sqvm_closeouters(vm, base + i.a);
      break;
    case OP_YIELD: {
      if (!(fr->flags & FR_GEN))
        sqvm_errorf(vm, "cannot yield outside a generator");
      sqval v = i.b ? R[i.a] : V_NULL;
      struct sqgen *g = vm->stack[fr->ret].u.gen;
      sqvm_closeouters(vm, base);
      memcpy(g->stack, R, g->nstack * sizeof(sqval));
      g->pc = (uint32_t)(pc - p->code);
      g->state = GEN_SUSPENDED;
      vm->nhandlers = fr->nhandlers;
      uint32_t ret = fr->ret;
      vm->nframes--;
      vm->stack[ret] = v;
      vm->top = ret + 1;
      return;
    }
    case OP_RESUME: {
      if (R[i.b].t != SQ_TGENERATOR)
        sqvm_errorf(vm, "trying to resume a '%s',only genenerator can be "
                        "resumed", sqobj_typename(R[i.b]));
      sqval r = resume(vm, R[i.b].u.gen);
      REFRESH();
      vm->top = base + p->maxstack;
      R[i.a] = r;
      break;
    }
    case OP_NOP:
      break;
    default:
      /* Bytecode only ever comes from the compiler's emit(), which
      ** refuses an opcode outside the enum: telling the compiler so
      ** drops the range check from every dispatch (5-7% of the time of
      ** tight loops). */
      __builtin_unreachable();
    }
  }
}

/* Runs the script frame on top of the stack (flagged FR_ENTRY) until it
** returns. Errors caught by try/catch resume the loop; others unwind this
** invocation's frames and propagate. */
static void execute(sq_vm *vm) {
  uint32_t fbase = vm->nframes - 1;
  if (vm->cdepth >= SQ_MAXCDEPTH) {
    vm->nframes = fbase;
    sqvm_errorf(vm, "stack overflow");
  }
  vm->cdepth++;
  for (;;) {
    int st = sqerr_protect(vm, run, NULL);
    if (st == SQ_OK)
      break;
    if (st == SQ_ERRRUN && !vm->fatal && vm->nhandlers > 0 &&
        vm->handlers[vm->nhandlers - 1].nframes > fbase) {
      struct handler h = vm->handlers[--vm->nhandlers];
      markgensdead(vm, h.nframes, vm->nframes);
      sqvm_closeouters(vm, h.reg);
      vm->nframes = h.nframes;
      struct frame *f = &vm->frames[h.nframes - 1];
      f->pc = h.catchpc;
      vm->top = f->base + f->func.u.cl->p->maxstack;
      vm->stack[h.reg] = vm->errval;
      continue;
    }
    markgensdead(vm, fbase, vm->nframes);
    sqvm_closeouters(vm, vm->frames[fbase].base);
    vm->nframes = fbase;
    while (vm->nhandlers > 0 &&
           vm->handlers[vm->nhandlers - 1].nframes > fbase)
      vm->nhandlers--;
    vm->cdepth--;
    sqerr_throw(vm, vm->fatal ? vm->fatal : st);
  }
  vm->cdepth--;
}
