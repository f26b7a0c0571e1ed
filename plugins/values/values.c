/*
** values.c: conformance tests of Squirrel values crossing the wire
** (wire.md "Values"): agent.send() of every kind, AgentMessages reaching
** agent.on() handlers with the matching types, 32-bit integers and single
** precision floats, the nesting limit, and what step 5 hands the
** application (the RTC, imp.configparams). Each case deploys a small
** program in step 4.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <impcert/impcert.h>

#define PLAN "plan-0009-values"
#define TOKEN "token-values-9"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */

/* BlinkUp and steps 1-3; the next step is the plugin's CloudAnswer. */
static void up_to_step4(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
}

static void deploy(impcert_fx *fx, const char *code) {
  up_to_step4(fx);
  impcert_send_answer(fx, false, code, false);
}

/* The next frame, which must be a Log; its text. */
static const char *next_log(impcert_fx *fx, const char *what) {
  const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no Log (%s) within %d ms", what, WAIT);
  if (e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG)
    IMPCERT_FAIL_NOW(fx, "expected a Log (%s), got frame case %d", what,
                     (int)e->msg_case);
  return e->log->text;
}

static void expect_log(impcert_fx *fx, const char *want) {
  const char *got = next_log(fx, want);
  IMPCERT_CHECK_MSG(fx, strcmp(got, want) == 0, "logged '%s', expected '%s'",
                    got, want);
}

static const Impwire__Value *slot(const Impwire__Value *t, const char *k) {
  if (!t || t->kind_case != IMPWIRE__VALUE__KIND_TABLE)
    return NULL;
  for (size_t i = 0; i < t->table->n_slots; i++) {
    const Impwire__ValueSlot *s = t->table->slots[i];
    if (s->key && s->key->kind_case == IMPWIRE__VALUE__KIND_STR &&
        strcmp(s->key->str, k) == 0)
      return s->value;
  }
  return NULL;
}

/* WIRE-012, WIRE-014: agent.send() of every kind; integers as 32-bit
** signed values, floats in single precision. */
static void every_kind_sent(impcert_fx *fx) {
  deploy(fx, "local b = blob(); b.writestring(\"bl\");"
             "agent.send(\"kinds\", {n = null, t = true, f = false,"
             "  imax = 2147483647, imin = -2147483647 - 1, r = 0.1,"
             "  s = \"str\", b = b, a = [1, \"two\"], tb = {k = 3}});");
  const Impwire__AgentMessage *m =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  IMPCERT_CHECK(fx, strcmp(m->name, "kinds") == 0);
  const Impwire__Value *d = m->data, *v;
  IMPCERT_REQUIRE(fx, d && d->kind_case == IMPWIRE__VALUE__KIND_TABLE);
  v = slot(d, "n");
  IMPCERT_CHECK_MSG(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_IS_NULL,
                    "null did not arrive as is_null");
  v = slot(d, "t");
  IMPCERT_CHECK(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN &&
                        v->boolean);
  v = slot(d, "f");
  IMPCERT_CHECK(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN &&
                        !v->boolean);
  v = slot(d, "imax");
  IMPCERT_CHECK_MSG(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_INTEGER &&
                            v->integer == 2147483647,
                    "2147483647 did not arrive as that integer");
  v = slot(d, "imin");
  IMPCERT_CHECK_MSG(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_INTEGER &&
                            v->integer == INT32_MIN,
                    "-2147483648 did not arrive as that integer");
  v = slot(d, "r");
  IMPCERT_CHECK_MSG(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_REAL &&
                            v->real == 0.1f,
                    "0.1 did not arrive as the single-precision 0.1");
  v = slot(d, "s");
  IMPCERT_CHECK(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_STR &&
                        strcmp(v->str, "str") == 0);
  v = slot(d, "b");
  IMPCERT_CHECK_MSG(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_BLOB &&
                            v->blob.len == 2 &&
                            memcmp(v->blob.data, "bl", 2) == 0,
                    "a blob did not arrive as a blob");
  v = slot(d, "a");
  IMPCERT_CHECK(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                        v->array->n_items == 2 &&
                        v->array->items[0]->kind_case ==
                            IMPWIRE__VALUE__KIND_INTEGER &&
                        v->array->items[1]->kind_case ==
                            IMPWIRE__VALUE__KIND_STR);
  v = slot(slot(d, "tb"), "k");
  IMPCERT_CHECK_MSG(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_INTEGER &&
                            v->integer == 3,
                    "a nested table did not arrive");
}

