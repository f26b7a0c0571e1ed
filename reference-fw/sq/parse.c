/*
** parse.c: recursive-descent compiler for Squirrel 3.0 emitting register
** bytecode. Each expression is described by an expdesc; every register
** at or above e->base belongs to the expression until it is discharged,
** so discharging resets the free-register mark to e->base.
*/
#include "parse.h"

#include <string.h>

#include "err.h"
#include "lex.h"
#include "mem.h"
#include "obj.h"
#include "vm.h"

struct localvar {
  struct sqstr *name;     /* NULL for hidden locals */
  bool captured;
};

struct blockscope {
  struct blockscope *prev;
  uint32_t nactive;
  uint32_t trydepth;
  bool isloop, isswitch;
  int32_t breaks, conts;  /* pending jump lists */
};

struct funcstate {
  struct funcstate *prev;
  struct sqproto *p;
  struct sqins *code;
  int32_t *lines;
  uint32_t ncode, capcode, caplines;
  sqval *consts;
  uint32_t nconsts, capconsts;
  struct sqtable *kcache;
  struct sqproto **protos;
  uint32_t nprotos, capprotos;
  struct outerdesc *outers;
  struct sqstr **outernames;
  uint32_t nouters, capouters, capnames;
  struct localvar *locals;
  uint32_t nactive, caplocals;
  uint32_t top, maxstack;
  struct blockscope *bl;
  uint32_t trydepth;
  uint32_t lastlabel;
  bool isgen;
};

struct sqparser {
  sq_vm *vm;
  struct sqlex ls;
  struct funcstate *fs;
  int depth;
};

enum ekind {
  E_VOID, E_KNULL, E_KTRUE, E_KFALSE, E_KINT, E_KFLOAT, E_KSTR, E_KOBJ,
  E_REG, E_LOCAL, E_OUTER, E_FIELD, E_FIELDK, E_VAR
};

typedef struct expdesc {
  int k;
  int r;          /* register: value, local, or object of a field */
  int key;        /* key register (E_FIELD) */
  int32_t ival;   /* int, constant index, outer index */
  float fval;
  int base;       /* first register this expression owns */
  bool isbase;    /* object is `base`: method calls pass this */
} expdesc;

typedef struct sqparser P_;

static void expr(P_ *P, expdesc *e);
static void statement(P_ *P);
static void unaryexp(P_ *P, expdesc *e);

/* ---- errors and tokens ------------------------------------------------ */

#define LS (&P->ls)
#define FS (P->fs)

static void next(P_ *P) { sqlex_next(LS); }

static _Noreturn void errexpected(P_ *P, int tok) {
  char b1[8], b2[8];
  const char *got = LS->tok == TK_IDENT ? LS->sval->data
                    : LS->tok == TK_EOF ? "end of script"
                                        : sqlex_tokname(LS->tok, b2);
  sqlex_error(LS, "expected '%s' got '%s'", sqlex_tokname(tok, b1), got);
}

static void check(P_ *P, int tok) {
  if (LS->tok != tok)
    errexpected(P, tok);
}

static void expect(P_ *P, int tok) {
  check(P, tok);
  next(P);
}

static bool testnext(P_ *P, int tok) {
  if (LS->tok == tok) {
    next(P);
    return true;
  }
  return false;
}

static struct sqstr *expectident(P_ *P) {
  if (LS->tok == TK_CONSTRUCTOR) {   /* base.constructor(...) */
    next(P);
    return P->vm->s_constructor;
  }
  check(P, TK_IDENT);
  struct sqstr *s = LS->sval;
  next(P);
  return s;
}

static void enterlevel(P_ *P) {
  if (++P->depth > SQ_MAXPARSEDEPTH)
    sqlex_error(LS, "nesting too deep");
}
static void leavelevel(P_ *P) { P->depth--; }

/* ---- code emission ---------------------------------------------------- */

static int emit(P_ *P, int op, int a, int b, int c, int32_t x) {
  struct funcstate *fs = FS;
  /* The interpreter's dispatch assumes every opcode is valid (vm.c). */
  if (op < 0 || op > OP_NOP)
    sqlex_error(LS, "internal error: opcode %d", op);
  if (fs->ncode >= fs->capcode) {
    uint32_t cap = fs->capcode;
    fs->code = sqmem_grow(P->vm, fs->code, &fs->capcode, fs->ncode + 1,
                          sizeof(struct sqins));
    fs->lines = sqmem_grow(P->vm, fs->lines, &cap, fs->ncode + 1,
                           sizeof(int32_t));
    fs->caplines = cap;
  }
  struct sqins *i = &fs->code[fs->ncode];
  i->op = (uint8_t)op;
  i->a = (uint8_t)a;
  i->b = (uint8_t)b;
  i->c = (uint8_t)c;
  i->x = x;
  fs->lines[fs->ncode] = LS->prevline;
  return (int)fs->ncode++;
}

static int here(P_ *P) {
  FS->lastlabel = FS->ncode;
  return (int)FS->ncode;
}

/* Jump lists chain through x until patched: -1 ends a list. */
static int emitjump(P_ *P, int op, int a) { return emit(P, op, a, 0, 0, -1); }

static void patchto(P_ *P, int32_t list, int target) {
  while (list >= 0) {
    int32_t nx = FS->code[list].x;
    FS->code[list].x = target - (list + 1);
    list = nx;
  }
}

static void patchhere(P_ *P, int32_t list) { patchto(P, list, here(P)); }

static int32_t concatjump(P_ *P, int32_t list, int j) {
  FS->code[j].x = list;
  return j;
}

static int newreg(P_ *P) {
  struct funcstate *fs = FS;
  if (fs->top >= SQ_MAXREGS)
    sqlex_error(LS, "too many locals or temporaries in a function");
  int r = (int)fs->top++;
  if (fs->top > fs->maxstack)
    fs->maxstack = fs->top;
  return r;
}

static int32_t addk(P_ *P, sqval v) {
  struct funcstate *fs = FS;
  sqval idx;
  if (v.t != SQ_TNULL && sqtab_get(fs->kcache, v, &idx))
    return idx.u.i;
  fs->consts = sqmem_grow(P->vm, fs->consts, &fs->capconsts,
                          fs->nconsts + 1, sizeof(sqval));
  fs->consts[fs->nconsts] = v;
  sqtab_set(P->vm, fs->kcache, v, v_int((int32_t)fs->nconsts));
  return (int32_t)fs->nconsts++;
}

static int32_t strk(P_ *P, struct sqstr *s) {
  return addk(P, v_obj(SQ_TSTRING, s));
}

/* ---- expression descriptors ------------------------------------------- */

static void einit(P_ *P, expdesc *e, int k) {
  e->k = k;
  e->r = e->key = 0;
  e->ival = 0;
  e->fval = 0;
  e->base = (int)FS->top;
  e->isbase = false;
}

static void discharge(P_ *P, expdesc *e, int t) {
  switch (e->k) {
  case E_VOID:
  case E_KNULL: emit(P, OP_LOADNULL, t, 1, 0, 0); break;
  case E_KTRUE: emit(P, OP_LOADBOOL, t, 1, 0, 0); break;
  case E_KFALSE: emit(P, OP_LOADBOOL, t, 0, 0, 0); break;
  case E_KINT: emit(P, OP_LOADINT, t, 0, 0, e->ival); break;
  case E_KFLOAT: {
    int32_t bits;
    memcpy(&bits, &e->fval, 4);
    emit(P, OP_LOADFLOAT, t, 0, 0, bits);
    break;
  }
  case E_KSTR:
  case E_KOBJ: emit(P, OP_LOADK, t, 0, 0, e->ival); break;
  case E_REG:
  case E_LOCAL:
    if (e->r != t)
      emit(P, OP_MOVE, t, e->r, 0, 0);
    break;
  case E_OUTER: emit(P, OP_GETOUTER, t, 0, 0, e->ival); break;
  case E_FIELD: emit(P, OP_GET, t, e->r, e->key, 0); break;
  case E_FIELDK: emit(P, OP_GETK, t, e->r, 0, e->ival); break;
  case E_VAR: emit(P, OP_GETVAR, t, 0, 0, e->ival); break;
  }
}

