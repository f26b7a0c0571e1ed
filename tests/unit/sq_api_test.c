/*
** sq_api_test.c: CUnit tests of the interpreter's embedding API (sq.h):
** memory limit -> SQ_ERRMEM, instruction budget, deep recursion as an
** error, calling closures from C, natives, classes with user pointers,
** values in and out, references, syntax error positions.
*/
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "sq.h"

/* A counting allocator that can also fail after N allocations. */
struct talloc {
  size_t live;       /* bytes currently allocated */
  long failafter;    /* -1: never */
};

static void *talloc_fn(void *ud, void *p, size_t oldsize, size_t newsize) {
  struct talloc *t = ud;
  if (newsize == 0) {
    if (p)
      t->live -= oldsize;
    free(p);
    return NULL;
  }
  if (t->failafter == 0)
    return NULL;
  if (t->failafter > 0)
    t->failafter--;
  void *q = realloc(p, newsize);
  if (q)
    t->live = t->live - (p ? oldsize : 0) + newsize;
  return q;
}

struct outbuf {
  char text[4096];
  size_t n;
};

static void capture(void *ud, int iserr, const char *s, size_t len) {
  struct outbuf *o = ud;
  (void)iserr;
  if (o->n + len < sizeof o->text) {
    memcpy(o->text + o->n, s, len);
    o->n += len;
    o->text[o->n] = 0;
  }
}

static sq_vm *newvm(struct talloc *t, size_t limit, struct outbuf *o) {
  t->live = 0;
  t->failafter = -1;
  sq_vm *vm = sq_open(talloc_fn, t, limit);
  CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
  CU_ASSERT_EQUAL_FATAL(sq_openlibs(vm), SQ_OK);
  if (o) {
    memset(o, 0, sizeof *o);
    sq_setprint(vm, capture, o);
  }
  return vm;
}

static int run(sq_vm *vm, const char *src) {
  return sq_dobuffer(vm, src, strlen(src), "test.nut");
}

/* ---- status texts, open/close ---------------------------------------- */

static void test_status_text(void) {
  CU_ASSERT_STRING_EQUAL(sq_status_text(SQ_OK), "ok");
  CU_ASSERT_PTR_NOT_NULL(strstr(sq_status_text(SQ_ERRMEM), "memory"));
  CU_ASSERT_PTR_NOT_NULL(strstr(sq_status_text(SQ_ERRBUDGET), "budget"));
  CU_ASSERT_STRING_EQUAL(sq_status_text(99), "unknown status");
}

static void test_open_close_frees_all(void) {
  struct talloc t;
  struct outbuf o;
  sq_vm *vm = newvm(&t, 0, &o);
  CU_ASSERT_EQUAL(run(vm, "local t = {}; t.self <- t; local a = [t]; a.push(a);"
                          "print(\"ok\");"), SQ_OK);
  CU_ASSERT_STRING_EQUAL(o.text, "ok");
  CU_ASSERT(sq_memused(vm) > 0);
  sq_close(vm);
  CU_ASSERT_EQUAL(t.live, 0);
}

static void test_open_fails_cleanly(void) {
  struct talloc t = { 0, -1 };
  /* fail each allocation point of sq_open in turn: NULL, no leak */
  for (long n = 0; n < 40; n++) {
    t.live = 0;
    t.failafter = n;
    sq_vm *vm = sq_open(talloc_fn, &t, 0);
    if (vm) {
      sq_close(vm);
      CU_ASSERT_EQUAL(t.live, 0);
      break;
    }
    CU_ASSERT_EQUAL(t.live, 0);
  }
}

/* ---- memory ----------------------------------------------------------- */

static void test_memory_limit_errmem(void) {
  struct talloc t;
  sq_vm *vm = newvm(&t, 512 * 1024, NULL);
  int st = run(vm, "local a = []; while (true) a.push(\"x\" + a.len());");
  CU_ASSERT_EQUAL(st, SQ_ERRMEM);
  CU_ASSERT(sq_memused(vm) <= 512 * 1024);
  /* the VM stays usable after the failure */
  sq_setmemlimit(vm, 0);
  CU_ASSERT_EQUAL(run(vm, "local x = 1 + 1;"), SQ_OK);
  sq_close(vm);
  CU_ASSERT_EQUAL(t.live, 0);
}

