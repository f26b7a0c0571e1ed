/*
** obj.c: allocation and raw behaviour of Squirrel's collectable objects
** (arrays, functions, classes, instances, generators, weak references),
** plus raw equality, type names and tostring without metamethods.
*/
#include "obj.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "mem.h"

void *sqobj_new(sq_vm *vm, uint8_t type, size_t size) {
  struct gcobj *o = sqmem_alloc(vm, size);
  o->type = type;
  o->marked = 0;
  o->gray = NULL;
  o->gcnext = vm->gclist;
  vm->gclist = o;
  return o;
}

static size_t closuresize(const struct sqproto *p) {
  return sizeof(struct sqclosure) + p->nouters * sizeof(struct sqouter *);
}

void sqobj_free(sq_vm *vm, struct gcobj *o) {
  switch (o->type) {
  case SQ_TSTRING: {
    struct sqstr *s = (struct sqstr *)o;
    sqstr_unlink(vm, s);
    sqmem_free(vm, s, sizeof(*s) + s->len + 1);
    break;
  }
  case SQ_TTABLE:
    sqtab_freeparts(vm, (struct sqtable *)o);
    sqmem_free(vm, o, sizeof(struct sqtable));
    break;
  case SQ_TARRAY: {
    struct sqarray *a = (struct sqarray *)o;
    sqmem_free(vm, a->v, a->cap * sizeof(sqval));
    sqmem_free(vm, a, sizeof(*a));
    break;
  }
  case SQ_TCLOSURE: {
    struct sqclosure *c = (struct sqclosure *)o;
    if (c->defaults)
      sqmem_free(vm, c->defaults, c->p->ndefaults * sizeof(sqval));
    sqmem_free(vm, c, closuresize(c->p));
    break;
  }
  case SQ_TNATIVE:
    sqmem_free(vm, o, sizeof(struct sqnative));
    break;
  case SQ_TCLASS: {
    struct sqclass *c = (struct sqclass *)o;
    sqmem_free(vm, c->fields, c->capfields * sizeof(sqval));
    sqmem_free(vm, c->methods, c->capmethods * sizeof(sqval));
    sqmem_free(vm, c, sizeof(*c));
    break;
  }
  case SQ_TINSTANCE: {
    struct sqinstance *in = (struct sqinstance *)o;
    sqmem_free(vm, in, sizeof(*in) + in->nfields * sizeof(sqval));
    break;
  }
  case SQ_TGENERATOR: {
    struct sqgen *g = (struct sqgen *)o;
    sqmem_free(vm, g->stack, g->nstack * sizeof(sqval));
    sqmem_free(vm, g, sizeof(*g));
    break;
  }
  case SQ_TWEAKREF:
    sqmem_free(vm, o, sizeof(struct sqweak));
    break;
  case SQT_PROTO: {
    struct sqproto *p = (struct sqproto *)o;
    sqmem_free(vm, p->code, p->ncode * sizeof(struct sqins));
    sqmem_free(vm, p->lines, p->ncode * sizeof(int32_t));
    sqmem_free(vm, p->consts, p->nconsts * sizeof(sqval));
    sqmem_free(vm, p->protos, p->nprotos * sizeof(struct sqproto *));
    sqmem_free(vm, p->outers, p->nouters * sizeof(struct outerdesc));
    sqmem_free(vm, p, sizeof(*p));
    break;
  }
  case SQT_OUTER:
    sqmem_free(vm, o, sizeof(struct sqouter));
    break;
  default:
    break;
  }
}

/* ---- arrays ---- */

struct sqarray *sqobj_newarray(sq_vm *vm, uint32_t n) {
  struct sqarray *a = sqobj_new(vm, SQ_TARRAY, sizeof(*a));
  a->len = a->cap = 0;
  a->v = NULL;
  if (n)
    sqobj_arrayresize(vm, a, n, V_NULL);
  return a;
}

void sqobj_arraypush(sq_vm *vm, struct sqarray *a, sqval v) {
  if (a->len >= a->cap)
    a->v = sqmem_grow(vm, a->v, &a->cap, a->len + 1, sizeof(sqval));
  a->v[a->len++] = v;
}

void sqobj_arrayresize(sq_vm *vm, struct sqarray *a, uint32_t n,
                       sqval fill) {
  if (n > a->cap) {
    if (n > (1u << 26))
      sqerr_throw(vm, SQ_ERRMEM);
    a->v = sqmem_realloc(vm, a->v, a->cap * sizeof(sqval),
                         n * sizeof(sqval));
    a->cap = n;
  }
  for (uint32_t i = a->len; i < n; i++)
    a->v[i] = fill;
  a->len = n;
}

void sqobj_arrayinsert(sq_vm *vm, struct sqarray *a, uint32_t i, sqval v) {
  sqobj_arraypush(vm, a, V_NULL);
  memmove(a->v + i + 1, a->v + i, (a->len - 1 - i) * sizeof(sqval));
  a->v[i] = v;
}