static int exp2anyreg(P_ *P, expdesc *e) {
  if (e->k == E_LOCAL)
    return e->r;
  if (e->k == E_REG && e->r == e->base) {
    FS->top = (uint32_t)e->base + 1;
    return e->r;
  }
  FS->top = (uint32_t)e->base;
  int t = newreg(P);
  discharge(P, e, t);
  e->k = E_REG;
  e->r = t;
  return t;
}

static int exp2nextreg(P_ *P, expdesc *e) {
  if (e->k == E_REG && e->r == e->base) {
    FS->top = (uint32_t)e->base + 1;
    return e->r;
  }
  FS->top = (uint32_t)e->base;
  int t = newreg(P);
  discharge(P, e, t);
  e->k = E_REG;
  e->r = t;
  return t;
}

static bool retargetable(int op) {
  switch (op) {
  case OP_LOADK: case OP_LOADINT: case OP_LOADFLOAT: case OP_LOADBOOL:
  case OP_MOVE: case OP_GETOUTER: case OP_GETVAR: case OP_GET:
  case OP_GETK: case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV:
  case OP_MOD: case OP_BAND: case OP_BOR: case OP_BXOR: case OP_SHL:
  case OP_SHR: case OP_USHR: case OP_EQ: case OP_NE: case OP_LT:
  case OP_LE: case OP_GT: case OP_GE: case OP_CMP3: case OP_INC:
  case OP_NEG: case OP_NOT: case OP_BNOT: case OP_TYPEOF: case OP_CLONE:
  case OP_INSTANCEOF: case OP_IN: case OP_GETBASE:
    return true;
  default:
    return false;
  }
}

/* Puts e's value in register t (a local being assigned), writing the
** last instruction's result straight into t when that is safe. */
static void exp2local(P_ *P, expdesc *e, int t) {
  struct funcstate *fs = FS;
  if (e->k == E_REG && e->r >= (int)fs->nactive && fs->ncode > 0 &&
      fs->lastlabel < fs->ncode) {
    struct sqins *last = &fs->code[fs->ncode - 1];
    if (last->a == e->r && retargetable(last->op)) {
      last->a = (uint8_t)t;
      FS->top = (uint32_t)e->base;
      return;
    }
  }
  if (e->k != E_LOCAL || e->r != t)
    discharge(P, e, t);
  FS->top = (uint32_t)e->base;
}

/* ---- functions and scopes --------------------------------------------- */

static int addlocal(P_ *P, struct sqstr *name) {
  struct funcstate *fs = FS;
  if (fs->nactive >= SQ_MAXREGS)
    sqlex_error(LS, "too many local variables");
  if (fs->nactive >= fs->caplocals)
    fs->locals = sqmem_grow(P->vm, fs->locals, &fs->caplocals,
                            fs->nactive + 1, sizeof(struct localvar));
  fs->locals[fs->nactive].name = name;
  fs->locals[fs->nactive].captured = false;
  int r = (int)fs->nactive++;
  if (fs->top < fs->nactive)
    fs->top = fs->nactive;
  if (fs->top > fs->maxstack)
    fs->maxstack = fs->top;
  return r;
}

static void enterblock(P_ *P, struct blockscope *bl, bool isloop) {
  bl->prev = FS->bl;
  bl->nactive = FS->nactive;
  bl->trydepth = FS->trydepth;
  bl->isloop = isloop;
  bl->isswitch = false;
  bl->breaks = -1;
  bl->conts = -1;
  FS->bl = bl;
}

static void leaveblock(P_ *P) {
  struct funcstate *fs = FS;
  struct blockscope *bl = fs->bl;
  bool cap = false;
  for (uint32_t i = bl->nactive; i < fs->nactive; i++)
    cap |= fs->locals[i].captured;
  if (cap)
    emit(P, OP_CLOSE, (int)bl->nactive, 0, 0, 0);
  fs->nactive = bl->nactive;
  fs->top = fs->nactive;
  fs->bl = bl->prev;
}

/* Function states live on the heap, not in the parser's C frames: after
** a syntax error longjmps out, sqparse_cleanup still walks the list. */
static struct funcstate *openfunc(P_ *P) {
  struct funcstate *fs = sqmem_alloc(P->vm, sizeof(*fs));
  memset(fs, 0, sizeof(*fs));
  fs->prev = P->fs;
  P->fs = fs;
  fs->p = sqobj_newproto(P->vm);
  fs->p->chunk = sqstr_newc(P->vm, LS->chunk);
  fs->kcache = sqtab_new(P->vm, 0);
  return fs;
}

static void freefs(sq_vm *vm, struct funcstate *fs) {
  sqmem_free(vm, fs->code, fs->capcode * sizeof(struct sqins));
  sqmem_free(vm, fs->lines, fs->caplines * sizeof(int32_t));
  sqmem_free(vm, fs->consts, fs->capconsts * sizeof(sqval));
  sqmem_free(vm, fs->protos, fs->capprotos * sizeof(struct sqproto *));
  sqmem_free(vm, fs->outers, fs->capouters * sizeof(struct outerdesc));
  sqmem_free(vm, fs->outernames, fs->capnames * sizeof(struct sqstr *));
  sqmem_free(vm, fs->locals, fs->caplocals * sizeof(struct localvar));
  fs->code = NULL;
  fs->lines = NULL;
  fs->consts = NULL;
  fs->protos = NULL;
  fs->outers = NULL;
  fs->outernames = NULL;
  fs->locals = NULL;
  fs->capcode = fs->caplines = fs->capconsts = fs->capprotos = 0;
  fs->capouters = fs->capnames = fs->caplocals = 0;
}

#define COPYOUT(dst, src, n, T)                                   \
  do {                                                            \
    if (n) {                                                      \
      dst = sqmem_alloc(vm, (n) * sizeof(T));                     \
      memcpy(dst, src, (n) * sizeof(T));                          \
    }                                                             \
  } while (0)

static struct sqproto *closefunc(P_ *P) {
  sq_vm *vm = P->vm;
  struct funcstate *fs = FS;
  struct sqproto *p = fs->p;
  COPYOUT(p->code, fs->code, fs->ncode, struct sqins);
  p->ncode = fs->ncode;
  COPYOUT(p->lines, fs->lines, fs->ncode, int32_t);
  COPYOUT(p->consts, fs->consts, fs->nconsts, sqval);
  p->nconsts = fs->nconsts;
  COPYOUT(p->protos, fs->protos, fs->nprotos, struct sqproto *);
  p->nprotos = fs->nprotos;
  COPYOUT(p->outers, fs->outers, fs->nouters, struct outerdesc);
  p->nouters = fs->nouters;
  p->maxstack = (uint16_t)(fs->maxstack + 1);
  p->generator = fs->isgen;
  freefs(vm, fs);
  P->fs = fs->prev;
  sqmem_free(vm, fs, sizeof(*fs));
  return p;
}

static int32_t addproto(P_ *P, struct sqproto *p) {
  struct funcstate *fs = FS;
  fs->protos = sqmem_grow(P->vm, fs->protos, &fs->capprotos,
                          fs->nprotos + 1, sizeof(struct sqproto *));
  fs->protos[fs->nprotos] = p;
  return (int32_t)fs->nprotos++;
}

