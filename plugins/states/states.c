/*
** states.c: conformance tests of the four boot states across sessions and
** power cycles (seeds/003 "The Four States", "Message Sequence", "Further
** Server Messages"), BlinkUp on a device that is already activated, and
** the jig conversation (jig.md "Conversation"). Requirement IDs are those
** of specs/requirements.md.
*/
#include <string.h>
#include <time.h>

#include <impcert/impcert.h>

#define PLAN "plan-0003-states"
#define TOKEN "token-states-31"
#define PLAN2 "plan-0004-moved"
#define TOKEN2 "token-moved-42"
#define CODE_A "server.log(\"code A\");"
#define CODE_B "server.log(\"code B, deployed while offline\");"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */
/* Real time a DUT gets to show what it did when device time moved on (a
** connection it should not open): on a virtual clock the DUT acts right
** after the advance. */
#define SETTLE_MS 300

enum {
  UNACTIVATED = IMPJIG__BOOT_STATE__STATE__UNACTIVATED,
  PENDING = IMPJIG__BOOT_STATE__STATE__PENDING_ACTIVATION,
  NO_CODE = IMPJIG__BOOT_STATE__STATE__ACTIVATED_NO_CODE,
  WITH_CODE = IMPJIG__BOOT_STATE__STATE__ACTIVATED_WITH_CODE
};

static const uint8_t zero_hash[32];

static bool hash_is(const Impwire__CodeHash *h, const uint8_t want[32]) {
  return h->sha256.len == 32 && memcmp(h->sha256.data, want, 32) == 0;
}

static bool hash_of(const Impwire__CodeHash *h, const char *code) {
  uint8_t want[32];
  impcert_sha256(code, strlen(code), want);
  return hash_is(h, want);
}

/* True when the DUT opens no session within ms of device time (plus
** SETTLE_MS of real time): a clock advance on a virtual clock, so every
** later device-time wait of the test must be one too. */
static bool no_session_within(impcert_fx *fx, uint64_t ms) {
  impcert_device_wait(fx, ms);
  return impcert_cloud_accept(fx, SETTLE_MS) == IMPCERT_SESSION_TIMEOUT;
}

/* The first frame of a session that is not a Log, or NULL. */
static const Impwire__Envelope *first_frame(impcert_fx *fx) {
  const Impwire__Envelope *e;
  do
    e = impcert_next_frame(fx, WAIT);
  while (e && e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG);
  return e;
}

/* Accept the device's next session. A connection the device opened before
** a power cut may still wait in the listen queue; it fails at once and the
** next one is taken. */
static void accept_or_fail(impcert_fx *fx, const char *when) {
  enum impcert_session s = IMPCERT_SESSION_TIMEOUT;
  for (int i = 0; i < 3 && s != IMPCERT_SESSION_OK; i++)
    if ((s = impcert_cloud_accept(fx, WAIT)) == IMPCERT_SESSION_TIMEOUT)
      break;
  if (s != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not connect %s", when);
}

/* Send new code with a Reload behind it: the Reload's CodeHash shows the
** code was taken (frames are handled in order) before any power cut. */
static void deploy_and_confirm(impcert_fx *fx, const char *code) {
  impcert_send_answer(fx, false, code, false);
  impcert_send_reload(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, hash_of(h, code),
                    "after new code and a Reload the device reports another "
                    "hash");
  impcert_send_answer(fx, true, NULL, false);
}

/* Power on a fresh device, BlinkUp, accept; the session is up. */
static void blinkup_and_connect(impcert_fx *fx, const char *plan,
                                const char *token) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", plan, token);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
}

/* Steps 1-3 with a successful activation. */
static void activate(impcert_fx *fx) {
  blinkup_and_connect(fx, PLAN, TOKEN);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
}