void sqobj_arrayremove(struct sqarray *a, uint32_t i) {
  if (a->len - 1 - i)
    memmove(a->v + i, a->v + i + 1, (a->len - 1 - i) * sizeof(sqval));
  a->len--;
}

/* ---- functions ---- */

struct sqproto *sqobj_newproto(sq_vm *vm) {
  struct sqproto *p = sqobj_new(vm, SQT_PROTO, sizeof(*p));
  memset((char *)p + sizeof(struct gcobj), 0,
         sizeof(*p) - sizeof(struct gcobj));
  return p;
}

struct sqclosure *sqobj_newclosure(sq_vm *vm, struct sqproto *p) {
  struct sqclosure *c = sqobj_new(vm, SQ_TCLOSURE, closuresize(p));
  c->p = p;
  c->base = NULL;
  c->env = V_NULL;
  c->defaults = NULL;
  for (uint32_t i = 0; i < p->nouters; i++)
    c->outers[i] = NULL;
  if (p->ndefaults) {
    c->defaults = sqmem_alloc(vm, p->ndefaults * sizeof(sqval));
    for (uint32_t i = 0; i < p->ndefaults; i++)
      c->defaults[i] = V_NULL;
  }
  return c;
}

struct sqnative *sqobj_newnative(sq_vm *vm, sq_native fn, struct sqstr *nm,
                                 int nparams, void *ud) {
  struct sqnative *n = sqobj_new(vm, SQ_TNATIVE, sizeof(*n));
  n->fn = fn;
  n->name = nm;
  n->ud = ud;
  n->env = V_NULL;
  n->nparams = nparams;
  return n;
}

struct sqouter *sqobj_newouter(sq_vm *vm, uint32_t idx) {
  struct sqouter *o = sqobj_new(vm, SQT_OUTER, sizeof(*o));
  o->next = NULL;
  o->idx = idx;
  o->open = true;
  o->closed = V_NULL;
  return o;
}

/* ---- classes and instances ---- */

struct sqclass *sqobj_newclass(sq_vm *vm, struct sqclass *base) {
  struct sqclass *c = sqobj_new(vm, SQ_TCLASS, sizeof(*c));
  c->base = NULL;
  c->members = NULL;
  c->fields = c->methods = NULL;
  c->nfields = c->capfields = c->nmethods = c->capmethods = 0;
  c->locked = false;
  c->typetag = NULL;
  c->release = NULL;
  c->members = sqtab_new(vm, 0);
  if (base) {
    c->base = base;
    c->typetag = base->typetag;
    c->release = base->release;
    sqval k, v;
    for (int it = 0; (it = sqtab_next(base->members, it, &k, &v)) >= 0;)
      sqtab_set(vm, c->members, k, v);
    if (base->nfields) {
      c->fields = sqmem_grow(vm, NULL, &c->capfields, base->nfields,
                             sizeof(sqval));
      memcpy(c->fields, base->fields, base->nfields * sizeof(sqval));
      c->nfields = base->nfields;
    }
    if (base->nmethods) {
      c->methods = sqmem_grow(vm, NULL, &c->capmethods, base->nmethods,
                              sizeof(sqval));
      memcpy(c->methods, base->methods, base->nmethods * sizeof(sqval));
      c->nmethods = base->nmethods;
    }
  }
  return c;
}

bool sqobj_classset(sq_vm *vm, struct sqclass *c, sqval key, sqval val,
                    bool isstatic) {
  bool ismethod = isstatic || val.t == SQ_TCLOSURE || val.t == SQ_TNATIVE;
  if (val.t == SQ_TCLOSURE && c->base && !val.u.cl->base)
    val.u.cl->base = c->base;
  sqval cur;
  if (sqtab_get(c->members, key, &cur)) {
    uint32_t idx = (uint32_t)cur.u.i >> 1;
    if (cur.u.i & 1) {
      if (c->locked)
        return false;
      c->fields[idx] = val;
    } else {
      c->methods[idx] = val;
    }
    return true;
  }
  if (c->locked && !ismethod)
    return false;
  if (ismethod) {
    c->methods = sqmem_grow(vm, c->methods, &c->capmethods,
                            c->nmethods + 1, sizeof(sqval));
    c->methods[c->nmethods] = val;
    sqtab_set(vm, c->members, key, v_int((int32_t)(c->nmethods << 1)));
    c->nmethods++;
  } else {
    c->fields = sqmem_grow(vm, c->fields, &c->capfields, c->nfields + 1,
                           sizeof(sqval));
    c->fields[c->nfields] = val;
    sqtab_set(vm, c->members, key,
              v_int((int32_t)((c->nfields << 1) | 1)));
    c->nfields++;
  }
  return true;
}