/* ---- name resolution -------------------------------------------------- */

static int addouter(P_ *P, struct funcstate *fs, struct sqstr *name,
                    bool fromlocal, int idx) {
  if (fs->nouters >= 65535)
    sqlex_error(LS, "too many free variables");
  uint32_t c = fs->capouters;
  fs->outers = sqmem_grow(P->vm, fs->outers, &fs->capouters,
                          fs->nouters + 1, sizeof(struct outerdesc));
  fs->outernames = sqmem_grow(P->vm, fs->outernames, &c, fs->nouters + 1,
                              sizeof(struct sqstr *));
  fs->capnames = c;
  fs->outers[fs->nouters].fromlocal = fromlocal;
  fs->outers[fs->nouters].idx = (uint16_t)idx;
  fs->outernames[fs->nouters] = name;
  return (int)fs->nouters++;
}

/* Returns E_LOCAL (reg in *idx), E_OUTER (index) or E_VOID. */
static int resolve(P_ *P, struct funcstate *fs, struct sqstr *name,
                   int *idx) {
  for (int i = (int)fs->nactive - 1; i >= 0; i--)
    if (fs->locals[i].name == name) {
      *idx = i;
      return E_LOCAL;
    }
  for (uint32_t i = 0; i < fs->nouters; i++)
    if (fs->outernames[i] == name) {
      *idx = (int)i;
      return E_OUTER;
    }
  if (!fs->prev)
    return E_VOID;
  int pidx;
  int k = resolve(P, fs->prev, name, &pidx);
  if (k == E_LOCAL) {
    fs->prev->locals[pidx].captured = true;
    *idx = addouter(P, fs, name, true, pidx);
    return E_OUTER;
  }
  if (k == E_OUTER) {
    *idx = addouter(P, fs, name, false, pidx);
    return E_OUTER;
  }
  return E_VOID;
}

static void constexpr_(P_ *P, expdesc *e, sqval v) {
  switch (v.t) {
  case SQ_TNULL: e->k = E_KNULL; break;
  case SQ_TBOOL: e->k = v.u.b ? E_KTRUE : E_KFALSE; break;
  case SQ_TINTEGER: e->k = E_KINT; e->ival = v.u.i; break;
  case SQ_TFLOAT: e->k = E_KFLOAT; e->fval = v.u.f; break;
  default: e->k = E_KOBJ; e->ival = addk(P, v); break;
  }
}

static void singlevar(P_ *P, expdesc *e, struct sqstr *name) {
  int idx;
  int k = resolve(P, FS, name, &idx);
  if (k == E_LOCAL) {
    e->k = E_LOCAL;
    e->r = idx;
    return;
  }
  if (k == E_OUTER) {
    e->k = E_OUTER;
    e->ival = idx;
    return;
  }
  sqval cv;
  if (sqtab_get(P->vm->consts, v_obj(SQ_TSTRING, name), &cv)) {
    if (cv.t == SQ_TTABLE && LS->tok == '.') {
      next(P);
      struct sqstr *m = expectident(P);
      sqval mv;
      if (!sqtab_get(cv.u.tab, v_obj(SQ_TSTRING, m), &mv))
        sqlex_error(LS, "invalid enum member '%s'", m->data);
      constexpr_(P, e, mv);
      return;
    }
    constexpr_(P, e, cv);
    return;
  }
  e->k = E_VAR;
  e->ival = strk(P, name);
}

/* ---- function literals ------------------------------------------------ */

static void statements(P_ *P);

/* Compiles parameters and body; the closure lands in register 'target'
** of the enclosing function (defaults go just above it). */
static void funcbody(P_ *P, int target, struct sqstr *name, bool lambda) {
  struct sqstr *pnames[SQ_MAXREGS];
  int np = 0, ndef = 0;
  bool varargs = false;
  expect(P, '(');
  while (LS->tok != ')') {
    if (testnext(P, TK_VARARGS)) {
      varargs = true;
      break;
    }
    if (np >= SQ_MAXREGS - 2)
      sqlex_error(LS, "too many parameters");
    pnames[np++] = expectident(P);
    if (testnext(P, '=')) {
      expdesc d;
      einit(P, &d, E_VOID);
      expr(P, &d);
      exp2nextreg(P, &d);
      ndef++;
    } else if (ndef) {
      sqlex_error(LS, "expected '='");
    }
    if (LS->tok != ')')
      expect(P, ',');
  }
  expect(P, ')');
  struct funcstate *fs = openfunc(P);
  fs->p->name = name;
  addlocal(P, P->vm->s_this);
  for (int i = 0; i < np; i++)
    addlocal(P, pnames[i]);
  if (varargs)
    addlocal(P, P->vm->s_vargv);
  fs->p->nparams = (uint16_t)(np + 1);
  fs->p->ndefaults = (uint16_t)ndef;
  fs->p->varargs = varargs;
  if (lambda) {
    expdesc r;
    einit(P, &r, E_VOID);
    expr(P, &r);
    int rr = exp2anyreg(P, &r);
    emit(P, OP_RET, rr, 1, 0, 0);
  } else {
    expect(P, '{');
    statements(P);
    check(P, '}');
    next(P);
  }
  emit(P, OP_RET, 0, 0, 0, 0);
  struct sqproto *p = closefunc(P);
  int32_t idx = addproto(P, p);
  emit(P, OP_CLOSURE, target, 0, 0, idx);
  FS->top = (uint32_t)target + 1;
}

/* ---- table, array and class literals ---------------------------------- */

static void loadkey(P_ *P, struct sqstr *s, int r) {
  emit(P, OP_LOADK, r, 0, 0, strk(P, s));
}

static void tablector(P_ *P, int t) {
  /* '{' already consumed */
  while (LS->tok != '}') {
    if (LS->tok == TK_FUNCTION) {
      next(P);
      struct sqstr *name = expectident(P);
      int v = newreg(P);
      funcbody(P, v, name, false);
      emit(P, OP_NEWSLOTK, t, v, 0, strk(P, name));
    } else if (LS->tok == '[') {
      next(P);
      expdesc k, v;
      einit(P, &k, E_VOID);
      expr(P, &k);
      int kr = exp2nextreg(P, &k);
      expect(P, ']');
      expect(P, '=');
      einit(P, &v, E_VOID);
      expr(P, &v);
      int vr = exp2anyreg(P, &v);
      emit(P, OP_NEWSLOT, t, kr, vr, 0);
    } else {
      struct sqstr *key;
      if (LS->tok == TK_STRING) {
        key = LS->sval;
        next(P);
        if (!testnext(P, ':'))
          expect(P, '=');
      } else {
        key = expectident(P);
        expect(P, '=');
      }
      expdesc v;
      einit(P, &v, E_VOID);
      expr(P, &v);
      int vr = exp2anyreg(P, &v);
      emit(P, OP_NEWSLOTK, t, vr, 0, strk(P, key));
    }
    FS->top = (uint32_t)t + 1;
    if (!testnext(P, ','))
      testnext(P, ';');
  }
  next(P);
}

static void skipattributes(P_ *P) {
  if (!testnext(P, TK_ATTROPEN))
    return;
  int t = newreg(P);
  emit(P, OP_NEWTABLE, t, 0, 0, 0);
  while (LS->tok != TK_ATTRCLOSE) {
    struct sqstr *key = expectident(P);
    if (testnext(P, '=')) {
      expdesc v;
      einit(P, &v, E_VOID);
      expr(P, &v);
      int vr = exp2anyreg(P, &v);
      emit(P, OP_NEWSLOTK, t, vr, 0, strk(P, key));
    }
    FS->top = (uint32_t)t + 1;
    testnext(P, ',');
  }
  next(P);
  FS->top = (uint32_t)t;
}

