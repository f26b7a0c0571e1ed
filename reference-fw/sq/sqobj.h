/*
** sqobj.h: the interpreter's object model and VM state, shared by the core
** modules (lex, parse, vm, gc, obj, mem, err, api). Libraries never see it.
** Every collectable object starts with struct gcobj and sits on vm->gclist.
*/
#ifndef REFIMP_SQ_SQOBJ_H
#define REFIMP_SQ_SQOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sq.h"
#include "sqconf.h"

/* Internal object types follow the public ones. */
enum {
  SQT_PROTO = SQ_TWEAKREF + 1, SQT_OUTER
};

struct gcobj {
  struct gcobj *gcnext;   /* all objects: vm->gclist */
  struct gcobj *gray;     /* mark stack link during a collection */
  uint8_t type;
  uint8_t marked;
};

typedef struct sqval {
  uint32_t t;             /* enum sq_type */
  union {
    int32_t i;
    float f;
    bool b;
    struct gcobj *gc;
    struct sqstr *s;
    struct sqtable *tab;
    struct sqarray *arr;
    struct sqclosure *cl;
    struct sqnative *nat;
    struct sqclass *cls;
    struct sqinstance *ins;
    struct sqgen *gen;
    struct sqweak *weak;
  } u;
} sqval;

struct sqstr {
  struct gcobj h;
  struct sqstr *hnext;    /* intern table chain */
  uint32_t hash;
  uint32_t len;
  char data[];            /* len bytes + NUL */
};

struct tent {
  sqval key;              /* SQ_TNULL: deleted entry */
  sqval val;
};

/* Insertion-ordered entries plus an open-addressed index of entry+1. */
struct sqtable {
  struct gcobj h;
  struct sqtable *delegate;
  uint32_t count;         /* live entries */
  uint32_t nent;          /* used entries, deleted included */
  uint32_t cap;           /* entries allocated */
  uint32_t hmask;         /* index size - 1 (index size = 2 * cap) */
  struct tent *ent;
  uint32_t *idx;
};

struct sqarray {
  struct gcobj h;
  uint32_t len, cap;
  sqval *v;
};

struct sqins {
  uint8_t op, a, b, c;
  int32_t x;
};

struct outerdesc {
  uint8_t fromlocal;      /* 1: enclosing function's register, 0: outer */
  uint16_t idx;
};

struct sqproto {
  struct gcobj h;
  struct sqins *code;
  int32_t *lines;
  sqval *consts;
  struct sqproto **protos;
  struct outerdesc *outers;
  struct sqstr *name;
  struct sqstr *chunk;
  uint32_t ncode, nconsts, nprotos, nouters;
  uint16_t nparams;       /* including `this` */
  uint16_t ndefaults;
  uint16_t maxstack;
  bool varargs;
  bool generator;
};

struct sqouter {
  struct gcobj h;
  struct sqouter *next;   /* open list, sorted by idx descending */
  uint32_t idx;           /* stack slot while open */
  bool open;
  sqval closed;
};

struct sqclosure {
  struct gcobj h;
  struct sqproto *p;
  struct sqclass *base;   /* for `base` inside class methods */
  sqval env;              /* bound `this` (bindenv) or null */
  sqval *defaults;
  struct sqouter *outers[];
};

struct sqnative {
  struct gcobj h;
  sq_native fn;
  struct sqstr *name;
  void *ud;
  sqval env;
  int nparams;
};

/* Member index encoding in class->members: integer (idx << 1) | isfield */
struct sqclass {
  struct gcobj h;
  struct sqclass *base;
  struct sqtable *members;
  sqval *fields;          /* default values */
  sqval *methods;         /* methods and statics */
  uint32_t nfields, capfields, nmethods, capmethods;
  bool locked;            /* has instances: only methods may change */
  const void *typetag;
  sq_release release;
};

struct sqinstance {
  struct gcobj h;
  struct sqclass *cls;
  void *up;
  uint32_t nfields;
  sqval fields[];
};

