/*
** wake.c: conformance tests of the wake reasons and of what each kind of
** restart does (seeds/003 "Message Sequence", "Squirrel Errors", "After A
** Warm Boot"; research imp-api §1.5, §2.10): each case deploys code that
** brings about one restart and checks the DeviceState of the boot that
** follows and what the code then sees. Requirement IDs are those of
** specs/requirements.md.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <impcert/impcert.h>

#define PLAN "plan-0009-wake"
#define TOKEN "token-wake-99"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */

/* BlinkUp, activate and deploy `code` in step 4 (it runs with
** WAKEREASON_BLINKUP). */
static void deploy(impcert_fx *fx, const char *code) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
}

/* The text of the first Log starting with `prefix`, skipping other
** frames; the test fails if none comes. */
static const char *find_log(impcert_fx *fx, const char *prefix) {
  for (;;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
    if (!e)
      IMPCERT_FAIL_NOW(fx, "no Log starting '%s' within %d ms", prefix,
                       WAIT);
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
        strncmp(e->log->text, prefix, strlen(prefix)) == 0)
      return e->log->text;
  }
}

/* The Log starting with `prefix` must read exactly `want`. */
static void expect_log(impcert_fx *fx, const char *prefix, const char *want) {
  const char *got = find_log(fx, prefix);
  IMPCERT_CHECK_MSG(fx, strcmp(got, want) == 0, "logged '%s', expected '%s'",
                    got, want);
}

/* A new session (the old one, if any, closes first): steps 2-3, then the
** cloud says the code matches. Returns the wake reason of DeviceState. */
static uint32_t next_session(impcert_fx *fx, const char *what) {
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no new session after %s", what);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  return s->wake_reason;
}

/* WAKE-003, HW-029: imp.reset() is a cold start: a new session whose
** DeviceState says WAKEREASON_SW_RESET, as hardware.wakereason() does. */
static void reset_is_sw_reset(impcert_fx *fx) {
  deploy(fx, "local w = hardware.wakereason();"
             "if (w == WAKEREASON_BLINKUP) imp.reset();"
             "else server.log(\"reason \" + w);");
  uint32_t w = next_session(fx, "imp.reset()");
  IMPCERT_CHECK_MSG(fx, w == IMPCERT_WAKEREASON_SW_RESET,
                    "DeviceState after imp.reset() has wake reason %u, not "
                    "WAKEREASON_SW_RESET (2)", w);
  expect_log(fx, "reason ", "reason 2");
}

/* WAKE-004, BOOT-025: running out of memory is a cold start with
** WAKEREASON_SW_RESET: a new session from the start of the conversation. */
static void out_of_memory_is_sw_reset(impcert_fx *fx) {
  deploy(fx, "local w = hardware.wakereason();"
             "if (w == WAKEREASON_BLINKUP) {"
             "  local keep = [];"
             "  while (true) keep.push(blob(32768));"
             "} else server.log(\"reason \" + w);");
  uint32_t w = next_session(fx, "running out of memory");
  IMPCERT_CHECK_MSG(fx, w == IMPCERT_WAKEREASON_SW_RESET,
                    "DeviceState after out of memory has wake reason %u, "
                    "not WAKEREASON_SW_RESET (2)", w);
  expect_log(fx, "reason ", "reason 2");
}

/* WAKE-007, BOOT-024: an uncaught error tears the VM down and goes back to
** step 2 on the same session with WAKEREASON_SQUIRREL_ERROR; the code runs
** again once the cloud answers. */
static void error_restarts_at_step_2(impcert_fx *fx) {
  deploy(fx, "local w = hardware.wakereason();"
             "if (w == WAKEREASON_BLINKUP) throw \"impcert boom\";"
             "else server.log(\"reason \" + w);");
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_SQUIRREL_ERROR,
                    "DeviceState after an uncaught error has wake reason "
                    "%u, not WAKEREASON_SQUIRREL_ERROR (5)", s->wake_reason);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_session_port(fx) >= 0,
                    "the session was lost across the error restart");
  impcert_send_answer(fx, true, NULL, false);
  expect_log(fx, "reason ", "reason 5");
}