static void classbody(P_ *P, int c) {
  expect(P, '{');
  while (LS->tok != '}') {
    skipattributes(P);
    bool isstatic = testnext(P, TK_STATIC);
    int k = newreg(P);
    if (LS->tok == TK_FUNCTION || LS->tok == TK_CONSTRUCTOR) {
      struct sqstr *name;
      if (testnext(P, TK_CONSTRUCTOR)) {
        name = P->vm->s_constructor;
      } else {
        next(P);
        name = expectident(P);
      }
      loadkey(P, name, k);
      int v = newreg(P);
      funcbody(P, v, name, false);
      emit(P, OP_NEWMEMBER, c, k, v, isstatic);
    } else if (testnext(P, '[')) {
      expdesc ke, v;
      einit(P, &ke, E_VOID);
      expr(P, &ke);
      discharge(P, &ke, k);
      FS->top = (uint32_t)k + 1;
      expect(P, ']');
      expect(P, '=');
      einit(P, &v, E_VOID);
      expr(P, &v);
      int vr = exp2anyreg(P, &v);
      emit(P, OP_NEWMEMBER, c, k, vr, isstatic);
    } else {
      struct sqstr *name = expectident(P);
      loadkey(P, name, k);
      expect(P, '=');
      expdesc v;
      einit(P, &v, E_VOID);
      expr(P, &v);
      int vr = exp2anyreg(P, &v);
      emit(P, OP_NEWMEMBER, c, k, vr, isstatic);
    }
    FS->top = (uint32_t)c + 1;
    if (!testnext(P, ';'))
      testnext(P, ',');
  }
  next(P);
}

/* class [extends expr] { ... } into a new register at e->base. */
static void classexp(P_ *P, expdesc *e) {
  int c = newreg(P);
  if (testnext(P, TK_EXTENDS)) {
    expdesc b;
    einit(P, &b, E_VOID);
    unaryexp(P, &b);
    int br = exp2anyreg(P, &b);
    emit(P, OP_CLASS, c, br, 1, 0);
  } else {
    emit(P, OP_CLASS, c, 0, 0, 0);
  }
  FS->top = (uint32_t)c + 1;
  classbody(P, c);
  e->k = E_REG;
  e->r = c;
}

/* ---- primary and suffixed expressions -------------------------------- */

static void funcargs(P_ *P, expdesc *e) {
  int fr;
  if (e->k == E_FIELD || e->k == E_FIELDK) {
    int obj = e->r, key = e->key;
    int32_t kidx = e->ival;
    int kind = e->k;
    bool isbase = e->isbase;
    FS->top = (uint32_t)e->base;
    fr = newreg(P);
    newreg(P);
    if (isbase) {
      if (kind == E_FIELD)
        emit(P, OP_GET, fr, obj, key, 0);
      else
        emit(P, OP_GETK, fr, obj, 0, kidx);
      emit(P, OP_MOVE, fr + 1, 0, 0, 0);
    } else if (kind == E_FIELD) {
      emit(P, OP_PREPCALL, fr, obj, key, 0);
    } else {
      emit(P, OP_PREPCALLK, fr, obj, 0, kidx);
    }
  } else {
    fr = exp2nextreg(P, e);
    int t = newreg(P);
    emit(P, OP_MOVE, t, 0, 0, 0);
  }
  int nargs = 1;
  while (LS->tok != ')') {
    expdesc a;
    einit(P, &a, E_VOID);
    expr(P, &a);
    exp2nextreg(P, &a);
    if (++nargs > 200)
      sqlex_error(LS, "too many arguments");
    if (LS->tok != ')')
      expect(P, ',');
  }
  next(P);
  emit(P, OP_CALL, fr, nargs, 0, 0);
  FS->top = (uint32_t)fr + 1;
  e->k = E_REG;
  e->r = fr;
  e->isbase = false;
}

static void primaryexp(P_ *P, expdesc *e) {
  switch (LS->tok) {
  case TK_IDENT: {
    struct sqstr *name = LS->sval;
    next(P);
    singlevar(P, e, name);
    return;
  }
  case TK_DCOLON: {
    next(P);
    int t = newreg(P);
    emit(P, OP_LOADROOT, t, 0, 0, 0);
    struct sqstr *name = expectident(P);
    e->k = E_FIELDK;
    e->r = t;
    e->ival = strk(P, name);
    return;
  }
  case TK_THIS: next(P); e->k = E_LOCAL; e->r = 0; return;
  case TK_BASE: {
    next(P);
    int t = newreg(P);
    emit(P, OP_GETBASE, t, 0, 0, 0);
    e->k = E_REG;
    e->r = t;
    e->isbase = true;
    return;
  }
  case TK_INTEGER: e->k = E_KINT; e->ival = LS->ival; next(P); return;
  case TK_FLOAT: e->k = E_KFLOAT; e->fval = LS->fval; next(P); return;
  case TK_STRING:
    e->k = E_KSTR;
    e->ival = strk(P, LS->sval);
    next(P);
    return;
  case TK_NULL: e->k = E_KNULL; next(P); return;
  case TK_TRUE: e->k = E_KTRUE; next(P); return;
  case TK_FALSE: e->k = E_KFALSE; next(P); return;
  case '(': {
    next(P);
    expr(P, e);
    expect(P, ')');
    /* A parenthesised field is a value, not a method target. */
    if (e->k == E_FIELD || e->k == E_FIELDK)
      exp2anyreg(P, e);
    return;
  }
  case '[': {
    next(P);
    int a = newreg(P);
    int nins = emit(P, OP_NEWARRAY, a, 0, 0, 0);
    int n = 0;
    while (LS->tok != ']') {
      expdesc v;
      einit(P, &v, E_VOID);
      expr(P, &v);
      int vr = exp2anyreg(P, &v);
      emit(P, OP_APPEND, a, vr, 0, 0);
      FS->top = (uint32_t)a + 1;
      n++;
      testnext(P, ',');
    }
    next(P);
    FS->code[nins].x = n;
    e->k = E_REG;
    e->r = a;
    return;
  }
  case '{': {
    next(P);
    int t = newreg(P);
    emit(P, OP_NEWTABLE, t, 0, 0, 0);
    tablector(P, t);
    e->k = E_REG;
    e->r = t;
    return;
  }
  case TK_FUNCTION: {
    next(P);
    int t = newreg(P);
    funcbody(P, t, NULL, false);
    e->k = E_REG;
    e->r = t;
    return;
  }
  case '@': {
    next(P);
    int t = newreg(P);
    funcbody(P, t, NULL, true);
    e->k = E_REG;
    e->r = t;
    return;
  }
  case TK_CLASS:
    next(P);
    classexp(P, e);
    return;
  default: {
    char b[8];
    const char *t = LS->tok == TK_EOF ? "end of script"
                                      : sqlex_tokname(LS->tok, b);
    sqlex_error(LS, "expression expected, got '%s'", t);
  }
  }
}

static void suffixedexp(P_ *P, expdesc *e) {
  primaryexp(P, e);
  for (;;) {
    switch (LS->tok) {
    case '.': {
      next(P);
      struct sqstr *name = expectident(P);
      bool isbase = e->isbase;
      int obj = exp2anyreg(P, e);
      e->k = E_FIELDK;
      e->r = obj;
      e->ival = strk(P, name);
      e->isbase = isbase;
      break;
    }
    case '[': {
      next(P);
      bool isbase = e->isbase;
      int obj = exp2anyreg(P, e);
      expdesc k;
      einit(P, &k, E_VOID);
      expr(P, &k);
      int kr = exp2anyreg(P, &k);
      expect(P, ']');
      e->k = E_FIELD;
      e->r = obj;
      e->key = kr;
      e->isbase = isbase;
      break;
    }
    case '(':
      next(P);
      funcargs(P, e);
      break;
    default:
      return;
    }
  }
}