/* Power-cycle an activated device and read steps 2 and 3; returns the
** CodeHash. */
static const Impwire__CodeHash *cold_boot(impcert_fx *fx, int *wake) {
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  accept_or_fail(fx, "after power-on");
  const Impwire__Envelope *e = first_frame(fx);
  if (!e || e->msg_case != IMPWIRE__ENVELOPE__MSG_DEVICE_STATE)
    IMPCERT_FAIL_NOW(fx, "an activated device must open a session with "
                         "DeviceState (got %s)",
                     !e ? "nothing"
                     : e->msg_case == IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST
                         ? "ActivationRequest"
                         : "another message");
  if (wake)
    *wake = (int)e->device_state->wake_reason;
  return impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)
      ->code_hash;
}

/* BOOT-009: once activated, no ActivationRequest in any later session. */
static void activation_remembered(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, NULL, false);
  /* a lost session: the device reconnects on its own */
  impcert_cloud_close(fx);
  accept_or_fail(fx, "after the cloud closed the session");
  const Impwire__Envelope *e = first_frame(fx);
  IMPCERT_REQUIRE(fx, e != NULL);
  IMPCERT_CHECK_MSG(fx, e->msg_case == IMPWIRE__ENVELOPE__MSG_DEVICE_STATE,
                    "after a lost session an activated device must start "
                    "at step 2 (DeviceState), not ask for activation again");
  for (int i = 0; i < 2; i++)
    cold_boot(fx, NULL);
}

/* BOOT-010: a refused activation goes on with steps 2 and 3, and the
** device stays Pending Activation (it asks again at the next boot). */
static void refused_activation_continues(impcert_fx *fx) {
  blinkup_and_connect(fx, PLAN, TOKEN);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, false);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_BLINKUP,
                    "wake reason %u, not WAKEREASON_BLINKUP",
                    s->wake_reason);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK(fx, hash_is(h, zero_hash));
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(fx, PENDING, 1000),
                    "a device whose activation was refused must still be "
                    "Pending Activation");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  accept_or_fail(fx, "after power-on");
  const Impwire__Envelope *e = first_frame(fx);
  IMPCERT_REQUIRE(fx, e != NULL);
  IMPCERT_CHECK_MSG(fx,
                    e->msg_case == IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST,
                    "a device whose activation was refused must ask again "
                    "at its next boot");
}

/* BOOT-011: BlinkUp on an Unactivated device: Pending Activation, then a
** connection carrying what BlinkUp delivered. */
static void blinkup_enters_pending(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(fx, UNACTIVATED, WAIT));
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(fx, PENDING, WAIT),
                    "BlinkUp did not move the device to Pending Activation");
  accept_or_fail(fx, "after BlinkUp");
  const Impwire__Envelope *e =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  IMPCERT_CHECK(fx, strcmp(e->activation_request->plan_id, PLAN) == 0);
  IMPCERT_CHECK(fx,
                strcmp(e->activation_request->enrollment_token, TOKEN) == 0);
}

/* BOOT-012, STORE-025: Pending Activation survives a power cut before the
** device reached the cloud. */
static void pending_survives_power_loss(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(fx, PENDING, WAIT));
  /* No session accepted: the device has not reached the cloud. */
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(fx, PENDING, WAIT),
                    "after the power cut the device is not Pending "
                    "Activation");
  accept_or_fail(fx, "after the power cut");
  const Impwire__Envelope *e =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  IMPCERT_CHECK(fx, strcmp(e->activation_request->plan_id, PLAN) == 0);
  IMPCERT_CHECK(fx,
                strcmp(e->activation_request->enrollment_token, TOKEN) == 0);
}

/* BOOT-013: Activated: No Squirrel connects at every cold boot. */
static void no_code_connects_every_boot(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, NULL, false);
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(fx, NO_CODE, WAIT),
                    "an activated device without code is not in Activated: "
                    "No Squirrel");
  for (int boot = 0; boot < 3; boot++) {
    const Impwire__CodeHash *h = cold_boot(fx, NULL);
    IMPCERT_CHECK_MSG(fx, hash_is(h, zero_hash),
                      "boot %d: a device with no code must report a zero "
                      "hash", boot + 2);
    impcert_send_answer(fx, false, NULL, false);
  }
}

