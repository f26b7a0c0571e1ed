/*
** libmath.c: the imp's math table (math.sin, math.abs, math.rand, PI...).
** Functions taking floats return floats; abs works on integers. The
** random generator's state lives in an instance the VM owns.
*/
#include "sq.h"

#include <math.h>

static int getf(sq_vm *vm, int i, float *f) { return sq_checkfloat(vm, i, f); }

#define MATH1(name, expr)                        \
  static int math_##name(sq_vm *vm) {            \
    float x;                                     \
    if (getf(vm, 2, &x))                         \
      return -1;                                 \
    sq_pushfloat(vm, (float)(expr));             \
    return 1;                                    \
  }

MATH1(sqrt, sqrt((double)x))
MATH1(sin, sin((double)x))
MATH1(cos, cos((double)x))
MATH1(tan, tan((double)x))
MATH1(asin, asin((double)x))
MATH1(acos, acos((double)x))
MATH1(atan, atan((double)x))
MATH1(exp, exp((double)x))
MATH1(log, log((double)x))
MATH1(log10, log10((double)x))
MATH1(floor, floor((double)x))
MATH1(ceil, ceil((double)x))
MATH1(fabs, fabs((double)x))

static int math_atan2(sq_vm *vm) {
  float y, x;
  if (getf(vm, 2, &y) || getf(vm, 3, &x))
    return -1;
  sq_pushfloat(vm, (float)atan2((double)y, (double)x));
  return 1;
}

static int math_pow(sq_vm *vm) {
  float x, y;
  if (getf(vm, 2, &x) || getf(vm, 3, &y))
    return -1;
  sq_pushfloat(vm, (float)pow((double)x, (double)y));
  return 1;
}

static int math_abs(sq_vm *vm) {
  int32_t i;
  if (sq_checkint(vm, 2, &i))
    return -1;
  sq_pushint(vm, i < 0 ? (int32_t)(0u - (uint32_t)i) : i);
  return 1;
}

static const char randtag = 0;

struct randstate {
  uint32_t s;
};

static void rand_release(sq_vm *vm, void *up) {
  sq_realloc(vm, up, sizeof(struct randstate), 0);
}

static int math_rand(sq_vm *vm) {
  struct randstate *r = sq_nativeud(vm);
  /* xorshift32, 31 bits out: 0 .. RAND_MAX */
  uint32_t x = r->s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  r->s = x;
  sq_pushint(vm, (int32_t)(x & 0x7fffffffu));
  return 1;
}

static int math_srand(sq_vm *vm) {
  /* the imp's srand does nothing (its generator is hardware seeded) */
  (void)vm;
  return 0;
}

static const struct sq_reg mathfns[] = {
  { "sqrt", math_sqrt, 2 }, { "sin", math_sin, 2 }, { "cos", math_cos, 2 },
  { "tan", math_tan, 2 }, { "asin", math_asin, 2 },
  { "acos", math_acos, 2 }, { "atan", math_atan, 2 },
  { "atan2", math_atan2, 3 }, { "exp", math_exp, 2 },
  { "log", math_log, 2 }, { "log10", math_log10, 2 },
  { "pow", math_pow, 3 }, { "floor", math_floor, 2 },
  { "ceil", math_ceil, 2 }, { "fabs", math_fabs, 2 },
  { "abs", math_abs, 2 }, { "srand", math_srand, 2 },
  { NULL, NULL, 0 }
};

int sq_openmathlib(sq_vm *vm) {
  int top = sq_gettop(vm);
  int st;
  if ((st = sq_pushroot(vm)) != SQ_OK ||
      (st = sq_pushstring(vm, "math", 4)) != SQ_OK ||
      (st = sq_newtable(vm)) != SQ_OK)
    goto done;
  int t = sq_gettop(vm);
  if ((st = sq_register(vm, t, mathfns)) != SQ_OK)
    goto done;
  /* the generator state: an instance whose release hook frees it */
  if ((st = sq_newclass(vm, false)) != SQ_OK)
    goto done;
  sq_settypetag(vm, -1, &randtag);
  sq_setreleasehook(vm, -1, rand_release);
  if ((st = sq_createinstance(vm, -1)) != SQ_OK)
    goto done;
  struct randstate *r = sq_realloc(vm, NULL, 0, sizeof(*r));
  if (!r) {
    st = SQ_ERRMEM;
    goto done;
  }
  r->s = 2463534242u;
  sq_setinstanceup(vm, -1, r);
  /* the state lives as long as the VM */
  if (sq_ref(vm, -1) < 0) {
    st = SQ_ERRMEM;
    goto done;
  }
  sq_pop(vm, 2);
  if ((st = sq_pushstring(vm, "rand", 4)) != SQ_OK ||
      (st = sq_newnative(vm, math_rand, "rand", 1, r)) != SQ_OK ||
      (st = sq_newslot(vm, t)) != SQ_OK)
    goto done;
  if ((st = sq_pushstring(vm, "PI", 2)) != SQ_OK ||
      (st = sq_pushfloat(vm, 3.14159265358979f)) != SQ_OK ||
      (st = sq_newslot(vm, t)) != SQ_OK)
    goto done;
  if ((st = sq_pushstring(vm, "RAND_MAX", 8)) != SQ_OK ||
      (st = sq_pushint(vm, 2147483647)) != SQ_OK ||
      (st = sq_newslot(vm, t)) != SQ_OK)
    goto done;
  st = sq_newslot(vm, top + 1);
done:
  sq_settop(vm, top);
  return st;
}