/* WAKE-010: server.restart() with nothing pending restarts the code with
** WAKEREASON_SW_RESTART (the Restart notice to the cloud comes first). */
static void restart_is_sw_restart(impcert_fx *fx) {
  deploy(fx, "local w = hardware.wakereason();"
             "if (w == WAKEREASON_BLINKUP) server.restart();"
             "else server.log(\"reason \" + w);");
  const Impwire__Envelope *e;
  while ((e = impcert_next_frame(fx, WAIT)) &&
         e->msg_case != IMPWIRE__ENVELOPE__MSG_DEVICE_STATE) {
    if (e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG &&
        e->msg_case != IMPWIRE__ENVELOPE__MSG_RESTART)
      IMPCERT_FAIL_NOW(fx, "frame case %d before the DeviceState of the "
                       "restart", (int)e->msg_case);
  }
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no DeviceState after server.restart()");
  const Impwire__DeviceState *s = e->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_SW_RESTART,
                    "DeviceState after server.restart() has wake reason %u, "
                    "not WAKEREASON_SW_RESTART (10)", s->wake_reason);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  expect_log(fx, "reason ", "reason 10");
}

/* BOOT-032: a cold boot reaches the cloud whatever send timeout policy the
** code had set: RETURN_ON_ERROR and a disconnect before imp.reset(), and
** again before a power cut. */
static void cold_boot_ignores_policy(impcert_fx *fx) {
  deploy(fx, "local w = hardware.wakereason();"
             "server.log(\"reason \" + w);"
             "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, "
             "5);"
             "if (w == WAKEREASON_BLINKUP) imp.wakeup(0.2, function() {"
             "  server.disconnect(); imp.reset(); });");
  expect_log(fx, "reason ", "reason 9");
  /* the device ends this session itself: accepting before would close it
  ** from the cloud's side, and the device would come back at once */
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "server.disconnect() did not close the session");
  uint32_t w = next_session(fx, "imp.reset() under RETURN_ON_ERROR");
  IMPCERT_CHECK(fx, w == IMPCERT_WAKEREASON_SW_RESET);
  expect_log(fx, "reason ", "reason 2");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  w = next_session(fx, "a power cycle under RETURN_ON_ERROR");
  IMPCERT_CHECK(fx, w == IMPCERT_WAKEREASON_POWER_ON);
  expect_log(fx, "reason ", "reason 0");
}

/* WAKE-015: server.sleepfor() sends everything queued before it before
** the session closes. */
static void sleep_flushes_first(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_BLINKUP) {"
             "  for (local i = 0; i < 40; i++)"
             "    server.log(format(\"queued %02d \", i) + "
             "               \"................................\");"
             "  server.sleepfor(3600);"
             "}");
  for (int i = 0; i < 40; i++) {
    char want[80];
    snprintf(want, sizeof want, "queued %02d ", i);
    const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
    if (!e)
      IMPCERT_FAIL_NOW(fx, "the session closed (or went quiet) after %d of "
                       "the 40 lines logged before server.sleepfor()", i);
    IMPCERT_CHECK_MSG(fx, e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
                              strncmp(e->log->text, want, strlen(want)) == 0,
                      "frame %d before the sleep is not the Log '%s...'", i,
                      want);
  }
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the session stayed open after server.sleepfor()");
}

/* WAKE-017: server.sleepfor(0) and imp.deepsleepfor(0) wake at once, as a
** warm boot with WAKEREASON_TIMER. */
static void sleep_zero(impcert_fx *fx, const char *call) {
  char code[512];
  snprintf(code, sizeof code,
           "local w = hardware.wakereason();"
           "if (w == WAKEREASON_BLINKUP) %s(0);"
           "else server.log(\"reason \" + w);", call);
  deploy(fx, code);
  const Impjig__JigEnvelope *ds =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP, WAIT);
  if (!ds)
    IMPCERT_FAIL_NOW(fx, "%s(0) did not enter deep sleep", call);
  /* immediate: the sleep itself takes a moment to enter, never 1 s */
  IMPCERT_CHECK_MSG(fx, ds->deep_sleep->wake_in_ms < 1000,
                    "%s(0) sleeps for %llu ms", call,
                    (unsigned long long)ds->deep_sleep->wake_in_ms);
  uint32_t w = next_session(fx, "the wake from a zero-length sleep");
  IMPCERT_CHECK_MSG(fx, w == IMPCERT_WAKEREASON_TIMER,
                    "the wake after %s(0) has wake reason %u, not "
                    "WAKEREASON_TIMER", call, w);
  expect_log(fx, "reason ", "reason 1");
}