/* BOOT-026: a Reload goes back to step 2 on the same session and the code
** of step 4 is the one kept. */
static void reload_same_session(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, CODE_A, false);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(fx, WITH_CODE, WAIT));
  int port = impcert_cloud_session_port(fx);
  impcert_send_reload(fx);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK(fx, s->wake_reason == IMPCERT_WAKEREASON_NEW_SQUIRREL);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, hash_of(h, CODE_A),
                    "after a reload the device must report the code it runs");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_session_port(fx) == port,
                    "the reload did not stay on the same session");
  deploy_and_confirm(fx, CODE_B);
  h = cold_boot(fx, NULL);
  IMPCERT_CHECK_MSG(fx, hash_of(h, CODE_B),
                    "the code sent after the reload was not kept");
}

/* BOOT-027: code deployed while the device was off arrives when it next
** connects. */
static void offline_device_gets_code(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, CODE_A, false);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(fx, WITH_CODE, WAIT));
  impcert_dut_power_off(fx);
  /* ... CODE_B is deployed while the device is off ... */
  int wake = -1;
  impcert_dut_power_on(fx);
  accept_or_fail(fx, "after power-on");
  const Impwire__Envelope *e = first_frame(fx);
  IMPCERT_REQUIRE(fx, e && e->msg_case == IMPWIRE__ENVELOPE__MSG_DEVICE_STATE);
  wake = (int)e->device_state->wake_reason;
  IMPCERT_CHECK_MSG(fx, wake == IMPCERT_WAKEREASON_POWER_ON,
                    "wake reason %d after power-on", wake);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, hash_of(h, CODE_A), "the old code was not reported");
  deploy_and_confirm(fx, CODE_B);
  h = cold_boot(fx, &wake);
  IMPCERT_CHECK_MSG(fx, hash_of(h, CODE_B),
                    "the code deployed while offline was not kept");
}

/* BOOT-028, BOOT-006: after an erase the device stays off the cloud until
** a new BlinkUp; code sent with the erase is not stored. */
static void erase_then_new_blinkup(impcert_fx *fx) {
  blinkup_and_connect(fx, PLAN, TOKEN);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, false);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, CODE_A, true);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the device kept the session after the erase");
  IMPCERT_CHECK_MSG(fx, no_session_within(fx, 2200),
                    "the device opened a session after the erase");
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN2, TOKEN2);
  accept_or_fail(fx, "after a new BlinkUp");
  const Impwire__Envelope *e =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  IMPCERT_CHECK(fx, strcmp(e->activation_request->plan_id, PLAN2) == 0);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, hash_is(h, zero_hash),
                    "code sent with erase_credentials was stored");
}

/* BOOT-029, WAKE-009: BlinkUp on an activated device stores the new values
** and restarts the connection with WAKEREASON_BLINKUP. */
static void blinkup_when_activated(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, CODE_A, false);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(fx, WITH_CODE, WAIT));
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "other-lab", "other-pass", PLAN2, TOKEN2);
  /* The device may have opened a session before the BlinkUp; the one that
  ** counts carries the new values. */
  for (int tries = 0; tries < 3; tries++) {
    accept_or_fail(fx, "after BlinkUp");
    const Impwire__Envelope *e = first_frame(fx);
    if (!e || (e->msg_case == IMPWIRE__ENVELOPE__MSG_DEVICE_STATE &&
               e->device_state->wake_reason != IMPCERT_WAKEREASON_BLINKUP))
      continue; /* the session of the boot before the BlinkUp */
    IMPCERT_REQUIRE(fx,
                    e->msg_case == IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST);
    IMPCERT_CHECK(fx, strcmp(e->activation_request->plan_id, PLAN2) == 0);
    IMPCERT_CHECK(fx,
                  strcmp(e->activation_request->enrollment_token, TOKEN2) == 0);
    impcert_send_activation_result(fx, true);
    const Impwire__DeviceState *s =
        impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
            ->device_state;
    IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_BLINKUP,
                      "wake reason after BlinkUp is %u, not "
                      "WAKEREASON_BLINKUP", s->wake_reason);
    return;
  }
  IMPCERT_FAIL_NOW(fx, "no session after the BlinkUp asked for activation "
                       "with the new plan ID");
}