/* ---- assignment helpers ----------------------------------------------- */

static void needlvalue(P_ *P, expdesc *e) {
  switch (e->k) {
  case E_LOCAL: case E_OUTER: case E_FIELD: case E_FIELDK: case E_VAR:
    return;
  default:
    sqlex_error(LS, "can't assign expression");
  }
}

/* Stores register v into the lvalue e. */
static void storevar(P_ *P, expdesc *e, int v) {
  switch (e->k) {
  case E_LOCAL:
    if (e->r != v)
      emit(P, OP_MOVE, e->r, v, 0, 0);
    break;
  case E_OUTER: emit(P, OP_SETOUTER, v, 0, 0, e->ival); break;
  case E_FIELD: emit(P, OP_SET, e->r, e->key, v, 0); break;
  case E_FIELDK: emit(P, OP_SETK, e->r, v, 0, e->ival); break;
  case E_VAR: emit(P, OP_SETVAR, v, 0, 0, e->ival); break;
  default: break;
  }
}

/* Loads the current value of lvalue e into a new register (e intact). */
static int loadvar(P_ *P, expdesc *e) {
  int t = newreg(P);
  expdesc c = *e;
  discharge(P, &c, t);
  return t;
}

static int arithop(int tok) {
  switch (tok) {
  case TK_PLUSEQ: case '+': case TK_INC: return OP_ADD;
  case TK_MINUSEQ: case '-': case TK_DEC: return OP_SUB;
  case TK_MULEQ: case '*': return OP_MUL;
  case TK_DIVEQ: case '/': return OP_DIV;
  case TK_MODEQ: case '%': return OP_MOD;
  default: return -1;
  }
}

/* ++x / --x (prefix) and x++ / x-- (postfix) on lvalue e. */
static void incdec(P_ *P, expdesc *e, int delta, bool postfix) {
  needlvalue(P, e);
  if (e->k == E_LOCAL) {
    if (postfix) {
      int t = newreg(P);
      emit(P, OP_MOVE, t, e->r, 0, 0);
      emit(P, OP_INC, e->r, e->r, 0, delta);
      e->k = E_REG;
      e->r = t;
    } else {
      emit(P, OP_INC, e->r, e->r, 0, delta);
    }
    return;
  }
  int t = loadvar(P, e);
  if (postfix) {
    int u = newreg(P);
    emit(P, OP_INC, u, t, 0, delta);
    storevar(P, e, u);
  } else {
    emit(P, OP_INC, t, t, 0, delta);
    storevar(P, e, t);
  }
  e->k = E_REG;
  e->r = t;
}

/* ---- operators ------------------------------------------------------- */

static void unaryexp(P_ *P, expdesc *e) {
  enterlevel(P);
  int tok = LS->tok;
  switch (tok) {
  case '-': case '!': case '~': case TK_TYPEOF: case TK_CLONE:
  case TK_RESUME: {
    next(P);
    unaryexp(P, e);
    if (tok == '-' && e->k == E_KINT) {
      e->ival = (int32_t)(0u - (uint32_t)e->ival);
      break;
    }
    if (tok == '-' && e->k == E_KFLOAT) {
      e->fval = -e->fval;
      break;
    }
    int v = exp2anyreg(P, e);
    FS->top = (uint32_t)e->base;
    int t = newreg(P);
    int op = tok == '-' ? OP_NEG : tok == '!' ? OP_NOT : tok == '~' ? OP_BNOT
           : tok == TK_TYPEOF ? OP_TYPEOF : tok == TK_CLONE ? OP_CLONE
           : OP_RESUME;
    emit(P, op, t, v, 0, 0);
    e->k = E_REG;
    e->r = t;
    break;
  }
  case TK_INC: case TK_DEC:
    next(P);
    unaryexp(P, e);
    incdec(P, e, tok == TK_INC ? 1 : -1, false);
    break;
  case TK_DELETE: {
    next(P);
    unaryexp(P, e);
    int obj, key;
    if (e->k == E_FIELD) {
      obj = e->r;
      key = e->key;
    } else if (e->k == E_FIELDK) {
      obj = e->r;
      key = newreg(P);
      emit(P, OP_LOADK, key, 0, 0, e->ival);
    } else if (e->k == E_VAR) {
      obj = 0;
      key = newreg(P);
      emit(P, OP_LOADK, key, 0, 0, e->ival);
    } else {
      sqlex_error(LS, "can't delete an expression");
    }
    FS->top = (uint32_t)e->base;
    int t = newreg(P);
    emit(P, OP_DELETE, t, obj, key, 0);
    e->k = E_REG;
    e->r = t;
    break;
  }
  default:
    suffixedexp(P, e);
    if ((LS->tok == TK_INC || LS->tok == TK_DEC) && !LS->nlbefore) {
      int d = LS->tok == TK_INC ? 1 : -1;
      next(P);
      incdec(P, e, d, true);
    }
    break;
  }
  leavelevel(P);
}

/* Binary operator levels, lowest first; ORDER matters for binexp. */
static int binprec(int tok, int *op) {
  switch (tok) {
  case '|': *op = OP_BOR; return 3;
  case '^': *op = OP_BXOR; return 4;
  case '&': *op = OP_BAND; return 5;
  case TK_EQ: *op = OP_EQ; return 6;
  case TK_NE: *op = OP_NE; return 6;
  case TK_CMP3: *op = OP_CMP3; return 6;
  case '<': *op = OP_LT; return 7;
  case TK_LE: *op = OP_LE; return 7;
  case '>': *op = OP_GT; return 7;
  case TK_GE: *op = OP_GE; return 7;
  case TK_IN: *op = OP_IN; return 7;
  case TK_INSTANCEOF: *op = OP_INSTANCEOF; return 7;
  case TK_SHL: *op = OP_SHL; return 8;
  case TK_SHR: *op = OP_SHR; return 8;
  case TK_USHR: *op = OP_USHR; return 8;
  case '+': *op = OP_ADD; return 9;
  case '-': *op = OP_SUB; return 9;
  case '*': *op = OP_MUL; return 10;
  case '/': *op = OP_DIV; return 10;
  case '%': *op = OP_MOD; return 10;
  default: return 0;
  }
}

/* Folds integer constant arithmetic where Squirrel's result is plain. */
static bool foldint(int op, int32_t a, int32_t b, int32_t *r) {
  uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
  switch (op) {
  case OP_ADD: *r = (int32_t)(ua + ub); return true;
  case OP_SUB: *r = (int32_t)(ua - ub); return true;
  case OP_MUL: *r = (int32_t)(ua * ub); return true;
  case OP_BOR: *r = a | b; return true;
  case OP_BAND: *r = a & b; return true;
  case OP_BXOR: *r = a ^ b; return true;
  case OP_SHL:
    if (ub >= 32) return false;
    *r = (int32_t)(ua << ub);
    return true;
  default: return false;
  }
}