/* WIRE-013: an AgentMessage reaches the handler of its name with values
** of the matching Squirrel types. */
static void every_kind_received(impcert_fx *fx) {
  deploy(fx, "agent.on(\"in\", function(d) {"
             "  local ks = [\"n\", \"t\", \"i\", \"r\", \"s\", \"b\", \"a\","
             "              \"tb\"];"
             "  local out = \"\";"
             "  foreach (k in ks) out += k + \"=\" + typeof d[k] + \" \";"
             "  server.log(out + d.i + \" \" + d.s + \" \" + d.b.len() + \" \""
             "             + d.a.len() + \" \" + d.tb.k);"
             "});"
             "agent.on(\"other\", function(d) { server.log(\"wrong handler\"); });"
             "server.log(\"ready\");");
  expect_log(fx, "ready");
  Impwire__Value n = IMPWIRE__VALUE__INIT, t = IMPWIRE__VALUE__INIT;
  Impwire__Value i = IMPWIRE__VALUE__INIT, r = IMPWIRE__VALUE__INIT;
  Impwire__Value s = IMPWIRE__VALUE__INIT, b = IMPWIRE__VALUE__INIT;
  Impwire__Value a = IMPWIRE__VALUE__INIT, tb = IMPWIRE__VALUE__INIT;
  Impwire__Value a0 = IMPWIRE__VALUE__INIT, k3 = IMPWIRE__VALUE__INIT;
  n.kind_case = IMPWIRE__VALUE__KIND_IS_NULL;
  n.is_null = 1;
  t.kind_case = IMPWIRE__VALUE__KIND_BOOLEAN;
  t.boolean = 1;
  i.kind_case = IMPWIRE__VALUE__KIND_INTEGER;
  i.integer = -7;
  r.kind_case = IMPWIRE__VALUE__KIND_REAL;
  r.real = 2.5f;
  s.kind_case = IMPWIRE__VALUE__KIND_STR;
  s.str = "text";
  b.kind_case = IMPWIRE__VALUE__KIND_BLOB;
  b.blob.data = (uint8_t *)"xyz";
  b.blob.len = 3;
  a0.kind_case = IMPWIRE__VALUE__KIND_INTEGER;
  a0.integer = 1;
  Impwire__Value *aitems[] = {&a0, &a0};
  Impwire__ValueArray arr = IMPWIRE__VALUE_ARRAY__INIT;
  arr.n_items = 2;
  arr.items = aitems;
  a.kind_case = IMPWIRE__VALUE__KIND_ARRAY;
  a.array = &arr;
  k3.kind_case = IMPWIRE__VALUE__KIND_INTEGER;
  k3.integer = 3;
  Impwire__Value kk = IMPWIRE__VALUE__INIT;
  kk.kind_case = IMPWIRE__VALUE__KIND_STR;
  kk.str = "k";
  Impwire__ValueSlot inner = IMPWIRE__VALUE_SLOT__INIT;
  inner.key = &kk;
  inner.value = &k3;
  Impwire__ValueSlot *inner_slots[] = {&inner};
  Impwire__ValueTable itab = IMPWIRE__VALUE_TABLE__INIT;
  itab.n_slots = 1;
  itab.slots = inner_slots;
  tb.kind_case = IMPWIRE__VALUE__KIND_TABLE;
  tb.table = &itab;
  static const char *const names[] = {"n", "t", "i", "r", "s", "b", "a",
                                      "tb"};
  Impwire__Value *vals[] = {&n, &t, &i, &r, &s, &b, &a, &tb};
  Impwire__Value keys[8];
  Impwire__ValueSlot slots[8];
  Impwire__ValueSlot *sp[8];
  for (int k = 0; k < 8; k++) {
    impwire__value__init(&keys[k]);
    keys[k].kind_case = IMPWIRE__VALUE__KIND_STR;
    keys[k].str = (char *)names[k];
    impwire__value_slot__init(&slots[k]);
    slots[k].key = &keys[k];
    slots[k].value = vals[k];
    sp[k] = &slots[k];
  }
  Impwire__ValueTable top = IMPWIRE__VALUE_TABLE__INIT;
  top.n_slots = 8;
  top.slots = sp;
  Impwire__Value data = IMPWIRE__VALUE__INIT;
  data.kind_case = IMPWIRE__VALUE__KIND_TABLE;
  data.table = &top;
  Impwire__AgentMessage am = IMPWIRE__AGENT_MESSAGE__INIT;
  am.name = "in";
  am.data = &data;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
  e.agent_message = &am;
  impcert_send(fx, &e);
  expect_log(fx, "n=null t=bool i=integer r=float s=string b=blob a=array "
                 "tb=table -7 text 3 2 3");
}

/* A table nested `depth` levels deep, built in Squirrel. */
#define NEST_FN                                                            \
  "function nest(depth) {"                                                 \
  "  local v = 1;"                                                         \
  "  for (local i = 1; i < depth; i++) v = [v];"                           \
  "  return v;"                                                            \
  "}"