static void server_sleepfor_zero(impcert_fx *fx) {
  sleep_zero(fx, "server.sleepfor");
}

static void imp_deepsleepfor_zero(impcert_fx *fx) {
  sleep_zero(fx, "imp.deepsleepfor");
}

/* WAKE-018: server.sleepuntil(hour, minute) sleeps until the next
** occurrence of that UTC time by the RTC the cloud set (its answer carries
** the time): a time a little ahead wakes today, one just past tomorrow. */
static void sleep_until(impcert_fx *fx, long ahead_s) {
  time_t now = time(NULL);
  long long target = ((long long)now + ahead_s) / 60 * 60;
  if (target <= now)
    target += 86400;
  char code[512];
  snprintf(code, sizeof code,
           "if (hardware.wakereason() == WAKEREASON_BLINKUP)"
           "  imp.wakeup(0.1, function() { server.sleepuntil(%d, %d); });",
           (int)(target / 3600 % 24), (int)(target / 60 % 60));
  deploy(fx, code);
  const Impjig__JigEnvelope *ds =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP, WAIT);
  if (!ds)
    IMPCERT_FAIL_NOW(fx, "server.sleepuntil() did not enter deep sleep");
  long long got_s = (long long)(ds->deep_sleep->wake_in_ms / 1000);
  long long want_s = target - (long long)time(NULL);
  impcert_note(fx, "sleep until %02d:%02d UTC: %lld s expected, %lld s "
               "asked", (int)(target / 3600 % 24), (int)(target / 60 % 60),
               want_s, got_s);
  IMPCERT_CHECK_MSG(fx, llabs(got_s - want_s) <= 3,
                    "server.sleepuntil(%d, %d) sleeps %lld s; the next "
                    "occurrence is %lld s away", (int)(target / 3600 % 24),
                    (int)(target / 60 % 60), got_s, want_s);
}

static void sleep_until_later_today(impcert_fx *fx) {
  sleep_until(fx, 150);
}

static void sleep_until_tomorrow(impcert_fx *fx) {
  sleep_until(fx, -120);
}

/* WAKE-014: an imp005 reports only POWER_ON, SW_RESET, NEW_SQUIRREL,
** SQUIRREL_ERROR, HW_RESET or SW_RESTART: the boot after a BlinkUp, which
** is WAKEREASON_BLINKUP elsewhere, must show one of those, in DeviceState
** and to the code alike. */
static bool imp005_reports(uint32_t r) {
  return r == 0 || r == 2 || r == 4 || r == 5 || r == 8 || r == 10;
}

static void imp005_wake_reasons(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  uint32_t ds = impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
                    ->device_state->wake_reason;
  IMPCERT_CHECK_MSG(fx, imp005_reports(ds),
                    "after a BlinkUp an imp005's DeviceState says wake "
                    "reason %u", ds);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false,
                      "server.log(\"wake \" + hardware.wakereason());", false);
  const char *t = find_log(fx, "wake ");
  char *end;
  unsigned long hw = strtoul(t + 5, &end, 10);
  IMPCERT_CHECK_MSG(fx, *end == 0 && imp005_reports((uint32_t)hw),
                    "after a BlinkUp an imp005's hardware.wakereason() "
                    "logged '%s'", t);
  IMPCERT_CHECK_MSG(fx, *end != 0 || hw == ds,
                    "hardware.wakereason() %lu differs from DeviceState's %u",
                    hw, ds);
}

/* WAKE-021: an imp005 has no deep sleep: server.sleepfor() and
** imp.deepsleepfor() throw (or return) and the session stays up. */
static void imp005_never_sleeps(impcert_fx *fx) {
  deploy(fx, "foreach (f in [server.sleepfor, imp.deepsleepfor]) {"
             "  local how = \"returned\";"
             "  try { f(5); } catch (e) { how = \"threw\"; }"
             "  server.log(\"sleep \" + how + \" \" + server.isconnected());"
             "}"
             "imp.wakeup(1, function() { server.log(\"awake\"); });");
  for (int i = 0; i < 2; i++) {
    const char *t = find_log(fx, "sleep ");
    IMPCERT_CHECK_MSG(fx, strcmp(t, "sleep threw true") == 0 ||
                              strcmp(t, "sleep returned true") == 0,
                      "call %d: an imp005 logged '%s' after a deep sleep "
                      "call", i + 1, t);
  }
  expect_log(fx, "awake", "awake");
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx,
                                         IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP,
                                         200) == NULL,
                    "an imp005 told the jig it enters deep sleep");
  IMPCERT_CHECK_MSG(fx, !impcert_cloud_wait_closed(fx, 500),
                    "an imp005 closed its session on a deep sleep call");
}