static void test_errmem_not_catchable(void) {
  struct talloc t;
  struct outbuf o;
  sq_vm *vm = newvm(&t, 300 * 1024, &o);
  int st = run(vm, "try { local s = \"x\"; while (true) s += s; }"
                   "catch (e) { print(\"caught\"); }");
  CU_ASSERT_EQUAL(st, SQ_ERRMEM);
  CU_ASSERT_EQUAL(o.n, 0);
  sq_close(vm);
  CU_ASSERT_EQUAL(t.live, 0);
}

static void test_garbage_cycles_reclaimed(void) {
  struct talloc t;
  sq_vm *vm = newvm(&t, 400 * 1024, NULL);
  /* far more garbage (with cycles) than the limit allows at once */
  int st = run(vm, "for (local i = 0; i < 20000; i++) {"
                   "  local a = {}; local b = {other = a}; a.other <- b;"
                   "  local arr = [a, b, \"s\" + i]; arr.push(arr); }");
  CU_ASSERT_EQUAL(st, SQ_OK);
  size_t before = sq_memused(vm);
  sq_collect(vm);
  CU_ASSERT(sq_memused(vm) <= before);
  sq_close(vm);
  CU_ASSERT_EQUAL(t.live, 0);
}

/* A limit no bigger than the first collection threshold (the imp API's
** 256 KiB) still collects garbage before it runs out. */
static void test_garbage_under_small_limit(void) {
  struct talloc t;
  sq_vm *vm = newvm(&t, 256 * 1024, NULL);
  int st = run(vm, "for (local i = 0; i < 20000; i++) {"
                   "  local s = \"write \" + i; local b = blob(4); }");
  CU_ASSERT_EQUAL(st, SQ_OK);
  sq_close(vm);
  CU_ASSERT_EQUAL(t.live, 0);
}

static void test_compile_oom_each_point(void) {
  struct talloc t;
  const char *src = "class A { x = 1; function f(a, b = 2) { return a + b; }"
                    " } local t = {k = [1, 2, \"s\"]}; function g() {"
                    " return A().f(1); }";
  for (long n = 0; n < 400; n++) {
    sq_vm *vm = newvm(&t, 0, NULL);
    t.failafter = n;
    int st = sq_compile(vm, src, strlen(src), "oom.nut");
    t.failafter = -1;
    CU_ASSERT(st == SQ_OK || st == SQ_ERRMEM);
    sq_close(vm);
    CU_ASSERT_EQUAL(t.live, 0);
    if (st == SQ_OK)
      break;
  }
}

/* ---- limits ------------------------------------------------------------ */

static void test_budget_stops_loop(void) {
  struct talloc t;
  struct outbuf o;
  sq_vm *vm = newvm(&t, 0, &o);
  sq_setbudget(vm, 10000);
  int st = run(vm, "try { while (true) {} } catch (e) { print(\"no\"); }");
  CU_ASSERT_EQUAL(st, SQ_ERRBUDGET);
  CU_ASSERT_EQUAL(o.n, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(sq_lasterror(vm), "budget"));
  sq_setbudget(vm, 0);
  CU_ASSERT_EQUAL(run(vm, "for (local i = 0; i < 100000; i++) {}"), SQ_OK);
  sq_close(vm);
}

static void test_deep_recursion_is_error(void) {
  struct talloc t;
  sq_vm *vm = newvm(&t, 0, NULL);
  int st = run(vm, "function f(n) { return f(n + 1) + 1; } f(0);");
  CU_ASSERT_EQUAL(st, SQ_ERRRUN);
  CU_ASSERT_PTR_NOT_NULL(strstr(sq_lasterror(vm), "stack overflow"));
  /* recursion through natives (sort comparator) also stays bounded */
  st = run(vm, "function g(n) { [2, 1].sort(function(a, b) {"
               " g(n + 1); return a <=> b; }); } g(0);");
  CU_ASSERT_EQUAL(st, SQ_ERRRUN);
  CU_ASSERT_PTR_NOT_NULL(strstr(sq_lasterror(vm), "stack overflow"));
  sq_close(vm);
}

