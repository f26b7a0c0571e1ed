/*
** api.c: conformance tests of the imp API seen from the cloud: logs and
** agent messages both ways, uncaught errors and the unhandled-exception
** handler, imp.reset(), server.restart(), polite deployment of new
** Squirrel, identity and crypto. Each case deploys a small program in
** step 4 and watches the frames. Requirement IDs: specs/requirements.md.
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0001-impcert"
#define TOKEN "token-5f2e9c1a"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */

/* BlinkUp, activate, and deploy `code` in step 4. Returns the DeviceState
** of that boot. */
static const Impwire__DeviceState *deploy(impcert_fx *fx, const char *code) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
  return s;
}

/* The next Log frame (other frames are an error here), or the test fails
** naming what was awaited. */
static const Impwire__Log *next_log(impcert_fx *fx, const char *what) {
  const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no Log frame (%s) within %d ms", what, WAIT);
  if (e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG)
    IMPCERT_FAIL_NOW(fx, "expected a Log (%s), got another frame (case %d)",
                     what, (int)e->msg_case);
  return e->log;
}

/* Logs until one at `level` whose text contains `needle`; false if the
** session ends or no such Log comes in time. Other frames end the wait
** with false (they are kept in the transcript). */
static bool wait_log(impcert_fx *fx, int level, const char *needle) {
  for (;;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
    if (!e || e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG)
      return false;
    if ((int)e->log->level == level && strstr(e->log->text, needle))
      return true;
  }
}

static const Impwire__Value *slot(const Impwire__Value *t, const char *k) {
  if (!t || t->kind_case != IMPWIRE__VALUE__KIND_TABLE)
    return NULL;
  for (size_t i = 0; i < t->table->n_slots; i++) {
    const Impwire__ValueSlot *s = t->table->slots[i];
    if (s->key->kind_case == IMPWIRE__VALUE__KIND_STR &&
        strcmp(s->key->str, k) == 0)
      return s->value;
  }
  return NULL;
}

/* SEND-003, SEND-005: server.log and server.error as Log frames, in order. */
static void logs_in_order(impcert_fx *fx) {
  deploy(fx, "server.log(\"impcert one\");"
             "server.error(\"impcert two\");"
             "server.log(\"impcert \" + 3);");
  const Impwire__Log *l = next_log(fx, "server.log");
  IMPCERT_CHECK(fx, l->level == IMPWIRE__LOG__LEVEL__LOG);
  IMPCERT_CHECK_MSG(fx, strcmp(l->text, "impcert one") == 0,
                    "first Log is '%s'", l->text);
  l = next_log(fx, "server.error");
  IMPCERT_CHECK(fx, l->level == IMPWIRE__LOG__LEVEL__ERROR);
  IMPCERT_CHECK_MSG(fx, strcmp(l->text, "impcert two") == 0,
                    "second Log is '%s'", l->text);
  l = next_log(fx, "server.log");
  IMPCERT_CHECK_MSG(fx, strcmp(l->text, "impcert 3") == 0,
                    "third Log is '%s'", l->text);
}

#define ECHO_CODE                                                          \
  "agent.on(\"ping\", function(d) {"                                       \
  "  agent.send(\"pong\", {echo = d.s, n = d.n + 1, b = d.b});"            \
  "});"                                                                    \
  "agent.send(\"ready\", [1, 2.5, \"three\", null, true]);"