/* BOOT-030: Hello, then BootState, then Led. */
static void jig_hello_first(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  const Impjig__JigEnvelope *h =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_HELLO, WAIT);
  IMPCERT_REQUIRE(fx, h != NULL);
  IMPCERT_CHECK_MSG(fx, h->hello->board && h->hello->board[0],
                    "Hello carries no board");
  /* jig_next skips other kinds: a BootState or Led before Hello would be
  ** passed over, and the next one would not come. */
  const Impjig__JigEnvelope *s =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_BOOT_STATE, 2000);
  IMPCERT_REQUIRE(fx, s != NULL);
  IMPCERT_CHECK_MSG(fx, (int)s->boot_state->state == UNACTIVATED,
                    "a factory-fresh device reported state %d",
                    (int)s->boot_state->state);
  const Impjig__JigEnvelope *l =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_LED, 2000);
  IMPCERT_CHECK_MSG(fx, l != NULL, "no Led after Hello and BootState");
  /* After a power cycle the state read from flash is reported. */
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(fx, PENDING, WAIT));
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  IMPCERT_REQUIRE(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_HELLO,
                                       WAIT) != NULL);
  s = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_BOOT_STATE, 2000);
  IMPCERT_REQUIRE(fx, s != NULL);
  IMPCERT_CHECK_MSG(fx, (int)s->boot_state->state == PENDING,
                    "after a power cycle the first BootState is %d, not "
                    "the Pending Activation stored in flash",
                    (int)s->boot_state->state);
}

/* BOOT-031: a LED change is reported: leaving Unactivated ends the orange
** flashing; every Led report is a change. */
static void led_changes_reported(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_led(fx, IMPJIG__LED__COLOUR__ORANGE,
                                           true, WAIT));
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(fx, PENDING, WAIT));
  /* the LED that signals Unactivated must not stay on */
  long long waited = 0;
  const Impjig__Led *led = impcert_jig_led(fx);
  while (led && led->colour == IMPJIG__LED__COLOUR__ORANGE && led->flashing &&
         waited < WAIT) {
    impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_LED, 100);
    waited += 100;
    led = impcert_jig_led(fx);
  }
  IMPCERT_CHECK_MSG(fx, led && !(led->colour == IMPJIG__LED__COLOUR__ORANGE &&
                                 led->flashing),
                    "the LED still flashes orange (Unactivated) after "
                    "BlinkUp");
  accept_or_fail(fx, "after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, NULL, false);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(fx, NO_CODE, WAIT));
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* REG-009: the first Led follows Hello within a second, network or not
** (the device is Pending Activation; the cloud takes its TCP connection
** but never answers the TLS handshake). */
static void first_led_prompt(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  /* Take this boot's Hello off the queue, so that the Hello and Led
  ** looked for below are those of the next boot. */
  IMPCERT_REQUIRE(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_HELLO,
                                       WAIT) != NULL);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(fx, PENDING, WAIT));
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  IMPCERT_REQUIRE(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_HELLO,
                                       WAIT) != NULL);
  long long t0 = mono_ms();
  const Impjig__JigEnvelope *l =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_LED, 1000);
  IMPCERT_CHECK_MSG(fx, l != NULL,
                    "no Led within 1 s of Hello (waited %lld ms)",
                    mono_ms() - t0);
}