/* Binary expressions with precedence above 'limit' (2: && level). */
static void binexp(P_ *P, expdesc *e, int limit) {
  enterlevel(P);
  unaryexp(P, e);
  int op = OP_NOP;
  int prec;
  while ((prec = binprec(LS->tok, &op)) > limit) {
    next(P);
    int base = e->base;
    expdesc r;
    if (e->k == E_KINT) {
      einit(P, &r, E_VOID);
      binexp(P, &r, prec);
      int32_t v;
      if (r.k == E_KINT && foldint(op, e->ival, r.ival, &v)) {
        e->ival = v;
        continue;
      }
      /* materialise the left constant below the right operand */
      int rr = exp2anyreg(P, &r);
      int l = newreg(P);
      discharge(P, e, l);
      FS->top = (uint32_t)base;
      int t = newreg(P);
      emit(P, op, t, l, rr, 0);
      e->k = E_REG;
      e->r = t;
      e->base = base;
      continue;
    }
    int l = exp2anyreg(P, e);
    einit(P, &r, E_VOID);
    binexp(P, &r, prec);
    if (op == OP_ADD && (r.k == E_KINT) && r.ival > -32768 &&
        r.ival < 32768) {
      FS->top = (uint32_t)base;
      int t = newreg(P);
      emit(P, OP_INC, t, l, 0, r.ival);
      e->k = E_REG;
      e->r = t;
      continue;
    }
    int rr = exp2anyreg(P, &r);
    FS->top = (uint32_t)base;
    int t = newreg(P);
    emit(P, op, t, l, rr, 0);
    e->k = E_REG;
    e->r = t;
  }
  leavelevel(P);
}

static void andexp(P_ *P, expdesc *e) {
  binexp(P, e, 2);
  while (LS->tok == TK_AND) {
    next(P);
    int t = exp2nextreg(P, e);
    int j = emitjump(P, OP_JZ, t);
    expdesc r;
    einit(P, &r, E_VOID);
    binexp(P, &r, 2);
    discharge(P, &r, t);
    FS->top = (uint32_t)t + 1;
    patchhere(P, j);
    e->k = E_REG;
    e->r = t;
  }
}

static void orexp(P_ *P, expdesc *e) {
  andexp(P, e);
  while (LS->tok == TK_OR) {
    next(P);
    int t = exp2nextreg(P, e);
    int j = emitjump(P, OP_JNZ, t);
    expdesc r;
    einit(P, &r, E_VOID);
    andexp(P, &r);
    discharge(P, &r, t);
    FS->top = (uint32_t)t + 1;
    patchhere(P, j);
    e->k = E_REG;
    e->r = t;
  }
}

/* expr: orexp [ ('=' | '<-' | op=) expr | '?' expr ':' expr ] */
static void expr(P_ *P, expdesc *e) {
  enterlevel(P);
  e->base = (int)FS->top;
  orexp(P, e);
  int tok = LS->tok;
  switch (tok) {
  case '=': case TK_NEWSLOT: case TK_PLUSEQ: case TK_MINUSEQ:
  case TK_MULEQ: case TK_DIVEQ: case TK_MODEQ: {
    needlvalue(P, e);
    next(P);
    if (tok == TK_NEWSLOT) {
      int obj;
      int32_t kidx = -1;
      int key = -1;
      if (e->k == E_FIELD) {
        obj = e->r;
        key = e->key;
      } else if (e->k == E_FIELDK) {
        obj = e->r;
        kidx = e->ival;
      } else if (e->k == E_VAR) {
        obj = 0;
        kidx = e->ival;
      } else {
        sqlex_error(LS, "can't 'create' a local slot");
      }
      expdesc v;
      einit(P, &v, E_VOID);
      expr(P, &v);
      int vr = exp2anyreg(P, &v);
      if (key >= 0)
        emit(P, OP_NEWSLOT, obj, key, vr, 0);
      else
        emit(P, OP_NEWSLOTK, obj, vr, 0, kidx);
      e->k = E_REG;
      e->r = vr;
      break;
    }
    if (tok == '=') {
      expdesc v;
      einit(P, &v, E_VOID);
      expr(P, &v);
      if (e->k == E_LOCAL) {
        int base = e->base;
        exp2local(P, &v, e->r);
        FS->top = (uint32_t)base;
        break;
      }
      int vr = exp2anyreg(P, &v);
      storevar(P, e, vr);
      e->k = E_REG;
      e->r = vr;
      break;
    }
    /* compound assignment */
    int op = arithop(tok);
    if (e->k == E_LOCAL) {
      expdesc v;
      einit(P, &v, E_VOID);
      expr(P, &v);
      if (op == OP_ADD && v.k == E_KINT && v.ival > -32768 &&
          v.ival < 32768) {
        emit(P, OP_INC, e->r, e->r, 0, v.ival);
      } else {
        int vr = exp2anyreg(P, &v);
        emit(P, op, e->r, e->r, vr, 0);
      }
      FS->top = (uint32_t)e->base;
      break;
    }
    int t = loadvar(P, e);
    expdesc v;
    einit(P, &v, E_VOID);
    expr(P, &v);
    int vr = exp2anyreg(P, &v);
    emit(P, op, t, t, vr, 0);
    storevar(P, e, t);
    FS->top = (uint32_t)t + 1;
    e->k = E_REG;
    e->r = t;
    break;
  }
  case '?': {
    next(P);
    int base = e->base;
    int c = exp2anyreg(P, e);
    int jf = emitjump(P, OP_JZ, c);
    FS->top = (uint32_t)base;
    expdesc a;
    einit(P, &a, E_VOID);
    expr(P, &a);
    FS->top = (uint32_t)base;
    discharge(P, &a, base);
    int jend = emitjump(P, OP_JMP, 0);
    expect(P, ':');
    patchhere(P, jf);
    FS->top = (uint32_t)base;
    expdesc b;
    einit(P, &b, E_VOID);
    expr(P, &b);
    FS->top = (uint32_t)base;
    discharge(P, &b, base);
    FS->top = (uint32_t)base;
    newreg(P);
    patchhere(P, jend);
    e->k = E_REG;
    e->r = base;
    break;
  }
  default:
    break;
  }
  leavelevel(P);
}

/* Evaluates an expression for its effects only. */
static void exprstat(P_ *P) {
  expdesc e;
  einit(P, &e, E_VOID);
  expr(P, &e);
  if (e.k == E_FIELD || e.k == E_FIELDK || e.k == E_VAR || e.k == E_OUTER)
    exp2anyreg(P, &e);
  FS->top = FS->nactive;
}

static void commaexprstat(P_ *P) {
  exprstat(P);
  while (testnext(P, ','))
    exprstat(P);
}

/* Condition in a fresh register (or local); returns the register. */
static int condexp(P_ *P) {
  expdesc e;
  einit(P, &e, E_VOID);
  expr(P, &e);
  return exp2anyreg(P, &e);
}

/* ---- statements ------------------------------------------------------ */

static bool endofstatement(P_ *P) {
  return LS->nlbefore || LS->tok == TK_EOF || LS->tok == '}' ||
         LS->tok == ';';
}

static void blockstat(P_ *P) {
  struct blockscope bl;
  expect(P, '{');
  enterblock(P, &bl, false);
  statements(P);
  leaveblock(P);
  expect(P, '}');
}

/* A loop body: a scope whose end closes captured locals per iteration. */
static void loopbody(P_ *P, struct blockscope *bl) {
  enterblock(P, bl, true);
  statement(P);
  leaveblock(P);
}

static void ifstat(P_ *P) {
  next(P);
  expect(P, '(');
  int c = condexp(P);
  expect(P, ')');
  int jf = emitjump(P, OP_JZ, c);
  FS->top = FS->nactive;
  struct blockscope bl;
  enterblock(P, &bl, false);
  statement(P);
  leaveblock(P);
  /* "if (c) a(); else b();": the ';' before else belongs to the if */
  if (LS->tok == ';')
    next(P);
  if (LS->tok == TK_ELSE) {
    next(P);
    int jend = emitjump(P, OP_JMP, 0);
    patchhere(P, jf);
    enterblock(P, &bl, false);
    statement(P);
    leaveblock(P);
    patchhere(P, jend);
  } else {
    patchhere(P, jf);
  }
}

