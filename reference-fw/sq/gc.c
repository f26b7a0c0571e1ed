/*
** gc.c: stop-the-world mark & sweep. Marking uses an intrusive gray
** list (no allocation, no C recursion), so it works at the memory limit
** and on deep structures. Weak references are cleared before the sweep;
** release hooks of native instances run before anything is freed.
*/
#include "gc.h"

#include "obj.h"

static void markobj(sq_vm *vm, struct gcobj *o) {
  if (!o || o->marked)
    return;
  o->marked = 1;
  if (o->type == SQ_TSTRING)
    return;
  o->gray = vm->gray;
  vm->gray = o;
}

static void markval(sq_vm *vm, sqval v) {
  if (v_iscollectable(v))
    markobj(vm, v.u.gc);
}

static void markvals(sq_vm *vm, const sqval *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    markval(vm, v[i]);
}

static void traverse(sq_vm *vm, struct gcobj *o) {
  switch (o->type) {
  case SQ_TTABLE: {
    struct sqtable *t = (struct sqtable *)o;
    markobj(vm, (struct gcobj *)t->delegate);
    for (uint32_t i = 0; i < t->nent; i++) {
      markval(vm, t->ent[i].key);
      markval(vm, t->ent[i].val);
    }
    break;
  }
  case SQ_TARRAY: {
    struct sqarray *a = (struct sqarray *)o;
    markvals(vm, a->v, a->len);
    break;
  }
  case SQ_TCLOSURE: {
    struct sqclosure *c = (struct sqclosure *)o;
    markobj(vm, &c->p->h);
    markobj(vm, (struct gcobj *)c->base);
    markval(vm, c->env);
    if (c->defaults)
      markvals(vm, c->defaults, c->p->ndefaults);
    for (uint32_t i = 0; i < c->p->nouters; i++)
      markobj(vm, (struct gcobj *)c->outers[i]);
    break;
  }
  case SQ_TNATIVE: {
    struct sqnative *n = (struct sqnative *)o;
    markobj(vm, (struct gcobj *)n->name);
    markval(vm, n->env);
    break;
  }
  case SQ_TCLASS: {
    struct sqclass *c = (struct sqclass *)o;
    markobj(vm, (struct gcobj *)c->base);
    markobj(vm, (struct gcobj *)c->members);
    markvals(vm, c->fields, c->nfields);
    markvals(vm, c->methods, c->nmethods);
    break;
  }
  case SQ_TINSTANCE: {
    struct sqinstance *in = (struct sqinstance *)o;
    markobj(vm, (struct gcobj *)in->cls);
    markvals(vm, in->fields, in->nfields);
    break;
  }
  case SQ_TGENERATOR: {
    struct sqgen *g = (struct sqgen *)o;
    markobj(vm, (struct gcobj *)g->cl);
    markvals(vm, g->stack, g->nstack);
    break;
  }
  case SQT_PROTO: {
    struct sqproto *p = (struct sqproto *)o;
    markvals(vm, p->consts, p->nconsts);
    for (uint32_t i = 0; i < p->nprotos; i++)
      markobj(vm, (struct gcobj *)p->protos[i]);
    markobj(vm, (struct gcobj *)p->name);
    markobj(vm, (struct gcobj *)p->chunk);
    break;
  }
  case SQT_OUTER: {
    struct sqouter *u = (struct sqouter *)o;
    if (!u->open)
      markval(vm, u->closed);
    break;
  }
  default:
    break;
  }
}

static void markroots(sq_vm *vm) {
  markvals(vm, vm->stack, vm->top);
  /* Above the top lie values of frames that returned. They are not
  ** roots, so what they point to may be freed now: null them, so a frame
  ** that reuses these registers (calls do not clear them) never sees a
  ** freed object. */
  for (uint32_t i = vm->top; i < vm->stacksize; i++)
    vm->stack[i] = V_NULL;
  for (uint32_t i = 0; i < vm->nframes; i++)
    markval(vm, vm->frames[i].func);
  markobj(vm, (struct gcobj *)vm->root);
  markobj(vm, (struct gcobj *)vm->consts);
  markobj(vm, (struct gcobj *)vm->refs);
  markvals(vm, vm->typedeleg, SQ_TWEAKREF + 1);
  markval(vm, vm->errval);
  for (int i = 0; i < SQ_NMETA; i++)
    markobj(vm, (struct gcobj *)vm->meta[i]);
  markobj(vm, (struct gcobj *)vm->s_constructor);
  markobj(vm, (struct gcobj *)vm->s_this);
  markobj(vm, (struct gcobj *)vm->s_vargv);
  for (struct sqouter *o = vm->openouters; o; o = o->next)
    markobj(vm, &o->h);
}

void sqgc_collect(sq_vm *vm) {
  if (vm->gcrunning)
    return;
  vm->gcrunning = true;
  vm->gray = NULL;
  markroots(vm);
  while (vm->gray) {
    struct gcobj *o = vm->gray;
    vm->gray = o->gray;
    o->gray = NULL;
    traverse(vm, o);
  }
  /* Weak references to dead objects become null; release hooks run
  ** before anything is freed (a hook may look at its class). */
  for (struct gcobj *o = vm->gclist; o; o = o->gcnext) {
    if (o->type == SQ_TWEAKREF && o->marked) {
      struct sqweak *w = (struct sqweak *)o;
      if (v_iscollectable(w->target) && !w->target.u.gc->marked)
        w->target = V_NULL;
    } else if (o->type == SQ_TINSTANCE && !o->marked) {
      struct sqinstance *in = (struct sqinstance *)o;
      if (in->up && in->cls->release)
        in->cls->release(vm, in->up);
      in->up = NULL;
    }
  }
  struct gcobj **pp = &vm->gclist;
  while (*pp) {
    struct gcobj *o = *pp;
    if (o->marked) {
      o->marked = 0;
      pp = &o->gcnext;
    } else {
      *pp = o->gcnext;
      sqobj_free(vm, o);
    }
  }
  size_t t = vm->used * 2;
  if (t < SQ_GCMIN)
    t = SQ_GCMIN;
  if (vm->limit) {
    size_t room = vm->limit > vm->used ? vm->limit - vm->used : 0;
    size_t cap = vm->used + room / 2;
    if (t > cap)
      t = cap;
  }
  vm->gcthreshold = t;
  vm->gcrunning = false;
}

void sqgc_freeall(sq_vm *vm) {
  for (struct gcobj *o = vm->gclist; o; o = o->gcnext)
    if (o->type == SQ_TINSTANCE) {
      struct sqinstance *in = (struct sqinstance *)o;
      if (in->up && in->cls->release)
        in->cls->release(vm, in->up);
      in->up = NULL;
    }
  while (vm->gclist) {
    struct gcobj *o = vm->gclist;
    vm->gclist = o->gcnext;
    sqobj_free(vm, o);
  }
}