/* WAKE-011, WAKE-013: under SUSPEND_ON_ERROR a send with no server for a
** minute puts the device into the nine-minute back-off sleep; the boot
** after it reports WAKEREASON_SNOOZE in DeviceState and to the code (a
** plain timer wake would say WAKEREASON_TIMER). On the virtual clock. */
static void snooze_after_backoff(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_clock_advance(fx, 0);
  deploy(fx, "server.log(\"reason \" + hardware.wakereason());"
             "imp.wakeup(1, function() { server.log(\"blocked\"); });");
  expect_log(fx, "reason ", "reason 9");
  for (int i = 0; i < 3; i++) /* the cloud goes away */
    impcert_cloud_close_port(fx, i);
  impcert_cloud_close(fx);
  impcert_clock_advance(fx, 1000); /* the timer's send blocks */
  impcert_clock_advance(fx, 61000); /* a minute of tries, then the sleep */
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP, WAIT);
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no back-off sleep after a minute without a "
                         "server under SUSPEND_ON_ERROR");
  impcert_note(fx, "back-off sleep of %llu ms",
               (unsigned long long)e->deep_sleep->wake_in_ms);
  for (int i = 0; i < 3; i++)
    if (impcert_cloud_open_port(fx, i) != 0)
      IMPCERT_ERROR_NOW(fx, "cannot open cloud port %d again", i);
  impcert_clock_advance(fx, e->deep_sleep->wake_in_ms); /* the wake */
  uint32_t w = next_session(fx, "the back-off sleep");
  IMPCERT_CHECK_MSG(fx, w == IMPCERT_WAKEREASON_SNOOZE,
                    "DeviceState after the SUSPEND_ON_ERROR back-off sleep "
                    "has wake reason %u, not WAKEREASON_SNOOZE (7)", w);
  expect_log(fx, "reason ", "reason 7");
}

/* HW-018, WAKE-005: the rising edge of the wake pin that ends a deep
** sleep is no edge for the code of the boot it starts: the pin reads 1
** (the jig holds it high) and the callback stays silent until the pin
** moves while the device is awake, and then runs for each edge. */
static void wake_edge_not_reported(impcert_fx *fx) {
  deploy(fx, "local w = hardware.wakereason();"
             "hardware.pin1.configure(DIGITAL_IN_WAKEUP, function() {"
             "  server.log(\"edge \" + hardware.pin1.read()); });"
             "server.log(\"woke \" + w + \" \" + hardware.pin1.read());"
             "if (w == WAKEREASON_BLINKUP)"
             "  imp.wakeup(0.2, function() { server.sleepfor(3600); });");
  expect_log(fx, "woke ", "woke 9 0");
  const Impjig__JigEnvelope *ds =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP, WAIT);
  if (!ds)
    IMPCERT_FAIL_NOW(fx, "server.sleepfor() did not enter deep sleep");
  IMPCERT_CHECK_MSG(fx, ds->deep_sleep->wake_pin,
                    "the DeepSleep does not arm the wake pin configured "
                    "DIGITAL_IN_WAKEUP");
  if (impcert_dut_wake_pin(fx) != 0)
    IMPCERT_FAIL_NOW(fx, "the wake pin could not wake the device");
  uint32_t w = next_session(fx, "the wake pin");
  IMPCERT_CHECK(fx, w == IMPCERT_WAKEREASON_PIN);
  /* the first Log after the wake: an "edge" here is the waking edge */
  const char *t = find_log(fx, "");
  IMPCERT_CHECK_MSG(fx, strcmp(t, "woke 3 1") == 0,
                    "after the pin wake the code logged '%s' first, not "
                    "'woke 3 1' (the callback may not see the waking edge; "
                    "the held pin reads 1)", t);
  impcert_jig_drive_pin(fx, "pin1", 0);
  expect_log(fx, "edge ", "edge 0");
  impcert_jig_drive_pin(fx, "pin1", 1);
  expect_log(fx, "edge ", "edge 1");
}

