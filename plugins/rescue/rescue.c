/*
** rescue.c: conformance tests of fast start and the rescue pin (seeds/001
** "New Device Fast Start Support"; research imp-api §4.7): with a rescue
** pin recorded by imp.setrescuepin(), a power-on starts the stored code
** at once with no session; the pin held opposite its idle level at
** power-on gives one standard cold start (connect, check the code, ten
** seconds at most). The jig holds the pin before the power comes
** (impcert_jig_hold_pin). Requirement IDs are those of
** specs/requirements.md.
*/
#include <stdio.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0011-rescue"
#define TOKEN "token-rescue-11"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */
/* A fast start shows its code well inside the ten seconds a standard
** cold boot with a silent cloud would take. */
#define FAST_WAIT 5000
/* Real time a DUT gets to show what it did when device time moved on (a
** session it should not open, code it should not start): on a virtual
** clock the DUT acts right after the advance. */
#define SETTLE_MS 200

/* Squirrel: the rescue pin (pin1, or pinA on boards without pin1) and
** its name. */
#define PIN_CHOICE                                                        \
  "local pname = (\"pin1\" in hardware) ? \"pin1\" : \"pinA\";"            \
  "local pin = hardware[pname];"

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

/* Deploy code that arms the rescue pin at `level` on its BlinkUp run and
** does `rest` on every other run; returns the pin's name ("pin1"...). */
static const char *arm(impcert_fx *fx, int level, const char *rest) {
  static char name[16];
  char code[1024];
  snprintf(code, sizeof code,
           PIN_CHOICE
           "local w = hardware.wakereason();"
           "if (w == WAKEREASON_BLINKUP) {"
           "  imp.setrescuepin(pin, %d); server.log(\"armed \" + pname);"
           "} else {%s}",
           level, rest);
  deploy(fx, code);
  const char *t = find_log(fx, "armed ");
  IMPCERT_REQUIRE(fx, sscanf(t, "armed %15s", name) == 1);
  return name;
}

/* The next AppState that says the code runs, or NULL within timeout_ms. */
static const Impjig__AppState *code_started(impcert_fx *fx,
                                            unsigned timeout_ms) {
  const Impjig__JigEnvelope *e;
  while ((e = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE,
                               timeout_ms)))
    if (e->app_state->running)
      return e->app_state;
  return NULL;
}

/* Power off and on, forgetting the AppStates of the boot before (the
** power cut drops the jig connection: none of that boot comes later). */
static void power_cycle(impcert_fx *fx) {
  impcert_dut_power_off(fx);
  while (impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, 0)) {
  }
  impcert_dut_power_on(fx);
}

/* Power-cycle and demand a fast start: the code runs at once with
** WAKEREASON_POWER_ON, and no session comes while it does not ask. */
static void expect_fast_start(impcert_fx *fx, const char *when) {
  power_cycle(fx);
  const Impjig__AppState *as = code_started(fx, FAST_WAIT);
  if (!as)
    IMPCERT_FAIL_NOW(fx, "%s: the code did not start at once (no fast "
                     "start)", when);
  IMPCERT_CHECK_MSG(fx, as->has_wake_reason &&
                            as->wake_reason == IMPCERT_WAKEREASON_POWER_ON,
                    "%s: the fast-started code has wake reason %u", when,
                    as->wake_reason);
  impcert_device_wait(fx, 1500);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_accept(fx, SETTLE_MS) ==
                            IMPCERT_SESSION_TIMEOUT,
                    "%s: the device opened a session although its code did "
                    "not ask for one", when);
}

/* Power-cycle and demand a standard cold start: a session with steps 2-3
** first, the code only once the cloud answers (match). */
static void expect_standard_start(impcert_fx *fx, const char *when) {
  power_cycle(fx);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "%s: no session (a standard cold start connects)",
                     when);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK(fx, s->wake_reason == IMPCERT_WAKEREASON_POWER_ON);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_device_wait(fx, 1000);
  IMPCERT_CHECK_MSG(fx, code_started(fx, SETTLE_MS) == NULL,
                    "%s: the code started before the cloud answered", when);
}

