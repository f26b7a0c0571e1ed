/*
** step5.c: conformance tests of what the device runs after the boot
** conversation (seeds/003 "Message Sequence" step 5, "Further Server
** Messages"), seen through the jig's AppState report (feature jig-app,
** jig.md "Conversation" step 5): which code starts, when, with which wake
** reason, and what must never start.
*/
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0006-step5"
#define TOKEN "token-step5-99"
#define CODE_A "server.log(\"step 5, code A\");"
#define CODE_B "server.log(\"step 5, code B\");"
#define CODE_EVIL "server.log(\"code under a wrong hash\");"
#define WAIT 8000  /* ms for the DUT to act; generous for emulated DUTs */
#define QUIET 700  /* ms of device time in which nothing may start */
/* Real time a DUT gets to show what it did when device time moved on: on
** a virtual clock the DUT acts right after the advance. */
#define SETTLE_MS 300

static bool sha_is(const ProtobufCBinaryData *h, const char *code) {
  uint8_t want[32];
  impcert_sha256(code, strlen(code), want);
  return h->len == 32 && memcmp(h->data, want, 32) == 0;
}

/* The next AppState, or NULL after timeout_ms. */
static const Impjig__AppState *next_app(impcert_fx *fx, unsigned timeout_ms) {
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, timeout_ms);
  return e ? e->app_state : NULL;
}

/* The next AppState must say `code` started with wake reason `wake`. */
static void expect_started(impcert_fx *fx, const char *code, int wake,
                           const char *when) {
  const Impjig__AppState *a = next_app(fx, WAIT);
  if (!a || !a->running)
    IMPCERT_FAIL_NOW(fx, "no code started %s (%s)", when,
                     a ? "AppState running=false" : "no AppState");
  IMPCERT_CHECK_MSG(fx, a->has_sha256 && sha_is(&a->sha256, code),
                    "the code started %s is not the expected code", when);
  IMPCERT_CHECK_MSG(fx, a->has_wake_reason && (int)a->wake_reason == wake,
                    "the code started %s sees wake reason %d, but the "
                    "boot's DeviceState said %d", when,
                    a->has_wake_reason ? (int)a->wake_reason : -1, wake);
}

/* Nothing may start within QUIET ms of device time (plus SETTLE_MS of
** real time): a clock advance on a virtual clock, so every later
** device-time wait of the test must be one too. Not while the device is
** connecting: it may not answer the clock until the cloud accepts. */
static void expect_nothing_starts(impcert_fx *fx, const char *when) {
  impcert_device_wait(fx, QUIET);
  const Impjig__AppState *a = next_app(fx, SETTLE_MS);
  IMPCERT_CHECK_MSG(fx, !a || !a->running,
                    "code started %s", when);
}

/* A fresh device through BlinkUp and steps 1-3; returns the wake reason
** of its DeviceState. */
static int activate(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  int wake = (int)impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE,
                                 WAIT)->device_state->wake_reason;
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  return wake;
}

/* Power-cycle and read steps 2-3; returns the DeviceState wake reason. */
static int cold_boot(impcert_fx *fx) {
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  enum impcert_session s = IMPCERT_SESSION_TIMEOUT;
  for (int i = 0; i < 3 && s != IMPCERT_SESSION_OK; i++)
    if ((s = impcert_cloud_accept(fx, WAIT)) == IMPCERT_SESSION_TIMEOUT)
      break;
  if (s != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not connect after power-on");
  int wake = (int)impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE,
                                 WAIT)->device_state->wake_reason;
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  return wake;
}

/* BOOT-004, WAKE-013: code deployed in step 4 starts at once, with the
** wake reason the boot reported. */
static void deployed_code_starts(impcert_fx *fx) {
  int wake = activate(fx);
  impcert_send_answer(fx, false, CODE_A, false);
  expect_started(fx, CODE_A, wake, "after the deployment");
}

/* BOOT-005, WAKE-001, WAKE-013: after a power cycle a match starts the
** stored code, with WAKEREASON_POWER_ON. */
static void match_starts_stored_code(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, CODE_A, false);
  expect_started(fx, CODE_A, IMPCERT_WAKEREASON_BLINKUP, "after deployment");
  int wake = cold_boot(fx);
  IMPCERT_CHECK(fx, wake == IMPCERT_WAKEREASON_POWER_ON);
  impcert_send_answer(fx, true, NULL, false);
  expect_started(fx, CODE_A, wake, "after a match at the next boot");
}

/* BOOT-027: code deployed while the device was off starts at its next
** session instead of the stored code. */
static void offline_code_starts(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, CODE_A, false);
  expect_started(fx, CODE_A, IMPCERT_WAKEREASON_BLINKUP, "after deployment");
  int wake = cold_boot(fx);
  impcert_send_answer(fx, false, CODE_B, false);
  expect_started(fx, CODE_B, wake, "after code deployed while offline");
}