static void test_deep_nesting_syntax_error(void) {
  struct talloc t;
  sq_vm *vm = newvm(&t, 0, NULL);
  char src[20000];
  size_t n = 0;
  n += (size_t)snprintf(src, sizeof src, "local x = ");
  for (int i = 0; i < 5000; i++)
    src[n++] = '(';
  src[n++] = '1';
  src[n] = 0;
  CU_ASSERT_EQUAL(sq_compile(vm, src, n, "deep.nut"), SQ_ERRSYNTAX);
  CU_ASSERT_PTR_NOT_NULL(strstr(sq_lasterror(vm), "nesting too deep"));
  sq_close(vm);
}

/* ---- errors --------------------------------------------------------------- */

static void test_syntax_error_position(void) {
  struct talloc t;
  sq_vm *vm = newvm(&t, 0, NULL);
  const char *src = "local a = 1;\nlocal b = ;\n";
  CU_ASSERT_EQUAL(sq_compile(vm, src, strlen(src), "chunk.nut"),
                  SQ_ERRSYNTAX);
  CU_ASSERT_PTR_NOT_NULL(strstr(sq_lasterror(vm), "chunk.nut:2:11:"));
  CU_ASSERT_EQUAL(sq_gettop(vm), 0);
  sq_close(vm);
}

static void test_runtime_error_traceback(void) {
  struct talloc t;
  sq_vm *vm = newvm(&t, 0, NULL);
  int st = run(vm, "function inner() {\n  local t = {};\n  return t.x;\n}\n"
                   "function outer() { return inner(); }\nouter();\n");
  CU_ASSERT_EQUAL(st, SQ_ERRRUN);
  CU_ASSERT_STRING_EQUAL(sq_lasterror(vm), "the index 'x' does not exist");
  const char *tb = sq_traceback(vm);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb, "inner (test.nut:3)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tb, "outer (test.nut:5)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tb, "main (test.nut:6)"));
  CU_ASSERT(strstr(tb, "inner") < strstr(tb, "outer"));
  sq_close(vm);
}

static void test_thrown_value_reaches_embedder(void) {
  struct talloc t;
  sq_vm *vm = newvm(&t, 0, NULL);
  CU_ASSERT_EQUAL(run(vm, "throw {code = 7};"), SQ_ERRRUN);
  sq_pushlasterror(vm);
  CU_ASSERT_EQUAL(sq_gettype(vm, -1), SQ_TTABLE);
  sq_pushstring(vm, "code", SIZE_MAX);
  CU_ASSERT_EQUAL(sq_get(vm, -2), SQ_OK);
  CU_ASSERT_EQUAL(sq_toint(vm, -1), 7);
  sq_pop(vm, 2);
  sq_close(vm);
}

/* ---- natives and calls -------------------------------------------------- */

static int native_add(sq_vm *vm) {
  int32_t a, b;
  if (sq_checkint(vm, 2, &a) || sq_checkint(vm, 3, &b))
    return -1;
  int *calls = sq_nativeud(vm);
  (*calls)++;
  sq_pushint(vm, a + b);
  return 1;
}

static int native_fail(sq_vm *vm) {
  return sq_error(vm, "native says no (%d)", 42);
}

static void register_native(sq_vm *vm, const char *name, sq_native fn,
                            int np, void *ud) {
  sq_pushroot(vm);
  sq_pushstring(vm, name, SIZE_MAX);
  CU_ASSERT_EQUAL(sq_newnative(vm, fn, name, np, ud), SQ_OK);
  CU_ASSERT_EQUAL(sq_newslot(vm, -3), SQ_OK);
  sq_pop(vm, 1);
}