/* SEND-004, SEND-027: agent.send reaches the cloud with its value;
** AgentMessages reach agent.on handlers with theirs. */
static void agent_both_ways(impcert_fx *fx) {
  deploy(fx, ECHO_CODE);
  const Impwire__AgentMessage *m =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  IMPCERT_CHECK_MSG(fx, strcmp(m->name, "ready") == 0, "name '%s'", m->name);
  IMPCERT_REQUIRE(fx, m->data && m->data->kind_case ==
                                     IMPWIRE__VALUE__KIND_ARRAY &&
                      m->data->array->n_items == 5);
  Impwire__Value **it = m->data->array->items;
  IMPCERT_CHECK(fx, it[0]->kind_case == IMPWIRE__VALUE__KIND_INTEGER &&
                        it[0]->integer == 1);
  IMPCERT_CHECK(fx, it[1]->kind_case == IMPWIRE__VALUE__KIND_REAL &&
                        it[1]->real == 2.5f);
  IMPCERT_CHECK(fx, it[2]->kind_case == IMPWIRE__VALUE__KIND_STR &&
                        strcmp(it[2]->str, "three") == 0);
  IMPCERT_CHECK(fx, it[3]->kind_case == IMPWIRE__VALUE__KIND_IS_NULL);
  IMPCERT_CHECK(fx, it[4]->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN &&
                        it[4]->boolean);

  /* the agent sends {n = 41, s = "x", b = blob} */
  Impwire__Value vn = IMPWIRE__VALUE__INIT, vs = IMPWIRE__VALUE__INIT;
  Impwire__Value vb = IMPWIRE__VALUE__INIT, kn = IMPWIRE__VALUE__INIT;
  Impwire__Value ks = IMPWIRE__VALUE__INIT, kb = IMPWIRE__VALUE__INIT;
  Impwire__Value tv = IMPWIRE__VALUE__INIT;
  vn.kind_case = IMPWIRE__VALUE__KIND_INTEGER;
  vn.integer = 41;
  vs.kind_case = IMPWIRE__VALUE__KIND_STR;
  vs.str = "x";
  vb.kind_case = IMPWIRE__VALUE__KIND_BLOB;
  vb.blob.data = (uint8_t *)"\x00\xff";
  vb.blob.len = 2;
  kn.kind_case = ks.kind_case = kb.kind_case = IMPWIRE__VALUE__KIND_STR;
  kn.str = "n";
  ks.str = "s";
  kb.str = "b";
  Impwire__ValueSlot s1 = IMPWIRE__VALUE_SLOT__INIT;
  Impwire__ValueSlot s2 = IMPWIRE__VALUE_SLOT__INIT;
  Impwire__ValueSlot s3 = IMPWIRE__VALUE_SLOT__INIT;
  s1.key = &kn, s1.value = &vn;
  s2.key = &ks, s2.value = &vs;
  s3.key = &kb, s3.value = &vb;
  Impwire__ValueSlot *slots[] = {&s1, &s2, &s3};
  Impwire__ValueTable t = IMPWIRE__VALUE_TABLE__INIT;
  t.slots = slots;
  t.n_slots = 3;
  tv.kind_case = IMPWIRE__VALUE__KIND_TABLE;
  tv.table = &t;
  Impwire__AgentMessage am = IMPWIRE__AGENT_MESSAGE__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  am.name = "ping";
  am.data = &tv;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
  env.agent_message = &am;
  IMPCERT_REQUIRE(fx, impcert_send(fx, &env) == 0);
  m = impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  IMPCERT_CHECK_MSG(fx, strcmp(m->name, "pong") == 0, "name '%s'", m->name);
  const Impwire__Value *n = slot(m->data, "n"), *e = slot(m->data, "echo");
  const Impwire__Value *b = slot(m->data, "b");
  IMPCERT_CHECK(fx, n && n->kind_case == IMPWIRE__VALUE__KIND_INTEGER &&
                        n->integer == 42);
  IMPCERT_CHECK(fx, e && e->kind_case == IMPWIRE__VALUE__KIND_STR &&
                        strcmp(e->str, "x") == 0);
  IMPCERT_CHECK(fx, b && b->kind_case == IMPWIRE__VALUE__KIND_BLOB &&
                        b->blob.len == 2 &&
                        memcmp(b->blob.data, "\x00\xff", 2) == 0);
}

/* SEND-026: a message with no handler is dropped and logged with its
** name at level ERROR. */
static void no_handler(impcert_fx *fx) {
  deploy(fx, "agent.send(\"ready\", 1);");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT);
  Impwire__Value v = IMPWIRE__VALUE__INIT;
  v.kind_case = IMPWIRE__VALUE__KIND_INTEGER;
  v.integer = 7;
  Impwire__AgentMessage am = IMPWIRE__AGENT_MESSAGE__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  am.name = "impcert-nobody";
  am.data = &v;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
  env.agent_message = &am;
  IMPCERT_REQUIRE(fx, impcert_send(fx, &env) == 0);
  IMPCERT_CHECK_MSG(fx, wait_log(fx, IMPWIRE__LOG__LEVEL__ERROR,
                                 "impcert-nobody"),
                    "no ERROR Log naming the unhandled message");
}

/* API-005, API-003, BOOT-016: an uncaught error is logged as
** "<message>: in <function> <file>:<line>" and the code restarts from
** step 2 with WAKEREASON_SQUIRREL_ERROR. */
static void uncaught_error(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() != WAKEREASON_SQUIRREL_ERROR)\n"
             "  imp.wakeup(0.02, function() {\n"
             "    local t = {};\n"
             "    return t.impcertmissing;\n"
             "  });\n");
  IMPCERT_CHECK_MSG(fx, wait_log(fx, IMPWIRE__LOG__LEVEL__ERROR,
                                 "the index 'impcertmissing' does not "
                                 "exist: in "),
                    "no ERROR Log with the uncaught error's message");
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_SQUIRREL_ERROR,
                    "wake reason after an uncaught error is %u",
                    s->wake_reason);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
}

/* API-002, API-004, API-003: the handler gets the message and its log
** reaches the cloud; the VM is torn down all the same. */
static void exception_handler(impcert_fx *fx) {
  deploy(fx, "imp.onunhandledexception(function(e) {\n"
             "  server.log(\"impcert handler: \" + e);\n"
             "});\n"
             "if (hardware.wakereason() != WAKEREASON_SQUIRREL_ERROR)\n"
             "  imp.wakeup(0.02, function() { throw \"impcert boom\"; });\n");
  IMPCERT_CHECK_MSG(fx, wait_log(fx, IMPWIRE__LOG__LEVEL__LOG,
                                 "impcert handler: impcert boom"),
                    "the handler's Log did not arrive");
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_SQUIRREL_ERROR,
                    "wake reason after a handled uncaught error is %u",
                    s->wake_reason);
}