/* WIRE-015: agent.send() of data 33 levels deep throws and sends nothing;
** 32 levels are sent. */
static void nesting_limit_on_send(impcert_fx *fx) {
  deploy(fx, NEST_FN
             "try { agent.send(\"deep33\", nest(33)); server.log(\"33 sent\"); }"
             "catch (e) { server.log(\"33 threw\"); }"
             "try { agent.send(\"deep32\", nest(32)); server.log(\"32 sent\"); }"
             "catch (e) { server.log(\"32 threw\"); }");
  expect_log(fx, "33 threw");
  const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
  IMPCERT_REQUIRE(fx, e != NULL);
  IMPCERT_CHECK_MSG(fx, e->msg_case == IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE &&
                            strcmp(e->agent_message->name, "deep32") == 0,
                    "the 32-level value was not sent (or something else "
                    "came first)");
  expect_log(fx, "32 sent");
}

/* BOOT-018: step 5 sets the RTC from rtc_unix_ms: time() agrees with the
** cloud's clock within a second (two allowed for the round trip). */
static void rtc_from_answer(impcert_fx *fx) {
  deploy(fx, "server.log(\"time \" + time());");
  time_t now = time(NULL);
  const char *t = next_log(fx, "time()");
  long got = strncmp(t, "time ", 5) == 0 ? strtol(t + 5, NULL, 10) : -1;
  IMPCERT_CHECK_MSG(fx, labs(got - (long)now) <= 2,
                    "time() is %ld, the cloud's clock %ld", got, (long)now);
}

/* BOOT-019: configparams reach imp.configparams; keys not sent are
** absent. */
static void configparams_visible(impcert_fx *fx) {
  up_to_step4(fx);
  const char *code = "server.log(\"cp \" + imp.configparams.region + \" \" +"
                     " imp.configparams.level + \" \" +"
                     " (\"other\" in imp.configparams));";
  uint8_t hash[32];
  impcert_sha256(code, strlen(code), hash);
  Impwire__Value k1 = IMPWIRE__VALUE__INIT, v1 = IMPWIRE__VALUE__INIT;
  Impwire__Value k2 = IMPWIRE__VALUE__INIT, v2 = IMPWIRE__VALUE__INIT;
  k1.kind_case = k2.kind_case = IMPWIRE__VALUE__KIND_STR;
  k1.str = "region";
  k2.str = "level";
  v1.kind_case = IMPWIRE__VALUE__KIND_STR;
  v1.str = "eu-west";
  v2.kind_case = IMPWIRE__VALUE__KIND_INTEGER;
  v2.integer = 4;
  Impwire__ValueSlot s1 = IMPWIRE__VALUE_SLOT__INIT;
  Impwire__ValueSlot s2 = IMPWIRE__VALUE_SLOT__INIT;
  s1.key = &k1;
  s1.value = &v1;
  s2.key = &k2;
  s2.value = &v2;
  Impwire__ValueSlot *sp[] = {&s1, &s2};
  Impwire__ValueTable tab = IMPWIRE__VALUE_TABLE__INIT;
  tab.n_slots = 2;
  tab.slots = sp;
  Impwire__Value cp = IMPWIRE__VALUE__INIT;
  cp.kind_case = IMPWIRE__VALUE__KIND_TABLE;
  cp.table = &tab;
  Impwire__CloudAnswer ans = IMPWIRE__CLOUD_ANSWER__INIT;
  ans.has_code = ans.has_code_hash = 1;
  ans.code.data = (uint8_t *)code;
  ans.code.len = strlen(code);
  ans.code_hash.data = hash;
  ans.code_hash.len = 32;
  ans.configparams = &cp;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_CLOUD_ANSWER;
  e.cloud_answer = &ans;
  impcert_send(fx, &e);
  expect_log(fx, "cp eu-west 4 false");
}

static const struct impcert_case cases[] = {
    {"WIRE-012", "agent.send() carries every kind of value",
     "WIRE-012,WIRE-014", "wire,values", "jig,squirrel", 0,
     every_kind_sent},
    {"WIRE-013", "an AgentMessage reaches its handler with matching types",
     "WIRE-013", "wire,values", "jig,squirrel", 0, every_kind_received},
    {"WIRE-015", "agent.send() of 33 levels throws; 32 are sent",
     "WIRE-015", "wire,values", "jig,squirrel", 0, nesting_limit_on_send},
    {"BOOT-018", "step 5 sets the RTC from the cloud's answer", "BOOT-018",
     "boot,values", "jig,squirrel", 0, rtc_from_answer},
    {"BOOT-019", "configparams reach imp.configparams, nothing more",
     "BOOT-019", "boot,values", "jig,squirrel", 0, configparams_visible},
};

IMPCERT_PLUGIN("values", cases)