/* BOOT-013: Activated: No Squirrel starts nothing, at this boot or the
** next. */
static void no_code_starts_nothing(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, NULL, false);
  expect_nothing_starts(fx, "on a device that was sent no code");
  cold_boot(fx);
  impcert_send_answer(fx, false, NULL, false);
  expect_nothing_starts(fx, "at the next boot of a device with no code");
}

/* BOOT-006: code sent together with erase_credentials never runs. */
static void erase_runs_nothing(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, false);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, CODE_A, true);
  expect_nothing_starts(fx, "from an answer that erased the credentials");
}

/* BOOT-026, WAKE-006, WAKE-013: a Reload tears the VM down; the code of
** the new step 4 starts with WAKEREASON_NEW_SQUIRREL. */
static void reload_tears_down(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, CODE_A, false);
  expect_started(fx, CODE_A, IMPCERT_WAKEREASON_BLINKUP, "after deployment");
  impcert_send_reload(fx);
  const Impjig__AppState *a = next_app(fx, WAIT);
  IMPCERT_CHECK_MSG(fx, a && !a->running,
                    "the VM was not torn down on the Reload");
  int wake = (int)impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE,
                                 WAIT)->device_state->wake_reason;
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  IMPCERT_CHECK(fx, wake == IMPCERT_WAKEREASON_NEW_SQUIRREL);
  impcert_send_answer(fx, false, CODE_B, false);
  expect_started(fx, CODE_B, wake, "after the Reload");
}

/* BOOT-029: a BlinkUp tears the running application down. */
static void blinkup_tears_down(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, CODE_A, false);
  expect_started(fx, CODE_A, IMPCERT_WAKEREASON_BLINKUP, "after deployment");
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  const Impjig__AppState *a = next_app(fx, WAIT);
  IMPCERT_CHECK_MSG(fx, a && !a->running,
                    "the VM was not torn down by a BlinkUp");
}

/* The device's next session (steps 2-3) reports no code. */
static void cold_reconnect_no_code(impcert_fx *fx) {
  static const uint8_t zero[32];
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not reconnect");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, h->sha256.len == 32 &&
                            memcmp(h->sha256.data, zero, 32) == 0,
                    "the device stored code under a wrong hash");
}

/* SEC-004: code under a wrong hash never starts. */
static void refused_code_never_runs(impcert_fx *fx) {
  activate(fx);
  uint8_t wrong[32];
  impcert_sha256(CODE_A, strlen(CODE_A), wrong);
  Impwire__CloudAnswer ans = IMPWIRE__CLOUD_ANSWER__INIT;
  ans.has_code = ans.has_code_hash = 1;
  ans.code.data = (uint8_t *)CODE_EVIL;
  ans.code.len = strlen(CODE_EVIL);
  ans.code_hash.data = wrong;
  ans.code_hash.len = 32;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_CLOUD_ANSWER;
  e.cloud_answer = &ans;
  impcert_send(fx, &e);
  /* the device closes the session and comes back at once, with no code */
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the device kept the session after a wrong hash");
  cold_reconnect_no_code(fx);
  expect_nothing_starts(fx, "from an answer whose hash did not match");
}

static const struct impcert_case cases[] = {
    {"BOOT-004b", "deployed code starts at once with the boot's wake reason",
     "BOOT-004,WAKE-013", "boot,app", "jig,jig-app", 0,
     deployed_code_starts},
    {"BOOT-005b", "after a power cycle a match starts the stored code",
     "BOOT-005,WAKE-001,WAKE-013", "boot,app", "jig,jig-power,jig-app", 0,
     match_starts_stored_code},
    {"BOOT-027b", "code deployed while offline starts at the next session",
     "BOOT-027", "boot,app", "jig,jig-power,jig-app", 0,
     offline_code_starts},
    {"BOOT-013b", "Activated: No Squirrel starts no code", "BOOT-013",
     "boot,app", "jig,jig-power,jig-app", 0, no_code_starts_nothing},
    {"BOOT-006b", "code sent with erase_credentials never runs", "BOOT-006",
     "boot,app", "jig,jig-app", 0, erase_runs_nothing},
    {"BOOT-026b", "a Reload tears the VM down and starts the new code",
     "BOOT-026,WAKE-006,WAKE-013", "boot,app", "jig,jig-app", 0,
     reload_tears_down},
    {"BOOT-029b", "a BlinkUp tears the running application down",
     "BOOT-029", "boot,app", "jig,jig-app", 0, blinkup_tears_down},
    {"SEC-004f", "code under a wrong hash never starts", "SEC-004",
     "security,app", "jig,jig-app", 0, refused_code_never_runs},
};

IMPCERT_PLUGIN("step5", cases)