/* HW-029: imp.reset() starts a new session from the beginning with
** WAKEREASON_SW_RESET. */
static void imp_reset(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() != WAKEREASON_SW_RESET)\n"
             "  imp.wakeup(0.02, function() { imp.reset(); "
             "server.log(\"impcert after reset\"); });\n"
             "else server.log(\"impcert reset done\");\n");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the session did not end at imp.reset()");
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no new session after imp.reset()");
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_SW_RESET,
                    "wake reason after imp.reset() is %u", s->wake_reason);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  IMPCERT_CHECK_MSG(fx, wait_log(fx, IMPWIRE__LOG__LEVEL__LOG,
                                 "impcert reset done"),
                    "the code did not run again after the reset");
}

/* POLITE-007: server.restart() sends Restart and goes back to step 2,
** WAKEREASON_SW_RESTART when no update was pending. */
static void server_restart(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() != WAKEREASON_SW_RESTART)\n"
             "  imp.wakeup(0.02, function() { server.restart(); });\n");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_RESTART, WAIT);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_SW_RESTART,
                    "wake reason after server.restart() is %u",
                    s->wake_reason);
}

/* POLITE-002, POLITE-004, POLITE-006, POLITE-008: with a shutdown handler
** a Reload calls it with SHUTDOWN_NEWSQUIRREL and the code goes on; its
** server.restart() then reloads with WAKEREASON_NEW_SQUIRREL. */
static void polite_reload(impcert_fx *fx) {
  deploy(fx, "server.onshutdown(function(r, ...) {\n"
             "  server.log(\"impcert shutdown \" + r + \" args \" + "
             "(vargv.len() + 1));\n"
             "  imp.wakeup(0.1, function() {\n"
             "    agent.send(\"still-running\", r);\n"
             "    server.restart();\n"
             "  });\n"
             "});\n"
             "agent.send(\"ready\", hardware.wakereason());\n");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT);
  impcert_send_reload(fx);
  const Impwire__Log *l = next_log(fx, "the shutdown handler's log");
  IMPCERT_CHECK_MSG(fx, strcmp(l->text, "impcert shutdown 1 args 1") == 0,
                    "the handler logged '%s'", l->text);
  const Impwire__AgentMessage *m =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  IMPCERT_CHECK_MSG(fx, strcmp(m->name, "still-running") == 0,
                    "after the Reload the code sent '%s'", m->name);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_RESTART, WAIT);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_NEW_SQUIRREL,
                    "wake reason after a deferred reload is %u",
                    s->wake_reason);
}

static bool hex_is(const char *hex, const uint8_t *d, size_t n) {
  char buf[65];
  if (n > 32)
    return false;
  for (size_t i = 0; i < n; i++)
    snprintf(buf + 2 * i, 3, "%02x", d[i]);
  return strcmp(hex, buf) == 0;
}

/* HW-001, HW-003, HW-004, CRYPTO-001: the identity the code sees is the
** one DeviceState reported; crypto.sha256 is SHA-256. */
static void identity_and_crypto(impcert_fx *fx) {
  const Impwire__DeviceState *s = deploy(
      fx, "local h = \"\";\n"
          "foreach (b in crypto.sha256(\"impcert\")) h += format(\"%02x\", "
          "b);\n"
          "agent.send(\"id\", {type = imp.info().type, "
          "os = imp.getsoftwareversion(), id = hardware.getdeviceid(), "
          "mac = \"getmacaddress\" in imp ? imp.getmacaddress() : \"-\",\n"
          "sha = h});\n");
  const Impwire__Value *v =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message->data;
  const Impwire__Value *type = slot(v, "type"), *os = slot(v, "os");
  const Impwire__Value *id = slot(v, "id"), *mac = slot(v, "mac");
  const Impwire__Value *sha = slot(v, "sha");
  IMPCERT_REQUIRE(fx, type && os && id && mac && sha);
  IMPCERT_CHECK_MSG(fx, strcmp(type->str, s->imp_type) == 0,
                    "imp.info().type '%s' vs imp_type '%s'", type->str,
                    s->imp_type);
  IMPCERT_CHECK(fx, strcmp(os->str, s->os_version) == 0);
  IMPCERT_CHECK(fx, strcmp(id->str, s->device_id) == 0);
  if (strcmp(s->imp_type, "impC001") == 0) /* removed there (NET-027) */
    IMPCERT_CHECK_MSG(fx, strcmp(mac->str, "-") == 0,
                      "imp.getmacaddress() exists on an impC001");
  else
    IMPCERT_CHECK(fx, strcmp(mac->str, s->mac) == 0);
  uint8_t want[32];
  impcert_sha256("impcert", 7, want);
  IMPCERT_CHECK_MSG(fx, hex_is(sha->str, want, 32),
                    "crypto.sha256(\"impcert\") gave %s", sha->str);
}

/* ---- pins, seen by the jig (jig.md "Pins") ------------------------------ */