/* BOOT-020, BOOT-023: armed, the next power-ons (the setting survives
** power loss) fast start. */
static void fast_start(impcert_fx *fx) {
  arm(fx, 1, "");
  expect_fast_start(fx, "first power-on after imp.setrescuepin()");
  expect_fast_start(fx, "second power-on");
}

/* BOOT-021, BOOT-022: the pin held opposite its idle level gives one
** standard cold start; released, the next power-on fast starts again. */
static void rescue_then_fast(impcert_fx *fx) {
  const char *pin = arm(fx, 1, "");
  impcert_jig_hold_pin(fx, pin, 0);
  expect_standard_start(fx, "power-on with the rescue pin held low");
  impcert_send_answer(fx, true, NULL, false);
  IMPCERT_CHECK_MSG(fx, code_started(fx, WAIT) != NULL,
                    "the rescue boot did not start the code after the "
                    "cloud's answer");
  impcert_jig_hold_pin(fx, pin, 1); /* held at its idle level: no rescue */
  expect_fast_start(fx, "power-on with the rescue pin at its idle level");
  impcert_jig_hold_pin(fx, pin, -1);
  expect_fast_start(fx, "power-on with the rescue pin released");
}

/* BOOT-021, BOOT-023: idle level 0; held high it rescues; the code the
** rescue boot receives calls imp.setrescuepin(null): standard cold starts
** from then on. */
static void disarm_restores_standard(impcert_fx *fx) {
  const char *pin = arm(fx, 0, "");
  impcert_jig_hold_pin(fx, pin, 0);
  expect_fast_start(fx, "power-on with the pin at its idle level 0");
  impcert_jig_hold_pin(fx, pin, 1);
  expect_standard_start(fx, "power-on with the rescue pin held high");
  impcert_send_answer(fx, false,
                      "imp.setrescuepin(null); server.log(\"disarmed\");",
                      false);
  find_log(fx, "disarmed");
  impcert_jig_hold_pin(fx, pin, -1);
  expect_standard_start(fx, "power-on after imp.setrescuepin(null)");
  impcert_send_answer(fx, true, NULL, false);
  IMPCERT_CHECK(fx, code_started(fx, WAIT) != NULL);
}

/* REG-054 (impOS 36.x): the RTC runs from a fast start: time() 2.5 s
** after the code started is 2 or 3 seconds later. */
static void rtc_runs_after_fast_start(impcert_fx *fx) {
  arm(fx, 1, "local t0 = time();"
             "imp.wakeup(2.5, function() {"
             "  server.log(\"rtc \" + (time() - t0) + \" from \" + t0); });");
  expect_fast_start(fx, "power-on"); /* 1.5 s of device time */
  impcert_device_wait(fx, 1000);     /* to the code's 2.5 s timer */
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the fast-started code's log brought no session");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  const char *t = find_log(fx, "rtc ");
  int dt = -1;
  IMPCERT_CHECK_MSG(fx, sscanf(t, "rtc %d", &dt) == 1 && dt >= 2 && dt <= 3,
                    "2.5 s after a fast start time() moved by '%s' seconds",
                    t);
}

static const struct impcert_case cases[] = {
    {"BOOT-020", "fast start: a rescue pin set, the code starts at once",
     "BOOT-020,BOOT-023", "boot,rescue", "jig,jig-power,jig-app,squirrel",
     0, fast_start},
    {"BOOT-021", "rescue pin held: one standard cold start, then fast",
     "BOOT-021,BOOT-022", "boot,rescue",
     "jig,jig-power,jig-app,jig-pins,squirrel", 0, rescue_then_fast},
    {"BOOT-023", "imp.setrescuepin(null) restores standard cold starts",
     "BOOT-021,BOOT-023", "boot,rescue",
     "jig,jig-power,jig-app,jig-pins,squirrel", 0, disarm_restores_standard},
    {"REG-054", "36.x: the RTC runs when Squirrel fast starts", "REG-054",
     "regress,rescue", "jig,jig-power,jig-app,squirrel", 0,
     rtc_runs_after_fast_start},
};

IMPCERT_PLUGIN("rescue", cases)