/* HW-019: entering deep sleep, every pin but the wake pin is tri-stated:
** the last PinState of each configured pin before the DeepSleep reports
** mode 0, except the armed wake pin, which keeps DIGITAL_IN_WAKEUP (4). */
static const char *const sleep_pins[] = {"pin1", "pin2", "pin5", "pin7",
                                         "pin8", "pin9"};
#define NSLEEP_PINS (sizeof sleep_pins / sizeof sleep_pins[0])

static void pins_tristated_in_sleep(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_BLINKUP) {"
             "  hardware.pin1.configure(DIGITAL_IN_WAKEUP);"
             "  hardware.pin2.configure(DIGITAL_OUT, 1);"
             "  hardware.pin5.configure(PWM_OUT, 0.01, 0.5);"
             "  hardware.pin7.configure(DIGITAL_IN_PULLUP);"
             "  hardware.pin8.configure(DIGITAL_OUT_OD, 0);"
             "  hardware.pin9.configure(DIGITAL_IN);"
             "  server.log(\"configured\");"
             "  imp.wakeup(0.2, function() { server.sleepfor(3600); });"
             "}");
  int mode[NSLEEP_PINS];
  for (size_t i = 0; i < NSLEEP_PINS; i++)
    mode[i] = -1;
  const Impjig__JigEnvelope *m;
  while ((m = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG__NOT_SET,
                               WAIT)) &&
         m->msg_case != IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP) {
    if (m->msg_case != IMPJIG__JIG_ENVELOPE__MSG_PIN_STATE)
      continue;
    for (size_t i = 0; i < NSLEEP_PINS; i++)
      if (strcmp(m->pin_state->pin, sleep_pins[i]) == 0)
        mode[i] = (int)m->pin_state->mode;
  }
  if (!m)
    IMPCERT_FAIL_NOW(fx, "server.sleepfor() did not enter deep sleep");
  IMPCERT_CHECK_MSG(fx, mode[0] == 4,
                    "the wake pin pin1 is reported in mode %d at the sleep, "
                    "not DIGITAL_IN_WAKEUP (4)", mode[0]);
  for (size_t i = 1; i < NSLEEP_PINS; i++)
    IMPCERT_CHECK_MSG(fx, mode[i] == 0,
                      "%s is still reported in mode %d when the device "
                      "sleeps, not tri-stated (0)", sleep_pins[i], mode[i]);
}

/* WAKE-012, WAKE-013, WAKE-020: a RESET_L pulse restarts the board as a
** cold boot: a new session whose DeviceState says WAKEREASON_HW_RESET, as
** hardware.wakereason() does, in a fresh VM (a global set before is gone). */
static void reset_line_is_hw_reset(impcert_fx *fx) {
  deploy(fx, "server.log(\"mark \" + (\"mark\" in getroottable()));"
             "server.log(\"reason \" + hardware.wakereason());"
             "::mark <- 1;");
  expect_log(fx, "mark ", "mark false");
  if (impcert_jig_reset_pulse(fx) != 0)
    IMPCERT_ERROR_NOW(fx, "the jig could not pulse RESET_L");
  uint32_t w = next_session(fx, "the RESET_L pulse");
  IMPCERT_CHECK_MSG(fx, w == IMPCERT_WAKEREASON_HW_RESET,
                    "DeviceState after a RESET_L pulse has wake reason %u, "
                    "not WAKEREASON_HW_RESET (8)", w);
  expect_log(fx, "mark ", "mark false");
  expect_log(fx, "reason ", "reason 8");
}

/* WAKE-012 (board rule, jig.md "Reset line"): an imp001 has no RESET_L
** line, so a pulse on the jig changes nothing: the code runs on in the
** same session. */
static void no_reset_line_on_imp001(impcert_fx *fx) {
  deploy(fx, "local w = hardware.wakereason();"
             "server.log(\"reason \" + w);"
             "agent.on(\"q\", function(d) { server.log(\"still \" + w); });");
  expect_log(fx, "reason ", "reason 9");
  IMPCERT_REQUIRE(fx, impcert_jig_reset_pulse(fx) == 0);
  impcert_device_wait(fx, 500); /* the pulse is taken before "q" comes */
  Impwire__AgentMessage m = IMPWIRE__AGENT_MESSAGE__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  m.name = "q";
  env.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
  env.agent_message = &m;
  IMPCERT_CHECK_MSG(fx, impcert_send(fx, &env) == 0,
                    "the session ended after a RESET_L pulse on an imp001");
  const Impwire__Envelope *e;
  while ((e = impcert_next_frame(fx, WAIT)) &&
         e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG) {
    IMPCERT_CHECK_MSG(fx, e->msg_case != IMPWIRE__ENVELOPE__MSG_DEVICE_STATE,
                      "an imp001 restarted on a RESET_L pulse");
  }
  IMPCERT_CHECK_MSG(fx, e && strcmp(e->log->text, "still 9") == 0,
                    "after a RESET_L pulse an imp001 logged '%s', not "
                    "'still 9' on the same session",
                    e ? e->log->text : "(nothing)");
}