/* The next PinState for `pin` (others are skipped); fails the test when
** none comes. */
static const Impjig__PinState *next_pin_state(impcert_fx *fx,
                                              const char *pin) {
  for (;;) {
    const Impjig__JigEnvelope *m =
        impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_PIN_STATE, WAIT);
    if (!m)
      IMPCERT_FAIL_NOW(fx, "no PinState for %s on the jig", pin);
    if (strcmp(m->pin_state->pin, pin) == 0)
      return m->pin_state;
  }
}

static const Impwire__AgentMessage *expect_agent(impcert_fx *fx,
                                                 const char *name) {
  const Impwire__AgentMessage *m =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  if (strcmp(m->name, name) != 0)
    IMPCERT_FAIL_NOW(fx, "expected agent message '%s', got '%s'", name,
                     m->name);
  return m;
}

static bool int_is(const Impwire__Value *v, int32_t want) {
  return v && v->kind_case == IMPWIRE__VALUE__KIND_INTEGER &&
         v->integer == want;
}

/* HW-008: a DIGITAL_OUT pin drives the level written (start state as
** given), the jig sees each level, and read() returns it. */
static void digital_out(impcert_fx *fx) {
  deploy(fx, "hardware.pin9.configure(DIGITAL_OUT, 1);\n"
             "agent.send(\"first\", hardware.pin9.read());\n"
             "hardware.pin9.write(0);\n"
             "agent.send(\"second\", hardware.pin9.read());\n");
  const Impjig__PinState *p = next_pin_state(fx, "pin9");
  IMPCERT_CHECK_MSG(fx, p->level == 1, "start state seen as %u", p->level);
  p = next_pin_state(fx, "pin9");
  IMPCERT_CHECK_MSG(fx, p->level == 0, "write(0) seen as %u", p->level);
  IMPCERT_CHECK(fx, int_is(expect_agent(fx, "first")->data, 1));
  IMPCERT_CHECK(fx, int_is(expect_agent(fx, "second")->data, 0));
}

/* HW-009: a DIGITAL_IN pin reads what the jig drives and calls its
** callback once per edge. */
static void digital_in(impcert_fx *fx) {
  deploy(fx, "hardware.pin2.configure(DIGITAL_IN, function() {\n"
             "  agent.send(\"edge\", hardware.pin2.read());\n"
             "});\n"
             "agent.send(\"ready\", hardware.pin2.read());\n");
  IMPCERT_CHECK(fx, int_is(expect_agent(fx, "ready")->data, 0));
  impcert_jig_drive_pin(fx, "pin2", 1);
  IMPCERT_CHECK(fx, int_is(expect_agent(fx, "edge")->data, 1));
  impcert_jig_drive_pin(fx, "pin2", 1); /* no edge: no callback */
  impcert_jig_drive_pin(fx, "pin2", 0);
  IMPCERT_CHECK_MSG(fx, int_is(expect_agent(fx, "edge")->data, 0),
                    "the falling edge did not come next");
}

/* HW-011, HW-012: PWM_OUT reaches the jig with its period and duty cycle,
** write() changes the duty cycle, getperiod()/getdutycycle() report them
** and throw on a pin that is not PWM. */
static void pwm_out(impcert_fx *fx) {
  deploy(fx, "hardware.pin7.configure(PWM_OUT, 0.001, 0.25);\n"
             "hardware.pin7.write(0.5);\n"
             "local r = [hardware.pin7.getperiod(), "
             "hardware.pin7.getdutycycle()];\n"
             "hardware.pin9.configure(DIGITAL_OUT);\n"
             "try { hardware.pin9.getperiod(); r.append(\"no throw\"); }\n"
             "catch (e) { r.append(\"threw\"); }\n"
             "agent.send(\"pwm\", r);\n");
  const Impjig__JigEnvelope *m =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_PWM_STATE, WAIT);
  IMPCERT_REQUIRE(fx, m != NULL);
  IMPCERT_CHECK(fx, strcmp(m->pwm_state->pin, "pin7") == 0);
  IMPCERT_CHECK_MSG(fx, m->pwm_state->period_s == 0.001f &&
                            m->pwm_state->duty == 0.25f,
                    "PWM period %g duty %g", (double)m->pwm_state->period_s,
                    (double)m->pwm_state->duty);
  m = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_PWM_STATE, WAIT);
  IMPCERT_REQUIRE(fx, m != NULL);
  IMPCERT_CHECK_MSG(fx, m->pwm_state->duty == 0.5f,
                    "after write(0.5) the duty cycle is %g",
                    (double)m->pwm_state->duty);
  const Impwire__Value *v = expect_agent(fx, "pwm")->data;
  IMPCERT_REQUIRE(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          v->array->n_items == 3);
  Impwire__Value **it = v->array->items;
  IMPCERT_CHECK(fx, it[0]->kind_case == IMPWIRE__VALUE__KIND_REAL &&
                        it[0]->real == 0.001f);
  IMPCERT_CHECK(fx, it[1]->kind_case == IMPWIRE__VALUE__KIND_REAL &&
                        it[1]->real == 0.5f);
  IMPCERT_CHECK_MSG(fx, it[2]->kind_case == IMPWIRE__VALUE__KIND_STR &&
                            strcmp(it[2]->str, "threw") == 0,
                    "getperiod() on a digital output did not throw");
}