static void test_native_function(void) {
  struct talloc t;
  struct outbuf o;
  sq_vm *vm = newvm(&t, 0, &o);
  int calls = 0;
  register_native(vm, "cadd", native_add, 3, &calls);
  register_native(vm, "cfail", native_fail, 1, NULL);
  CU_ASSERT_EQUAL(run(vm, "print(cadd(2, 3) + cadd(1.5, 1));"), SQ_OK);
  CU_ASSERT_STRING_EQUAL(o.text, "7");
  CU_ASSERT_EQUAL(calls, 2);
  CU_ASSERT_EQUAL(run(vm, "cadd(1);"), SQ_ERRRUN);
  CU_ASSERT_PTR_NOT_NULL(strstr(sq_lasterror(vm), "wrong number"));
  CU_ASSERT_EQUAL(run(vm, "cadd(\"a\", 1);"), SQ_ERRRUN);
  CU_ASSERT_PTR_NOT_NULL(strstr(sq_lasterror(vm), "parameter 1"));
  o.n = 0;
  CU_ASSERT_EQUAL(run(vm, "try { cfail(); } catch (e) { print(e); }"),
                  SQ_OK);
  CU_ASSERT_STRING_EQUAL(o.text, "native says no (42)");
  sq_close(vm);
}

static void test_call_closure_from_c(void) {
  struct talloc t;
  sq_vm *vm = newvm(&t, 0, NULL);
  CU_ASSERT_EQUAL(run(vm, "handlers <- {};"
                          "handlers.onmsg <- function(a, b) {"
                          " return a + \":\" + b; };"), SQ_OK);
  /* keep a reference, like a timer callback */
  sq_pushroot(vm);
  sq_pushstring(vm, "handlers", SIZE_MAX);
  CU_ASSERT_EQUAL(sq_get(vm, -2), SQ_OK);
  sq_pushstring(vm, "onmsg", SIZE_MAX);
  CU_ASSERT_EQUAL(sq_get(vm, -2), SQ_OK);
  int ref = sq_ref(vm, -1);
  CU_ASSERT(ref >= 0);
  sq_settop(vm, 0);
  run(vm, "handlers = null; collectgarbage();");
  for (int i = 0; i < 3; i++) {
    CU_ASSERT_EQUAL(sq_pushref(vm, ref), SQ_OK);
    sq_pushroot(vm);
    sq_pushstring(vm, "temp", SIZE_MAX);
    sq_pushint(vm, i);
    CU_ASSERT_EQUAL(sq_call(vm, 3), SQ_OK);
    size_t n;
    const char *s = sq_tostr(vm, -1, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    char want[32];
    snprintf(want, sizeof want, "temp:%d", i);
    CU_ASSERT_STRING_EQUAL(s, want);
    sq_pop(vm, 1);
  }
  CU_ASSERT_EQUAL(sq_gettop(vm), 0);
  sq_unref(vm, ref);
  /* a failing callback returns the status and leaves the stack as it was */
  CU_ASSERT_EQUAL(run(vm, "bad <- function() { throw \"cb failed\"; };"),
                  SQ_OK);
  sq_pushroot(vm);
  sq_pushstring(vm, "bad", SIZE_MAX);
  sq_get(vm, -2);
  sq_pushroot(vm);
  CU_ASSERT_EQUAL(sq_call(vm, 1), SQ_ERRRUN);
  CU_ASSERT_STRING_EQUAL(sq_lasterror(vm), "cb failed");
  CU_ASSERT_EQUAL(sq_gettop(vm), 1);
  sq_close(vm);
}

/* ---- values in and out --------------------------------------------------- */

static void test_values_roundtrip(void) {
  struct talloc t;
  sq_vm *vm = newvm(&t, 0, NULL);
  CU_ASSERT_EQUAL(run(vm, "data <- {i = 5, f = 2.5, s = \"str\", b = true,"
                          " n = null, a = [1, 2, 3]};"), SQ_OK);
  sq_pushroot(vm);
  sq_pushstring(vm, "data", SIZE_MAX);
  CU_ASSERT_EQUAL(sq_get(vm, -2), SQ_OK);
  int d = sq_gettop(vm);
  CU_ASSERT_EQUAL(sq_len(vm, d), 6);
  int seen = 0;
  for (int it = 0; (it = sq_next(vm, d, it)) >= 0;) {
    const char *k = sq_tostr(vm, -2, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    switch (k[0]) {
    case 'i':
      CU_ASSERT_EQUAL(sq_gettype(vm, -1), SQ_TINTEGER);
      CU_ASSERT_EQUAL(sq_toint(vm, -1), 5);
      break;
    case 'f':
      CU_ASSERT_EQUAL(sq_gettype(vm, -1), SQ_TFLOAT);
      CU_ASSERT_DOUBLE_EQUAL(sq_tofloat(vm, -1), 2.5, 1e-6);
      break;
    case 's':
      CU_ASSERT_STRING_EQUAL(sq_tostr(vm, -1, NULL), "str");
      break;
    case 'b': CU_ASSERT(sq_truthy(vm, -1)); break;
    case 'n': CU_ASSERT_EQUAL(sq_gettype(vm, -1), SQ_TNULL); break;
    case 'a': {
      CU_ASSERT_EQUAL(sq_gettype(vm, -1), SQ_TARRAY);
      CU_ASSERT_EQUAL(sq_len(vm, -1), 3);
      sq_arrayget(vm, -1, 2);
      CU_ASSERT_EQUAL(sq_toint(vm, -1), 3);
      sq_pop(vm, 1);
      break;
    }
    default: CU_FAIL("unexpected key");
    }
    seen++;
    sq_pop(vm, 2);
  }
  CU_ASSERT_EQUAL(seen, 6);
  sq_settop(vm, 0);
  /* build a table in C and hand it to a script */
  sq_pushroot(vm);
  sq_pushstring(vm, "fromc", SIZE_MAX);
  sq_newtable(vm);
  sq_pushstring(vm, "list", SIZE_MAX);
  sq_newarray(vm, 0);
  sq_pushint(vm, 10);
  sq_arrayappend(vm, -2);
  sq_pushfloat(vm, 0.5f);
  sq_arrayappend(vm, -2);
  sq_newslot(vm, -3);
  CU_ASSERT_EQUAL(sq_newblob(vm, "\x01\x02\x03", 3), SQ_OK);
  uint8_t *bytes;
  size_t blen;
  CU_ASSERT_EQUAL(sq_getblob(vm, -1, &bytes, &blen), 0);
  CU_ASSERT_EQUAL(blen, 3);
  CU_ASSERT_EQUAL(bytes[2], 3);
  sq_pushstring(vm, "raw", SIZE_MAX);
  sq_remove(vm, -2);
  sq_settop(vm, 3);
  CU_ASSERT_EQUAL(sq_newslot(vm, 1), SQ_OK);
  struct outbuf o;
  memset(&o, 0, sizeof o);
  sq_setprint(vm, capture, &o);
  CU_ASSERT_EQUAL(run(vm, "print(fromc.list[0] + fromc.list[1]);"), SQ_OK);
  CU_ASSERT_STRING_EQUAL(o.text, "10.5");
  sq_close(vm);
  CU_ASSERT_EQUAL(t.live, 0);
}

/* ---- native classes (hardware.pin1 style objects) ------------------------- */

static const char pintag = 0;

struct pin {
  int number;
  int level;
  int *released;
};

static void pin_release(sq_vm *vm, void *up) {
  struct pin *p = up;
  (*p->released)++;
  sq_realloc(vm, p, sizeof(*p), 0);
}

static int pin_write(sq_vm *vm) {
  struct pin *p = sq_getinstanceup(vm, 1, &pintag);
  if (!p)
    return sq_error(vm, "not a pin");
  int32_t v;
  if (sq_checkint(vm, 2, &v))
    return -1;
  p->level = v;
  return 0;
}

static int pin_read(sq_vm *vm) {
  struct pin *p = sq_getinstanceup(vm, 1, &pintag);
  if (!p)
    return sq_error(vm, "not a pin");
  sq_pushint(vm, p->level);
  return 1;
}

static void test_native_class_userpointer(void) {
  struct talloc t;
  struct outbuf o;
  sq_vm *vm = newvm(&t, 0, &o);
  int released = 0;
  static const struct sq_reg methods[] = {
    { "write", pin_write, 2 }, { "read", pin_read, 1 }, { NULL, NULL, 0 }
  };
  sq_pushroot(vm);
  sq_pushstring(vm, "hardware", SIZE_MAX);
  sq_newtable(vm);
  int hw = sq_gettop(vm);
  CU_ASSERT_EQUAL(sq_newclass(vm, false), SQ_OK);
  int cls = sq_gettop(vm);
  sq_settypetag(vm, cls, &pintag);
  sq_setreleasehook(vm, cls, pin_release);
  CU_ASSERT_EQUAL(sq_register(vm, cls, methods), SQ_OK);
  sq_pushstring(vm, "pin1", SIZE_MAX);
  CU_ASSERT_EQUAL(sq_createinstance(vm, cls), SQ_OK);
  struct pin *p = sq_realloc(vm, NULL, 0, sizeof(*p));
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  p->number = 1;
  p->level = 0;
  p->released = &released;
  sq_setinstanceup(vm, -1, p);
  CU_ASSERT_PTR_EQUAL(sq_getinstanceup(vm, -1, &pintag), p);
  CU_ASSERT_PTR_NULL(sq_getinstanceup(vm, -1, &released));
  CU_ASSERT_EQUAL(sq_newslot(vm, hw), SQ_OK);
  sq_settop(vm, hw);
  CU_ASSERT_EQUAL(sq_newslot(vm, 1), SQ_OK);
  sq_settop(vm, 0);
  CU_ASSERT_EQUAL(run(vm, "hardware.pin1.write(1);"
                          "print(hardware.pin1.read());"), SQ_OK);
  CU_ASSERT_STRING_EQUAL(o.text, "1");
  CU_ASSERT_EQUAL(p->level, 1);
  CU_ASSERT_EQUAL(released, 0);
  CU_ASSERT_EQUAL(run(vm, "hardware = null; collectgarbage();"), SQ_OK);
  CU_ASSERT_EQUAL(released, 1);
  sq_close(vm);
  CU_ASSERT_EQUAL(t.live, 0);
}

static void test_constants_visible_to_scripts(void) {
  struct talloc t;
  struct outbuf o;
  sq_vm *vm = newvm(&t, 0, &o);
  sq_pushconsts(vm);
  sq_pushstring(vm, "DIGITAL_OUT", SIZE_MAX);
  sq_pushint(vm, 2);
  CU_ASSERT_EQUAL(sq_newslot(vm, -3), SQ_OK);
  sq_pop(vm, 1);
  CU_ASSERT_EQUAL(run(vm, "print(DIGITAL_OUT * 10);"), SQ_OK);
  CU_ASSERT_STRING_EQUAL(o.text, "20");
  sq_close(vm);
}

static const struct cu_test basic_tests[] = {
  { "status texts", test_status_text },
  { "open/close frees everything", test_open_close_frees_all },
  { "sq_open under allocation failures", test_open_fails_cleanly },
  { NULL, NULL }
};

static const struct cu_test memory_tests[] = {
  { "memory limit gives SQ_ERRMEM", test_memory_limit_errmem },
  { "SQ_ERRMEM is not catchable", test_errmem_not_catchable },
  { "garbage with cycles is reclaimed", test_garbage_cycles_reclaimed },
  { "garbage collected under a 256 KiB limit", test_garbage_under_small_limit },
  { "compile fails cleanly at every allocation",
    test_compile_oom_each_point },
  { NULL, NULL }
};

static const struct cu_test limit_tests[] = {
  { "budget stops a runaway loop", test_budget_stops_loop },
  { "deep recursion is an error", test_deep_recursion_is_error },
  { "deep nesting is a syntax error", test_deep_nesting_syntax_error },
  { NULL, NULL }
};

static const struct cu_test error_tests[] = {
  { "syntax error position", test_syntax_error_position },
  { "runtime error traceback", test_runtime_error_traceback },
  { "thrown value reaches the embedder", test_thrown_value_reaches_embedder },
  { NULL, NULL }
};

static const struct cu_test call_tests[] = {
  { "native functions", test_native_function },
  { "calling closures from C", test_call_closure_from_c },
  { "values in and out", test_values_roundtrip },
  { "native class with user pointer", test_native_class_userpointer },
  { "constants for scripts", test_constants_visible_to_scripts },
  { NULL, NULL }
};

static const struct cu_suite suites[] = {
  { "sq basics", basic_tests },
  { "sq memory", memory_tests },
  { "sq limits", limit_tests },
  { "sq errors", error_tests },
  { "sq calls and values", call_tests },
};

CU_MAIN(suites)