bool sqobj_classget(struct sqclass *c, sqval key, sqval *out) {
  sqval cur;
  if (!sqtab_get(c->members, key, &cur))
    return false;
  uint32_t idx = (uint32_t)cur.u.i >> 1;
  *out = (cur.u.i & 1) ? c->fields[idx] : c->methods[idx];
  return true;
}

struct sqinstance *sqobj_newinstance(sq_vm *vm, struct sqclass *c) {
  struct sqinstance *in =
      sqobj_new(vm, SQ_TINSTANCE, sizeof(*in) + c->nfields * sizeof(sqval));
  in->cls = c;
  in->up = NULL;
  in->nfields = c->nfields;
  if (c->nfields)
    memcpy(in->fields, c->fields, c->nfields * sizeof(sqval));
  for (struct sqclass *k = c; k; k = k->base)
    k->locked = true;
  return in;
}

bool sqobj_instanceget(struct sqinstance *in, sqval key, sqval *out) {
  sqval cur;
  if (!sqtab_get(in->cls->members, key, &cur))
    return false;
  uint32_t idx = (uint32_t)cur.u.i >> 1;
  if (cur.u.i & 1)
    *out = idx < in->nfields ? in->fields[idx] : V_NULL;
  else
    *out = in->cls->methods[idx];
  return true;
}

bool sqobj_instanceset(struct sqinstance *in, sqval key, sqval val) {
  sqval cur;
  if (!sqtab_get(in->cls->members, key, &cur) || !(cur.u.i & 1))
    return false;
  uint32_t idx = (uint32_t)cur.u.i >> 1;
  if (idx >= in->nfields)
    return false;
  in->fields[idx] = val;
  return true;
}

struct sqgen *sqobj_newgen(sq_vm *vm, struct sqclosure *cl) {
  struct sqgen *g = sqobj_new(vm, SQ_TGENERATOR, sizeof(*g));
  g->cl = cl;
  g->stack = NULL;
  g->nstack = 0;
  g->pc = 0;
  g->state = GEN_SUSPENDED;
  g->resreg = 0;
  return g;
}

struct sqweak *sqobj_newweak(sq_vm *vm, sqval target) {
  struct sqweak *w = sqobj_new(vm, SQ_TWEAKREF, sizeof(*w));
  w->target = target;
  return w;
}

/* ---- raw value behaviour ---- */

bool sqobj_rawequal(sqval a, sqval b) {
  if (a.t != b.t) {
    if (a.t == SQ_TINTEGER && b.t == SQ_TFLOAT)
      return (float)a.u.i == b.u.f;
    if (a.t == SQ_TFLOAT && b.t == SQ_TINTEGER)
      return a.u.f == (float)b.u.i;
    return false;
  }
  switch (a.t) {
  case SQ_TNULL: return true;
  case SQ_TBOOL: return a.u.b == b.u.b;
  case SQ_TINTEGER: return a.u.i == b.u.i;
  case SQ_TFLOAT: return a.u.f == b.u.f;
  default: return a.u.gc == b.u.gc;
  }
}

const char *sqobj_typename(sqval v) {
  return sq_typename((enum sq_type)v.t);
}

int sqobj_fmtfloat(char *buf, size_t n, float f) {
  return snprintf(buf, n, "%g", (double)f);
}

/* By hand: snprintf("%d") was a tenth of the time of string building. */
int sqobj_fmtint(char *buf, int32_t i) {
  char rev[10];
  int n = 0, k = 0;
  uint32_t u = i < 0 ? 0u - (uint32_t)i : (uint32_t)i;
  do {
    rev[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (i < 0)
    buf[k++] = '-';
  while (n)
    buf[k++] = rev[--n];
  buf[k] = 0;
  return k;
}

struct sqstr *sqobj_tostring(sq_vm *vm, sqval v) {
  char buf[64];
  switch (v.t) {
  case SQ_TSTRING: return v.u.s;
  case SQ_TNULL: return sqstr_newc(vm, "null");
  case SQ_TBOOL: return sqstr_newc(vm, v.u.b ? "true" : "false");
  case SQ_TINTEGER:
    return sqstr_new(vm, buf, (size_t)sqobj_fmtint(buf, v.u.i));
  case SQ_TFLOAT:
    sqobj_fmtfloat(buf, sizeof buf, v.u.f);
    return sqstr_newc(vm, buf);
  default:
    snprintf(buf, sizeof buf, "(%s : 0x%08llx)", sqobj_typename(v),
             (unsigned long long)(uintptr_t)v.u.gc);
    return sqstr_newc(vm, buf);
  }
}

const char *sq_typename(enum sq_type t) {
  static const char *const names[] = {
    "null", "bool", "integer", "float", "string", "table", "array",
    "function", "function", "class", "instance", "generator", "weakref"
  };
  if ((unsigned)t <= SQ_TWEAKREF)
    return names[t];
  return "unknown";
}