/* WAKE-002, STORE-001, BOOT-017: imp.deepsleepfor() ends the session; the
** warm boot reports WAKEREASON_TIMER, runs the code with nv as it was, and
** connects when the code sends. */
static void deep_sleep_nv(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() != WAKEREASON_TIMER) {\n"
             "  nv <- {v = 42, s = \"kept\"};\n"
             "  imp.wakeup(0.02, function() { imp.deepsleepfor(1); });\n"
             "} else {\n"
             "  agent.send(\"nv\", nv);\n"
             "}\n");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the session did not end at imp.deepsleepfor()");
  /* the second of deep sleep in device time; the advance must come after
  ** the jig's DeepSleep, or the wake timer counts from the new time */
  if (!impcert_dut_asleep(fx) &&
      !impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP, WAIT))
    IMPCERT_FAIL_NOW(fx, "no DeepSleep on the jig after the session ended");
  impcert_device_wait(fx, 1000);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session after the wake");
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_TIMER,
                    "wake reason after deep sleep is %u", s->wake_reason);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  const Impwire__Value *v = expect_agent(fx, "nv")->data;
  IMPCERT_CHECK_MSG(fx, int_is(slot(v, "v"), 42),
                    "nv.v after the wake is not 42");
  const Impwire__Value *str = slot(v, "s");
  IMPCERT_CHECK(fx, str && str->kind_case == IMPWIRE__VALUE__KIND_STR &&
                        strcmp(str->str, "kept") == 0);
}

/* ---- API calls checked from the cloud ------------------------------------ */

/* The Integer at slot k of table v, or INT32_MIN when absent. */
static int32_t int_slot(const Impwire__Value *v, const char *k) {
  const Impwire__Value *x = slot(v, k);
  return x && x->kind_case == IMPWIRE__VALUE__KIND_INTEGER ? x->integer
                                                          : INT32_MIN;
}

/* API-001: the published constants are defined with their values. */
static void constants(impcert_fx *fx) {
  static const struct {
    const char *name;
    int32_t value;
  } want[] = {
      {"WAKEREASON_POWER_ON", 0}, {"WAKEREASON_TIMER", 1},
      {"WAKEREASON_SW_RESET", 2}, {"WAKEREASON_PIN", 3},
      {"WAKEREASON_NEW_SQUIRREL", 4}, {"WAKEREASON_SQUIRREL_ERROR", 5},
      {"WAKEREASON_NEW_FIRMWARE", 6}, {"WAKEREASON_SNOOZE", 7},
      {"WAKEREASON_HW_RESET", 8}, {"WAKEREASON_BLINKUP", 9},
      {"WAKEREASON_SW_RESTART", 10}, {"WAKEREASON_POWER_RESTORED", 11},
      {"SEND_ERROR_NOT_CONNECTED", 1}, {"SEND_ERROR_TIMEOUT", 2},
      {"SEND_ERROR_DISCONNECTED", 3}, {"SEND_ERROR_WOULDBLOCK", 4},
      {"NOT_CONNECTED", 0}, {"NO_WIFI", 1}, {"NO_LINK", 1},
      {"NO_IP_ADDRESS", 2}, {"NOT_RESOLVED", 3}, {"NO_SERVER", 4},
      {"SERVER_CONNECTED", 5}, {"NO_PROXY", 6}, {"NOT_AUTHORISED", 7},
      {"NO_MODEM", 8}, {"SIM_ERROR", 9}, {"NO_REGISTRATION", 10},
      {"REGISTRATION_DENIED", 11}, {"SHUTDOWN_NEWSQUIRREL", 1},
      {"SHUTDOWN_NEWFIRMWARE", 2}, {"SHUTDOWN_OTHER", 3},
      {"ENVIRONMENT_CARD", 0}, {"ENVIRONMENT_MODULE", 1},
      {"ENVIRONMENT_AGENT", 2}, {"SPIFLASH_PREVERIFY", 2},
  };
  /* the code sends every name it is asked for; a missing one is null */
  char code[4096] = "local names = [";
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    strcat(code, i ? ",\"" : "\"");
    strcat(code, want[i].name);
    strcat(code, "\"");
  }
  strcat(code, "];\nlocal r = {};\nlocal root = getroottable();\n"
               "foreach (n in names) r[n] <- (n in root) ? root[n] : null;\n"
               "agent.send(\"consts\", r);\n");
  deploy(fx, code);
  const Impwire__Value *v = expect_agent(fx, "consts")->data;
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    int32_t got = int_slot(v, want[i].name);
    IMPCERT_CHECK_MSG(fx, got == want[i].value, "%s is %s%d, not %d",
                      want[i].name, got == INT32_MIN ? "missing " : "",
                      got == INT32_MIN ? 0 : got, want[i].value);
  }
}