/* REG-013: malformed and repeated BlinkUps do not crash the device; the
** last good one counts. */
static void bad_and_repeated_blinkups(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(fx, UNACTIVATED, WAIT));
  /* empty plan ID and token: nothing to activate with */
  impcert_jig_blinkup(fx, NULL, NULL, "", "");
  impcert_jig_blinkup(fx, "", "", PLAN, "");
  IMPCERT_CHECK_MSG(fx, no_session_within(fx, 1200),
                    "a BlinkUp without plan ID or token made the device "
                    "connect");
  IMPCERT_CHECK_MSG(fx, impcert_dut_running(fx),
                    "the device died on a malformed BlinkUp");
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(fx, UNACTIVATED, 100),
                    "a malformed BlinkUp changed the boot state");
  for (int i = 0; i < 4; i++)
    impcert_jig_blinkup(fx, "impcert-lab", "secret-pass",
                        i < 3 ? PLAN : PLAN2, i < 3 ? TOKEN : TOKEN2);
  /* Sessions may come from the earlier BlinkUps; the last must carry the
  ** values of the last BlinkUp. */
  const Impwire__Envelope *e = NULL;
  for (int tries = 0; tries < 5; tries++) {
    accept_or_fail(fx, "after repeated BlinkUps");
    e = first_frame(fx);
    if (e && e->msg_case == IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST &&
        strcmp(e->activation_request->plan_id, PLAN2) == 0)
      break;
  }
  IMPCERT_REQUIRE(fx, e && e->msg_case ==
                               IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST);
  IMPCERT_CHECK_MSG(fx, strcmp(e->activation_request->plan_id, PLAN2) == 0,
                    "the last BlinkUp's plan ID was not used");
  IMPCERT_CHECK(fx,
                strcmp(e->activation_request->enrollment_token, TOKEN2) == 0);
  IMPCERT_CHECK(fx, impcert_dut_running(fx));
}

static const struct impcert_case cases[] = {
    {"BOOT-009", "an activated device never asks for activation again",
     "BOOT-009", "boot", "jig,jig-power", 0, activation_remembered},
    {"BOOT-010", "a refused activation goes on with DeviceState and CodeHash",
     "BOOT-010,BOOT-008", "boot", "jig,jig-power", 0,
     refused_activation_continues},
    {"BOOT-011", "BlinkUp enters Pending Activation and connects",
     "BOOT-011,BOOT-008", "boot", "jig", 0, blinkup_enters_pending},
    {"BOOT-012", "Pending Activation survives a power cut before the cloud",
     "BOOT-012,STORE-025", "boot", "jig,jig-power", 0,
     pending_survives_power_loss},
    {"BOOT-013", "Activated: No Squirrel connects at every cold boot",
     "BOOT-013,BOOT-008", "boot", "jig,jig-power", 0,
     no_code_connects_every_boot},
    {"BOOT-026", "a Reload returns to step 2 on the same session",
     "BOOT-026,WAKE-006", "boot", "jig,jig-power", 0, reload_same_session},
    {"BOOT-027", "code deployed while offline arrives at the next session",
     "BOOT-027,WAKE-001", "boot", "jig,jig-power", 0,
     offline_device_gets_code},
    {"BOOT-028", "after an erase only a new BlinkUp brings the device back",
     "BOOT-028,BOOT-006", "boot", "jig", 0, erase_then_new_blinkup},
    {"BOOT-029", "BlinkUp on an activated device restarts with new values",
     "BOOT-029,WAKE-009", "boot", "jig,jig-power", 0,
     blinkup_when_activated},
    {"BOOT-030", "jig conversation: Hello, then BootState from flash, Led",
     "BOOT-030", "boot,jig", "jig,jig-power", 0, jig_hello_first},
    {"BOOT-031", "leaving Unactivated ends the orange LED, reported as Led",
     "BOOT-031", "boot,jig", "jig", 0, led_changes_reported},
    {"REG-009", "impOS 38: the first Led comes within 1 s, network or not",
     "REG-009", "regress,jig", "jig,jig-power", 0, first_led_prompt},
    {"REG-013", "impOS 38: malformed and repeated BlinkUps do not crash",
     "REG-013", "regress,jig", "jig", 0, bad_and_repeated_blinkups},
};

IMPCERT_PLUGIN("states", cases)