static void whilestat(P_ *P) {
  next(P);
  int start = here(P);
  expect(P, '(');
  int c = condexp(P);
  expect(P, ')');
  int jf = emitjump(P, OP_JZ, c);
  FS->top = FS->nactive;
  struct blockscope bl;
  loopbody(P, &bl);
  patchto(P, bl.conts, start);
  int j = emit(P, OP_JMP, 0, 0, 0, 0);
  FS->code[j].x = start - (j + 1);
  patchhere(P, jf);
  patchhere(P, bl.breaks);
}

static void dostat(P_ *P) {
  next(P);
  int start = here(P);
  struct blockscope bl;
  loopbody(P, &bl);
  testnext(P, ';');
  patchhere(P, bl.conts);
  expect(P, TK_WHILE);
  expect(P, '(');
  int c = condexp(P);
  expect(P, ')');
  int j = emit(P, OP_JNZ, c, 0, 0, 0);
  FS->code[j].x = start - (j + 1);
  FS->top = FS->nactive;
  patchhere(P, bl.breaks);
}

static void localstat(P_ *P);

static void forstat(P_ *P) {
  next(P);
  struct blockscope outer;
  enterblock(P, &outer, false);
  expect(P, '(');
  if (LS->tok == TK_LOCAL)
    localstat(P);
  else if (LS->tok != ';')
    commaexprstat(P);
  expect(P, ';');
  int start = here(P);
  int jf = -1;
  if (LS->tok != ';') {
    int c = condexp(P);
    jf = emitjump(P, OP_JZ, c);
    FS->top = FS->nactive;
  }
  expect(P, ';');
  /* The step is compiled here, then moved after the body. */
  uint32_t stepstart = FS->ncode;
  if (LS->tok != ')')
    commaexprstat(P);
  expect(P, ')');
  uint32_t stepend = FS->ncode;
  uint32_t nstep = stepend - stepstart;
  struct sqins stepcode[64];
  int32_t steplines[64];
  bool moved = nstep <= 64;
  if (moved) {
    if (nstep > 0) { /* no code yet: FS->code may still be NULL */
      memcpy(stepcode, FS->code + stepstart, nstep * sizeof(struct sqins));
      memcpy(steplines, FS->lines + stepstart, nstep * sizeof(int32_t));
    }
    FS->ncode = stepstart;
  } else {
    sqlex_error(LS, "for loop step too complex");
  }
  struct blockscope bl;
  loopbody(P, &bl);
  int cont = here(P);
  patchto(P, bl.conts, cont);
  for (uint32_t i = 0; i < nstep; i++) {
    int k = emit(P, stepcode[i].op, stepcode[i].a, stepcode[i].b,
                 stepcode[i].c, stepcode[i].x);
    FS->lines[k] = steplines[i];
  }
  int j = emit(P, OP_JMP, 0, 0, 0, 0);
  FS->code[j].x = start - (j + 1);
  if (jf >= 0)
    patchhere(P, jf);
  patchhere(P, bl.breaks);
  leaveblock(P);
}

static void foreachstat(P_ *P) {
  next(P);
  expect(P, '(');
  struct sqstr *k = NULL, *v = expectident(P);
  if (testnext(P, ',')) {
    k = v;
    v = expectident(P);
  }
  expect(P, TK_IN);
  struct blockscope outer;
  enterblock(P, &outer, false);
  expdesc c;
  einit(P, &c, E_VOID);
  expr(P, &c);
  int cr = exp2nextreg(P, &c);
  expect(P, ')');
  addlocal(P, NULL);                       /* container */
  int it = addlocal(P, NULL);              /* iterator */
  int kr = addlocal(P, k ? k : NULL);
  addlocal(P, v);
  emit(P, OP_LOADNULL, it, 3, 0, 0);
  int start = here(P);
  int jf = emit(P, OP_FOREACH, cr, 0, 0, -1);
  (void)kr;
  struct blockscope bl;
  loopbody(P, &bl);
  patchto(P, bl.conts, start);
  int j = emit(P, OP_JMP, 0, 0, 0, 0);
  FS->code[j].x = start - (j + 1);
  patchhere(P, jf);
  patchhere(P, bl.breaks);
  leaveblock(P);
}

static void switchstat(P_ *P) {
  next(P);
  expect(P, '(');
  struct blockscope outer;
  enterblock(P, &outer, false);
  expdesc e;
  einit(P, &e, E_VOID);
  expr(P, &e);
  int sw = exp2nextreg(P, &e);
  addlocal(P, NULL);
  expect(P, ')');
  expect(P, '{');
  struct blockscope bl;
  enterblock(P, &bl, false);
  bl.isswitch = true;
  int32_t nexttest = -1, fallthrough = -1;
  bool hasdefault = false;
  while (LS->tok == TK_CASE) {
    next(P);
    patchhere(P, nexttest);
    expdesc ce;
    einit(P, &ce, E_VOID);
    expr(P, &ce);
    int cr = exp2anyreg(P, &ce);
    FS->top = FS->nactive;
    int t = newreg(P);
    emit(P, OP_EQ, t, sw, cr, 0);
    nexttest = emitjump(P, OP_JZ, t);
    FS->top = FS->nactive;
    expect(P, ':');
    patchhere(P, fallthrough);
    struct blockscope cb;
    enterblock(P, &cb, false);
    statements(P);
    leaveblock(P);
    fallthrough = emitjump(P, OP_JMP, 0);
  }
  patchhere(P, nexttest);
  patchhere(P, fallthrough);
  if (testnext(P, TK_DEFAULT)) {
    hasdefault = true;
    expect(P, ':');
    struct blockscope cb;
    enterblock(P, &cb, false);
    statements(P);
    leaveblock(P);
  }
  (void)hasdefault;
  expect(P, '}');
  leaveblock(P);
  patchhere(P, bl.breaks);
  leaveblock(P);
}

static void localstat(P_ *P) {
  next(P);
  if (testnext(P, TK_FUNCTION)) {
    struct sqstr *name = expectident(P);
    int r = addlocal(P, name);
    funcbody(P, r, name, false);
    FS->top = FS->nactive;
    return;
  }
  do {
    struct sqstr *name = expectident(P);
    if (testnext(P, '=')) {
      expdesc e;
      einit(P, &e, E_VOID);
      expr(P, &e);
      exp2nextreg(P, &e);
    } else {
      int r = newreg(P);
      emit(P, OP_LOADNULL, r, 1, 0, 0);
    }
    addlocal(P, name);
    FS->top = FS->nactive;
  } while (testnext(P, ','));
}

static void jumpout(P_ *P, bool isbreak) {
  struct blockscope *bl = FS->bl;
  while (bl && !(bl->isloop || (isbreak && bl->isswitch)))
    bl = bl->prev;
  if (!bl)
    sqlex_error(LS, isbreak ? "'break' has to be in a loop block"
                            : "'continue' has to be in a loop block");
  for (uint32_t i = bl->trydepth; i < FS->trydepth; i++)
    emit(P, OP_POPTRY, 0, 0, 0, 0);
  if (FS->nactive > bl->nactive)
    emit(P, OP_CLOSE, (int)bl->nactive, 0, 0, 0);
  int j = emitjump(P, OP_JMP, 0);
  if (isbreak)
    bl->breaks = concatjump(P, bl->breaks, j);
  else
    bl->conts = concatjump(P, bl->conts, j);
}