/* SEND-020, SEND-021, SEND-022, SEND-028, SEND-029: the send buffer size
** and the argument checks of the send calls. */
static void send_settings(impcert_fx *fx) {
  deploy(fx,
         "local r = {};\n"
         "r.b0 <- imp.setsendbuffersize(4000);\n"
         "r.b1 <- imp.setsendbuffersize(100);\n"
         "r.b2 <- imp.setsendbuffersize(100000);\n"
         "r.b3 <- imp.setsendbuffersize(0);\n"
         "function threw(f) { try { f(); } catch (e) { return 1; } return 0; }\n"
         "r.badpolicy <- threw(@() server.setsendtimeoutpolicy(99, "
         "WAIT_TIL_SENT, 10));\n"
         "r.badwait <- threw(@() server.setsendtimeoutpolicy("
         "RETURN_ON_ERROR, 99, 10));\n"
         "r.negative <- threw(@() server.setsendtimeoutpolicy("
         "RETURN_ON_ERROR, WAIT_TIL_SENT, -1));\n"
         "r.nodata <- threw(@() agent.send(\"x\"));\n"
         "r.good <- threw(@() server.setsendtimeoutpolicy("
         "SUSPEND_ON_ERROR, WAIT_TIL_SENT, 30));\n"
         "agent.send(\"send\", r);\n");
  const Impwire__Value *v = expect_agent(fx, "send")->data;
  IMPCERT_CHECK_MSG(fx, int_slot(v, "b0") == 3456,
                    "first setsendbuffersize returned %d", int_slot(v, "b0"));
  IMPCERT_CHECK(fx, int_slot(v, "b1") == 4000);
  IMPCERT_CHECK_MSG(fx, int_slot(v, "b2") == 4000,
                    "a smaller size changed the buffer (%d)",
                    int_slot(v, "b2"));
  IMPCERT_CHECK_MSG(fx, int_slot(v, "b3") == 30720,
                    "100000 was not capped at 30720 (%d)", int_slot(v, "b3"));
  IMPCERT_CHECK(fx, int_slot(v, "badpolicy") == 1);
  IMPCERT_CHECK(fx, int_slot(v, "badwait") == 1);
  IMPCERT_CHECK(fx, int_slot(v, "negative") == 1);
  IMPCERT_CHECK(fx, int_slot(v, "nodata") == 1);
  IMPCERT_CHECK(fx, int_slot(v, "good") == 0);
}

/* API-006, API-007: a timer fires once, a cancelled one never, onidle(null)
** cancels, onidle runs once when nothing is pending. */
static void timers(impcert_fx *fx) {
  deploy(fx,
         "local t1 = imp.wakeup(0.05, function() {\n"
         "  agent.send(\"t\", \"fired\");\n"
         "  imp.onidle(function() { agent.send(\"t\", \"idle\"); });\n"
         "});\n"
         "local t2 = imp.wakeup(0.02, function() { agent.send(\"t\", "
         "\"cancelled\"); });\n"
         "imp.cancelwakeup(t2);\n"
         "imp.onidle(function() { agent.send(\"t\", \"never\"); });\n"
         "imp.onidle(null);\n"
         "imp.wakeup(0.15, function() { imp.cancelwakeup(t1); "
         "agent.send(\"t\", \"end\"); });\n");
  static const char *const order[] = {"fired", "idle", "end"};
  for (int i = 0; i < 3; i++) {
    const Impwire__Value *v = expect_agent(fx, "t")->data;
    IMPCERT_CHECK_MSG(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_STR &&
                              strcmp(v->str, order[i]) == 0,
                      "message %d is '%s', expected '%s'", i + 1,
                      v && v->kind_case == IMPWIRE__VALUE__KIND_STR ? v->str
                                                                   : "?",
                      order[i]);
  }
}