enum { GEN_SUSPENDED, GEN_RUNNING, GEN_DEAD };
struct sqgen {
  struct gcobj h;
  struct sqclosure *cl;
  sqval *stack;           /* saved frame registers while suspended */
  uint32_t nstack;
  uint32_t pc;
  uint8_t state;
  uint8_t resreg;         /* register receiving resume's value */
};

struct sqweak {
  struct gcobj h;
  sqval target;
};

/* A call frame. Script frames run pc; native frames have cl == NULL. */
struct frame {
  sqval func;             /* the closure or native */
  const struct sqins *pc;
  uint32_t base;          /* stack index of `this` (register 0) */
  uint32_t ret;           /* stack index receiving the result */
  uint32_t top;           /* native frames: top at entry */
  uint16_t nhandlers;     /* vm->nhandlers at entry */
  uint8_t flags;
};
enum {
  FR_ENTRY = 1,           /* return leaves the execute loop */
  FR_CTOR = 2,            /* constructor: result is `this` */
  FR_NATIVE = 4,
  FR_GEN = 8              /* generator body */
};

struct handler {
  uint32_t nframes;       /* frames when the try began */
  uint32_t top;
  const struct sqins *catchpc;
  uint32_t reg;           /* absolute slot for the caught value */
};

struct sqerr_jmp;

#define SQ_NMETA 16
struct sq_vm {
  sq_alloc alloc;
  void *allocud;
  size_t used, peak, limit, gcthreshold;
  struct gcobj *gclist;
  struct gcobj *gray;
  bool gcrunning;
  /* strings */
  struct sqstr **strtab;
  uint32_t strmask, nstr;
  /* stack and frames */
  sqval *stack;
  uint32_t stacksize, top;
  struct frame *frames;
  uint32_t nframes, capframes;
  struct handler *handlers;
  uint32_t nhandlers, caphandlers;
  struct sqouter *openouters;
  int cdepth;
  /* roots */
  struct sqtable *root, *consts;
  struct sqarray *refs;
  sqval typedeleg[SQ_TWEAKREF + 1];
  sqval errval;
  struct sqstr *meta[SQ_NMETA];
  struct sqstr *s_constructor, *s_this, *s_vargv;
  struct sqparser *parsing;  /* compiler state (its protos are roots) */
  /* errors */
  struct sqerr_jmp *errjmp;
  int fatal;
  char errmsg[SQ_ERRMAX];
  char trace[2048];
  /* budget */
  bool hasbudget;
  uint64_t budget;
  /* output */
  sq_printfn print;
  void *printud;
  /* misc */
  uint32_t randstate;
};

enum {
  MM_ADD, MM_SUB, MM_MUL, MM_DIV, MM_MOD, MM_UNM, MM_GET, MM_SET,
  MM_NEWSLOT, MM_DELSLOT, MM_CMP, MM_CALL, MM_TOSTRING, MM_TYPEOF,
  MM_NEXTI, MM_CLONED
};

/* ---- value helpers ---- */
#define V_NULL ((sqval){ .t = SQ_TNULL, .u = { .i = 0 } })
static inline sqval v_int(int32_t i) {
  sqval v; v.t = SQ_TINTEGER; v.u.gc = NULL; v.u.i = i; return v;
}
static inline sqval v_float(float f) {
  sqval v; v.t = SQ_TFLOAT; v.u.gc = NULL; v.u.f = f; return v;
}
static inline sqval v_bool(bool b) {
  sqval v; v.t = SQ_TBOOL; v.u.gc = NULL; v.u.b = b; return v;
}
static inline sqval v_obj(uint32_t t, void *o) {
  sqval v; v.t = t; v.u.gc = (struct gcobj *)o; return v;
}
static inline bool v_iscollectable(sqval v) { return v.t >= SQ_TSTRING; }
static inline bool v_falsy(sqval v) {
  return v.t == SQ_TNULL || (v.t == SQ_TBOOL && !v.u.b) ||
         (v.t == SQ_TINTEGER && v.u.i == 0) ||
         (v.t == SQ_TFLOAT && v.u.f == 0.0f);
}

#endif