/* function a[::b...](params) body  ->  a.b <- closure */
static void funcstat(P_ *P) {
  next(P);
  struct sqstr *name = expectident(P);
  expdesc e;
  einit(P, &e, E_VOID);
  int obj = 0;
  struct sqstr *key = name;
  if (LS->tok == TK_DCOLON || LS->tok == '.') {
    singlevar(P, &e, name);
    while (testnext(P, TK_DCOLON) || testnext(P, '.')) {
      key = expectident(P);
      if (LS->tok == TK_DCOLON || LS->tok == '.') {
        int o = exp2anyreg(P, &e);
        e.k = E_FIELDK;
        e.r = o;
        e.ival = strk(P, key);
      }
    }
    obj = exp2anyreg(P, &e);
  }
  int v = newreg(P);
  funcbody(P, v, key, false);
  emit(P, OP_NEWSLOTK, obj, v, 0, strk(P, key));
  FS->top = FS->nactive;
}

static void classstat(P_ *P) {
  next(P);
  struct sqstr *name = expectident(P);
  expdesc e;
  einit(P, &e, E_VOID);
  int obj = 0;
  struct sqstr *key = name;
  if (LS->tok == '.') {
    singlevar(P, &e, name);
    while (testnext(P, '.')) {
      key = expectident(P);
      if (LS->tok == '.') {
        int o = exp2anyreg(P, &e);
        e.k = E_FIELDK;
        e.r = o;
        e.ival = strk(P, key);
      }
    }
    obj = exp2anyreg(P, &e);
  }
  expdesc c;
  einit(P, &c, E_VOID);
  classexp(P, &c);
  emit(P, OP_NEWSLOTK, obj, c.r, 0, strk(P, key));
  FS->top = FS->nactive;
}

static sqval constliteral(P_ *P) {
  bool neg = testnext(P, '-');
  sqval v;
  switch (LS->tok) {
  case TK_INTEGER:
    v = v_int(neg ? (int32_t)(0u - (uint32_t)LS->ival) : LS->ival);
    break;
  case TK_FLOAT: v = v_float(neg ? -LS->fval : LS->fval); break;
  case TK_STRING:
    if (neg)
      sqlex_error(LS, "scalar expected : integer, float or string");
    v = v_obj(SQ_TSTRING, LS->sval);
    break;
  case TK_TRUE: case TK_FALSE:
    if (neg)
      sqlex_error(LS, "scalar expected : integer, float or string");
    v = v_bool(LS->tok == TK_TRUE);
    break;
  default:
    sqlex_error(LS, "scalar expected : integer, float or string");
  }
  next(P);
  return v;
}

static void conststat(P_ *P) {
  next(P);
  struct sqstr *name = expectident(P);
  expect(P, '=');
  sqval v = constliteral(P);
  sqtab_set(P->vm, P->vm->consts, v_obj(SQ_TSTRING, name), v);
}

static void enumstat(P_ *P) {
  next(P);
  struct sqstr *name = expectident(P);
  expect(P, '{');
  struct sqtable *t = sqtab_new(P->vm, 0);
  sqtab_set(P->vm, P->vm->consts, v_obj(SQ_TSTRING, name),
            v_obj(SQ_TTABLE, t));
  int32_t counter = 0;
  while (LS->tok != '}') {
    struct sqstr *m = expectident(P);
    sqval v;
    if (testnext(P, '='))
      v = constliteral(P);
    else
      v = v_int(counter++);
    sqtab_set(P->vm, t, v_obj(SQ_TSTRING, m), v);
    testnext(P, ',');
  }
  next(P);
}

static void trystat(P_ *P) {
  next(P);
  int ereg = (int)FS->nactive;
  int jtry = emitjump(P, OP_TRY, ereg);
  if ((uint32_t)ereg + 1 > FS->maxstack)
    FS->maxstack = (uint32_t)ereg + 1;
  FS->trydepth++;
  struct blockscope bl;
  enterblock(P, &bl, false);
  statement(P);
  testnext(P, ';');
  leaveblock(P);
  FS->trydepth--;
  emit(P, OP_POPTRY, 0, 0, 0, 0);
  int jend = emitjump(P, OP_JMP, 0);
  expect(P, TK_CATCH);
  expect(P, '(');
  patchhere(P, jtry);
  enterblock(P, &bl, false);
  addlocal(P, expectident(P));
  expect(P, ')');
  statement(P);
  leaveblock(P);
  patchhere(P, jend);
}

static void returnstat(P_ *P, bool isyield) {
  next(P);
  if (isyield)
    FS->isgen = true;
  int op = isyield ? OP_YIELD : OP_RET;
  if (endofstatement(P)) {
    emit(P, op, 0, 0, 0, 0);
    return;
  }
  expdesc e;
  einit(P, &e, E_VOID);
  expr(P, &e);
  int r = exp2anyreg(P, &e);
  emit(P, op, r, 1, 0, 0);
  FS->top = FS->nactive;
}

static void statement(P_ *P) {
  enterlevel(P);
  FS->top = FS->nactive;
  switch (LS->tok) {
  case ';': next(P); break;
  case TK_IF: ifstat(P); break;
  case TK_WHILE: whilestat(P); break;
  case TK_DO: dostat(P); break;
  case TK_FOR: forstat(P); break;
  case TK_FOREACH: foreachstat(P); break;
  case TK_SWITCH: switchstat(P); break;
  case TK_LOCAL: localstat(P); break;
  case TK_RETURN: returnstat(P, false); break;
  case TK_YIELD: returnstat(P, true); break;
  case TK_BREAK: next(P); jumpout(P, true); break;
  case TK_CONTINUE: next(P); jumpout(P, false); break;
  case TK_FUNCTION: funcstat(P); break;
  case TK_CLASS: classstat(P); break;
  case TK_ENUM: enumstat(P); break;
  case TK_CONST: conststat(P); break;
  case '{': blockstat(P); break;
  case TK_TRY: trystat(P); break;
  case TK_THROW: {
    next(P);
    int r = condexp(P);
    emit(P, OP_THROW, r, 0, 0, 0);
    break;
  }
  default:
    commaexprstat(P);
    break;
  }
  FS->top = FS->nactive;
  leavelevel(P);
}

static void statements(P_ *P) {
  while (LS->tok != '}' && LS->tok != TK_EOF && LS->tok != TK_CASE &&
         LS->tok != TK_DEFAULT) {
    statement(P);
    if (LS->prevtok == '}' || LS->prevtok == ';')
      continue;
    if (LS->tok == ';') {
      next(P);
      continue;
    }
    if (!endofstatement(P))
      sqlex_error(LS, "end of statement expected (; or lf)");
  }
}

/* ---- entry ----------------------------------------------------------- */

struct sqproto *sqparse_compile(sq_vm *vm, const char *src, size_t len,
                                const char *chunk) {
  struct sqparser *P = sqmem_alloc(vm, sizeof(*P));
  memset(P, 0, sizeof(*P));
  P->vm = vm;
  vm->parsing = P;
  sqlex_init(&P->ls, vm, src, len, chunk);
  struct funcstate *fs = openfunc(P);
  fs->p->name = sqstr_newc(vm, "main");
  addlocal(P, vm->s_this);
  addlocal(P, vm->s_vargv);
  fs->p->nparams = 1;
  fs->p->varargs = true;
  next(P);
  statements(P);
  if (LS->tok != TK_EOF) {
    char b[8];
    sqlex_error(LS, "unexpected '%s'", sqlex_tokname(LS->tok, b));
  }
  emit(P, OP_RET, 0, 0, 0, 0);
  struct sqproto *p = closefunc(P);
  sqparse_cleanup(vm);
  return p;
}

void sqparse_cleanup(sq_vm *vm) {
  struct sqparser *P = vm->parsing;
  if (!P)
    return;
  for (struct funcstate *fs = P->fs, *prev; fs; fs = prev) {
    prev = fs->prev;
    freefs(vm, fs);
    sqmem_free(vm, fs, sizeof(*fs));
  }
  P->fs = NULL;
  sqlex_free(&P->ls);
  vm->parsing = NULL;
  sqmem_free(vm, P, sizeof(*P));
}