/* CRYPTO-001..003, CRYPTO-005, CRYPTO-006: FIPS 180-4 and RFC 4231 vectors,
** equals, the imp.crypto alias, bad arguments. */
static void crypto_vectors(impcert_fx *fx) {
  deploy(fx,
         "function hex(b) { local s = \"\"; foreach (x in b) s += "
         "format(\"%02x\", x); return s; }\n"
         "local k = blob(131); foreach (i, _ in k) k[i] = 0xaa;\n"
         "local r = {};\n"
         "r.empty <- hex(crypto.sha256(\"\"));\n"
         "r.abc <- hex(crypto.sha256(\"abc\"));\n"
         "r.hmac2 <- hex(crypto.hmacsha256(\"what do ya want for nothing?\", "
         "\"Jefe\"));\n"
         "r.hmac6 <- hex(imp.crypto.hmacsha256(\"Test Using Larger Than "
         "Block-Size Key - Hash Key First\", k));\n"
         "r.eq <- crypto.equals(\"abc\", \"abc\");\n"
         "r.ne <- crypto.equals(\"abc\", \"abd\");\n"
         "r.len <- crypto.equals(\"ab\", \"abc\");\n"
         "r.alias <- imp.crypto.sha256 == crypto.sha256;\n"
         "try { crypto.sha256(12); r.bad <- false; } catch (e) { r.bad <- "
         "true; }\n"
         "agent.send(\"crypto\", r);\n");
  const Impwire__Value *v = expect_agent(fx, "crypto")->data;
  static const struct {
    const char *k, *hex;
  } vec[] = {
      {"empty", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b78"
                "52b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f200"
              "15ad"},
      {"hmac2", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964"
                "ec3843"},
      {"hmac6", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0e"
                "e37f54"},
  };
  for (size_t i = 0; i < 4; i++) {
    const Impwire__Value *h = slot(v, vec[i].k);
    IMPCERT_CHECK_MSG(fx, h && h->kind_case == IMPWIRE__VALUE__KIND_STR &&
                              strcmp(h->str, vec[i].hex) == 0,
                      "%s: got %s", vec[i].k,
                      h && h->kind_case == IMPWIRE__VALUE__KIND_STR ? h->str
                                                                   : "?");
  }
  static const struct {
    const char *k;
    bool want;
  } flags[] = {{"eq", true}, {"ne", false}, {"len", false},
               {"alias", true}, {"bad", true}};
  for (size_t i = 0; i < 5; i++) {
    const Impwire__Value *b = slot(v, flags[i].k);
    IMPCERT_CHECK_MSG(fx, b && b->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN &&
                              b->boolean == flags[i].want,
                      "%s is not %s", flags[i].k,
                      flags[i].want ? "true" : "false");
  }
}

/* SEND-013, SEND-015, SEND-016: a message larger than the send buffer
** returns SEND_ERROR_WOULDBLOCK under RETURN_ON_ERROR_NO_DISCONNECT only,
** is not sent, the session stays, and after the buffer grows it goes out
** once and whole. */
static void wouldblock(impcert_fx *fx) {
  deploy(fx,
         "local big = blob(4000); big[0] = 0xab; big[3999] = 0xcd;\n"
         "local r = [];\n"
         "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, 5);\n"
         "r.append(agent.send(\"big\", big));\n"
         "server.setsendtimeoutpolicy(RETURN_ON_ERROR_NO_DISCONNECT, "
         "WAIT_TIL_SENT, 5);\n"
         "r.append(agent.send(\"big\", big));\n"
         "r.append(server.isconnected());\n"
         "imp.setsendbuffersize(8192);\n"
         "r.append(agent.send(\"big\", big));\n"
         "agent.send(\"results\", r);\n");
  for (int i = 0; i < 2; i++) {
    const Impwire__Value *b = expect_agent(fx, "big")->data;
    IMPCERT_CHECK_MSG(fx, b && b->kind_case == IMPWIRE__VALUE__KIND_BLOB &&
                              b->blob.len == 4000 &&
                              b->blob.data[0] == 0xab &&
                              b->blob.data[3999] == 0xcd,
                      "message %d is not the 4000-byte blob whole", i + 1);
  }
  const Impwire__Value *v = expect_agent(fx, "results")->data;
  IMPCERT_REQUIRE(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          v->array->n_items == 4);
  Impwire__Value **it = v->array->items;
  IMPCERT_CHECK_MSG(fx, int_is(it[0], 0),
                    "RETURN_ON_ERROR must not return WOULDBLOCK");
  IMPCERT_CHECK_MSG(fx, int_is(it[1], 4 /* SEND_ERROR_WOULDBLOCK */),
                    "NO_DISCONNECT with a message larger than the buffer "
                    "did not return SEND_ERROR_WOULDBLOCK");
  IMPCERT_CHECK_MSG(fx, it[2]->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN &&
                            it[2]->boolean,
                    "the session did not stay up");
  IMPCERT_CHECK_MSG(fx, int_is(it[3], 0),
                    "after the buffer grew the send did not succeed");
}

/* Accept the session the device opens again and answer its steps 2-4
** with "code current". */
static void reaccept(impcert_fx *fx, const char *why) {
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no new session %s", why);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
}