static const struct impcert_case cases[] = {
    {"WAKE-012", "RESET_L pulsed: a cold boot with WAKEREASON_HW_RESET",
     "WAKE-012,WAKE-013,WAKE-020", "wake,reset", "jig,squirrel,jig-reset", 0,
     reset_line_is_hw_reset},
    {"WAKE-012b", "imp001: no RESET_L line, a pulse changes nothing",
     "WAKE-012", "wake,reset", "jig,squirrel,board:imp001", 0,
     no_reset_line_on_imp001},
    {"HW-018", "the waking edge of the wake pin is no callback",
     "HW-018,WAKE-005", "wake,sleep,pins", "jig,jig-pins,squirrel,deep-sleep",
     0, wake_edge_not_reported},
    {"HW-019", "deep sleep tri-states every pin but the wake pin", "HW-019",
     "wake,sleep,pins", "jig,jig-pins,squirrel,deep-sleep,board:imp001", 0,
     pins_tristated_in_sleep},
    {"TIME-WAKE-011", "the SUSPEND_ON_ERROR back-off wakes with SNOOZE",
     "WAKE-011,WAKE-013", "wake,sleep,time",
     "jig,squirrel,virtual-clock,deep-sleep", 0, snooze_after_backoff},
    {"WAKE-021", "imp005: no deep sleep, the session stays up", "WAKE-021",
     "wake,sleep,imp005", "jig,squirrel,board:imp005", 0, imp005_never_sleeps},
    {"WAKE-014", "imp005: no BLINKUP (or other) wake reason it lacks",
     "WAKE-014", "wake,imp005", "jig,squirrel,board:imp005", 0,
     imp005_wake_reasons},
    {"WAKE-003", "imp.reset(): cold start with WAKEREASON_SW_RESET",
     "WAKE-003,HW-029", "wake", "jig,squirrel", 0, reset_is_sw_reset},
    {"WAKE-004", "out of memory: cold start with WAKEREASON_SW_RESET",
     "WAKE-004,BOOT-025", "wake", "jig,squirrel", 0,
     out_of_memory_is_sw_reset},
    {"WAKE-007", "uncaught error: step 2 with WAKEREASON_SQUIRREL_ERROR",
     "WAKE-007,BOOT-024", "wake", "jig,squirrel", 0,
     error_restarts_at_step_2},
    {"WAKE-010", "server.restart() with nothing pending: SW_RESTART",
     "WAKE-010", "wake", "jig,squirrel", 0, restart_is_sw_restart},
    {"BOOT-032", "cold boots reach the cloud under RETURN_ON_ERROR",
     "BOOT-032", "boot,wake", "jig,jig-power,squirrel", 0,
     cold_boot_ignores_policy},
    {"WAKE-015", "server.sleepfor() sends what was queued first",
     "WAKE-015,WAKE-016", "wake,sleep", "jig,squirrel,deep-sleep", 0,
     sleep_flushes_first},
    {"WAKE-017", "server.sleepfor(0): an immediate timer wake",
     "WAKE-017", "wake,sleep", "jig,squirrel,deep-sleep", 0,
     server_sleepfor_zero},
    {"WAKE-017b", "imp.deepsleepfor(0): an immediate timer wake",
     "WAKE-017", "wake,sleep", "jig,squirrel,deep-sleep", 0,
     imp_deepsleepfor_zero},
    {"WAKE-018", "server.sleepuntil(): a time later today",
     "WAKE-018", "wake,sleep", "jig,squirrel,deep-sleep", 0,
     sleep_until_later_today},
    {"WAKE-018b", "server.sleepuntil(): a time just past is tomorrow",
     "WAKE-018", "wake,sleep", "jig,squirrel,deep-sleep", 0,
     sleep_until_tomorrow},
};

IMPCERT_PLUGIN("wake", cases)