/* NET-012, SEND-006, NET-014, NET-008, NET-013: server.disconnect() closes
** the session; under RETURN_ON_ERROR a send then returns
** SEND_ERROR_NOT_CONNECTED and only server.connect() brings the session
** back (its callback gets SERVER_CONNECTED); under SUSPEND_ON_ERROR a send
** after a disconnect reconnects by itself and is delivered. */
static void disconnect_connect(impcert_fx *fx) {
  deploy(fx,
         "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, 10);\n"
         "imp.wakeup(0.05, function() {\n"
         "  server.disconnect();\n"
         "  local r = [server.isconnected(), server.log(\"impcert offline\")];\n"
         "  imp.wakeup(0.5, function() {\n"
         "    r.append(server.isconnected());\n"
         "    server.connect(function(reason) {\n"
         "      r.append(reason);\n"
         "      agent.send(\"back\", r);\n"
         "      server.setsendtimeoutpolicy(SUSPEND_ON_ERROR, WAIT_TIL_SENT, "
         "10);\n"
         "      imp.wakeup(0.05, function() {\n"
         "        server.disconnect();\n"
         "        agent.send(\"auto\", server.isconnected());\n"
         "      });\n"
         "    });\n"
         "  });\n"
         "});\n");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "server.disconnect() did not close the session");
  reaccept(fx, "after server.connect()");
  const Impwire__Value *v = expect_agent(fx, "back")->data;
  IMPCERT_REQUIRE(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          v->array->n_items == 4);
  Impwire__Value **it = v->array->items;
  IMPCERT_CHECK_MSG(fx, it[0]->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN &&
                            !it[0]->boolean,
                    "isconnected() is true after server.disconnect()");
  IMPCERT_CHECK_MSG(fx, int_is(it[1], 1),
                    "server.log while disconnected did not return "
                    "SEND_ERROR_NOT_CONNECTED");
  IMPCERT_CHECK_MSG(fx, it[2]->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN &&
                            !it[2]->boolean,
                    "the device reconnected before server.connect()");
  IMPCERT_CHECK_MSG(fx, int_is(it[3], 5),
                    "the connect callback did not get SERVER_CONNECTED");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the second server.disconnect() did not close the "
                    "session");
  reaccept(fx, "for a send under SUSPEND_ON_ERROR");
  expect_agent(fx, "auto");
}

static const struct impcert_case cases[] = {
    {"API-LOG", "server.log and server.error arrive as Logs, in order",
     "SEND-003,SEND-005", "api,send", "jig,squirrel", 0, logs_in_order},
    {"API-AGENT", "agent.send and agent.on carry values both ways",
     "SEND-004,SEND-027", "api,send", "jig,squirrel", 0, agent_both_ways},
    {"API-NOHANDLER", "a message with no handler is logged with its name",
     "SEND-026", "api,send", "jig,squirrel", 0, no_handler},
    {"API-ERROR", "an uncaught error is logged and restarts the code",
     "API-005,API-003,BOOT-016", "api,errors", "jig,squirrel", 0,
     uncaught_error},
    {"API-HANDLER", "imp.onunhandledexception gets the error, then restart",
     "API-002,API-003,API-004", "api,errors", "jig,squirrel", 0,
     exception_handler},
    {"API-RESET", "imp.reset() is a new session with WAKEREASON_SW_RESET",
     "HW-029", "api,boot", "jig,squirrel", 0, imp_reset},
    {"API-RESTART", "server.restart() sends Restart: WAKEREASON_SW_RESTART",
     "POLITE-007", "api,polite", "jig,squirrel", 0, server_restart},
    {"API-POLITE", "a shutdown handler defers a Reload to server.restart()",
     "POLITE-002,POLITE-004,POLITE-006,POLITE-008", "api,polite",
     "jig,squirrel", 0, polite_reload},
    {"API-IDENTITY", "imp/hardware identity matches DeviceState; sha256",
     "HW-001,HW-003,HW-004,CRYPTO-001", "api,hw", "jig,squirrel", 0,
     identity_and_crypto},
    {"API-PIN-OUT", "a digital output's levels reach the jig",
     "HW-008", "api,hw,pins", "jig,squirrel,jig-pins", 0, digital_out},
    {"API-PIN-IN", "a digital input reads the jig's level, a call per edge",
     "HW-009", "api,hw,pins", "jig,squirrel,jig-pins", 0, digital_in},
    {"API-PWM", "PWM period and duty cycle reach the jig and getters",
     "HW-011,HW-012", "api,hw,pins", "jig,squirrel,jig-pwm", 0, pwm_out},
    {"API-DEEPSLEEP", "deep sleep: warm boot, WAKEREASON_TIMER, nv kept",
     "WAKE-002,STORE-001,BOOT-017", "api,sleep",
     "jig,squirrel,deep-sleep,nv", 0, deep_sleep_nv},
    {"API-CONST", "published constants are defined with their values",
     "API-001", "api", "jig,squirrel", 0, constants},
    {"API-SENDSET", "send buffer size and send-call argument checks",
     "SEND-020,SEND-021,SEND-022,SEND-028,SEND-029", "api,send",
     "jig,squirrel", 0, send_settings},
    {"API-TIMERS", "imp.wakeup, cancelwakeup and onidle",
     "API-006,API-007", "api", "jig,squirrel", 0, timers},
    {"API-CRYPTO", "sha256/hmacsha256 vectors, equals, imp.crypto alias",
     "CRYPTO-001,CRYPTO-002,CRYPTO-003,CRYPTO-005,CRYPTO-006", "api,crypto",
     "jig,squirrel", 0, crypto_vectors},
    {"API-WOULDBLOCK", "NO_DISCONNECT: too big returns WOULDBLOCK, then goes",
     "SEND-013,SEND-015,SEND-016", "api,send", "jig,squirrel", 0,
     wouldblock},
    {"API-DISCONNECT", "server.disconnect, sends offline, server.connect",
     "NET-012,SEND-006,NET-014,NET-008,NET-013", "api,net",
     "jig,squirrel", 0, disconnect_connect},
};

IMPCERT_PLUGIN("api", cases)
