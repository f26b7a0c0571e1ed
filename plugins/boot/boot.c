/*
** boot.c: conformance tests of the boot conversation (seeds/003, "Message
** Sequence"), the four boot states, TLS checks and framing robustness.
** Requirement IDs are those of specs/requirements.md.
*/
#include <stdio.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0001-impcert"
#define TOKEN "token-5f2e9c1a"
#define CODE "server.log(\"hello from impcert\");"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */
/* Real time a DUT gets to show what it did when device time moved on (a
** connection it should not open, a session it should not close): on a
** virtual clock the DUT acts right after the advance. */
#define SETTLE_MS 300

static const uint8_t zero_hash[32];

/* Power on, BlinkUp and accept the first session; returns with the TLS
** session up and nothing read. A DUT that never connects is an error:
** nothing after it can be judged. */
static void blinkup_and_connect(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
}

/* Steps 1-3 with a successful activation; returns the CodeHash. */
static const Impwire__CodeHash *activate(impcert_fx *fx) {
  blinkup_and_connect(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  return impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
}

/* Power-cycle and run steps 2-3 of the next cold boot. */
static const Impwire__Envelope *reboot_state(impcert_fx *fx) {
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "an activated DUT did not connect after power-on");
  return impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
}

static bool hash_is(const Impwire__CodeHash *h, const uint8_t want[32]) {
  return h->sha256.len == 32 && memcmp(h->sha256.data, want, 32) == 0;
}

/* True when the DUT opens no session within ms of device time (plus
** SETTLE_MS of real time): a clock advance on a virtual clock, so every
** later device-time wait of the test must be one too. */
static bool no_session_within(impcert_fx *fx, uint64_t ms) {
  impcert_device_wait(fx, ms);
  return impcert_cloud_accept(fx, SETTLE_MS) == IMPCERT_SESSION_TIMEOUT;
}

/* True when the DUT keeps its session through ms of device time (plus
** SETTLE_MS of real time). */
static bool session_kept_for(impcert_fx *fx, uint64_t ms) {
  impcert_device_wait(fx, ms);
  return !impcert_cloud_wait_closed(fx, SETTLE_MS);
}

static bool all_hex(const char *s, size_t n) {
  if (strlen(s) != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!strchr("0123456789abcdef", s[i]))
      return false;
  return true;
}

/* BOOT-001: Pending Activation sends the BlinkUp credentials first. */
static void activation_request(impcert_fx *fx) {
  blinkup_and_connect(fx);
  const Impwire__Envelope *e =
      impcert_next_frame(fx, WAIT);
  IMPCERT_REQUIRE(fx, e != NULL);
  IMPCERT_CHECK_MSG(fx, e->msg_case == IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST,
                    "the first frame must be ActivationRequest");
  if (e->msg_case != IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST)
    return;
  IMPCERT_CHECK(fx, strcmp(e->activation_request->plan_id, PLAN) == 0);
  IMPCERT_CHECK(fx,
                strcmp(e->activation_request->enrollment_token, TOKEN) == 0);
}

/* BOOT-002, WAKE-009: the device state after BlinkUp. */
static void device_state(impcert_fx *fx) {
  blinkup_and_connect(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, all_hex(s->mac, 12), "mac '%s' is not 12 hex digits",
                    s->mac);
  IMPCERT_CHECK_MSG(fx, all_hex(s->device_id, 16),
                    "device_id '%s' is not 16 hex digits", s->device_id);
  IMPCERT_CHECK_MSG(fx, s->imp_type[0] == 'i' && s->imp_type[1] == 'm' &&
                            s->imp_type[2] == 'p',
                    "imp_type '%s' is not an imp type", s->imp_type);
  IMPCERT_CHECK(fx, s->os_version[0] != '\0');
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_BLINKUP,
                    "wake reason after BlinkUp is %u, not "
                    "WAKEREASON_BLINKUP (%d)",
                    s->wake_reason, IMPCERT_WAKEREASON_BLINKUP);
}

/* BOOT-003: no code yet means a hash of 32 zero bytes. */
static void empty_hash(impcert_fx *fx) {
  const Impwire__CodeHash *h = activate(fx);
  IMPCERT_CHECK_MSG(fx, hash_is(h, zero_hash),
                    "a device with no code must send 32 zero bytes "
                    "(got %zu bytes)", h->sha256.len);
}

/* BOOT-004, WAKE-001: deployed code is stored and its hash reported. */
static void deploy_stores_code(impcert_fx *fx) {
  uint8_t want[32];
  impcert_sha256(CODE, strlen(CODE), want);
  activate(fx);
  impcert_send_answer(fx, false, CODE, false);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(
                          fx, IMPJIG__BOOT_STATE__STATE__ACTIVATED_WITH_CODE,
                          WAIT));
  const Impwire__DeviceState *s = reboot_state(fx)->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_POWER_ON,
                    "wake reason after power-on is %u, not "
                    "WAKEREASON_POWER_ON", s->wake_reason);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, hash_is(h, want),
                    "after a deployment the device must report the SHA-256 "
                    "the cloud sent");
}

/* BOOT-005: unchanged code: same hash on every boot, "match" needs no code. */
static void match_keeps_code(impcert_fx *fx) {
  uint8_t want[32];
  impcert_sha256(CODE, strlen(CODE), want);
  activate(fx);
  impcert_send_answer(fx, false, CODE, false);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(
                          fx, IMPJIG__BOOT_STATE__STATE__ACTIVATED_WITH_CODE,
                          WAIT));
  for (int boot = 0; boot < 2; boot++) {
    reboot_state(fx);
    const Impwire__CodeHash *h =
        impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
    IMPCERT_CHECK_MSG(fx, hash_is(h, want),
                      "boot %d after deployment reported another hash",
                      boot + 2);
    impcert_send_answer(fx, true, NULL, false);
    IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(
                              fx, IMPJIG__BOOT_STATE__STATE__ACTIVATED_WITH_CODE,
                              WAIT),
                      "a matched device must be Activated with code");
  }
  IMPCERT_CHECK_MSG(fx, session_kept_for(fx, 200),
                    "the device closed the session after a match");
}

/* BOOT-006: a rejected device erases its credentials and stops. */
static void erase_credentials(impcert_fx *fx) {
  blinkup_and_connect(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, false);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, CODE, true);
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(
                            fx, IMPJIG__BOOT_STATE__STATE__UNACTIVATED, WAIT),
                    "the device did not return to Unactivated");
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_led(fx, IMPJIG__LED__COLOUR__ORANGE,
                                              true, WAIT),
                    "an Unactivated device must flash its LED orange");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the device kept the session open after the erase");
  /* Credentials are gone for good: after a power cycle it stays put. */
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(
                            fx, IMPJIG__BOOT_STATE__STATE__UNACTIVATED, WAIT),
                    "after a power cycle the device is not Unactivated");
  IMPCERT_CHECK_MSG(fx, no_session_within(fx, 1200),
                    "an erased device connected to the cloud");
}

/* BOOT-007: a factory-fresh device flashes orange and does not connect. */
static void unactivated_waits(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(
                          fx, IMPJIG__BOOT_STATE__STATE__UNACTIVATED, WAIT));
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_LED, WAIT);
  IMPCERT_REQUIRE(fx, e != NULL);
  IMPCERT_CHECK(fx, e->led->colour == IMPJIG__LED__COLOUR__ORANGE);
  IMPCERT_CHECK(fx, e->led->flashing);
  IMPCERT_CHECK_MSG(fx, no_session_within(fx, 1200),
                    "an Unactivated device connected to the cloud");
}

/* SEC-001: a server whose certificate the factory CA did not sign gets no
** application data; the device then reaches the genuine server. */
static void rogue_ca_refused(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_cloud_use_cert(fx, IMPCERT_CERT_ROGUE);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  enum impcert_session s = impcert_cloud_accept(fx, WAIT);
  IMPCERT_CHECK_MSG(fx, s == IMPCERT_SESSION_REFUSED,
                    "the device accepted a certificate from an unknown CA "
                    "(session result %d)", (int)s);
  if (s == IMPCERT_SESSION_OK)
    IMPCERT_CHECK_MSG(fx, impcert_next_frame(fx, 1000) == NULL,
                      "the device sent data to an unverified server");
  impcert_cloud_use_cert(fx, IMPCERT_CERT_GOOD);
  IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
}

/* SEC-002: the device names the server it wants (SNI). */
static void sends_sni(impcert_fx *fx) {
  blinkup_and_connect(fx);
  const char *sni = impcert_cloud_sni(fx);
  IMPCERT_CHECK_MSG(fx, sni && strcmp(sni, "cloud.impcert.test") == 0,
                    "SNI was '%s', expected the provisioned host name "
                    "'cloud.impcert.test'", sni ? sni : "(none)");
}

/* SEC-003: a certificate from the right CA for another name is refused. */
static void wrong_name_refused(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_cloud_use_cert(fx, IMPCERT_CERT_WRONG_NAME);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  enum impcert_session s = impcert_cloud_accept(fx, WAIT);
  IMPCERT_CHECK_MSG(fx, s == IMPCERT_SESSION_REFUSED,
                    "the device accepted a certificate for another host "
                    "name (session result %d)", (int)s);
}

/* SEC-004: code whose hash does not match is refused; old code kept. */
static void bad_code_hash(impcert_fx *fx) {
  activate(fx);
  uint8_t wrong[32];
  impcert_sha256("something else", 14, wrong);
  Impwire__CloudAnswer a = IMPWIRE__CLOUD_ANSWER__INIT;
  a.has_code = a.has_code_hash = 1;
  a.code.data = (uint8_t *)CODE;
  a.code.len = strlen(CODE);
  a.code_hash.data = wrong;
  a.code_hash.len = 32;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_CLOUD_ANSWER;
  e.cloud_answer = &a;
  impcert_send(fx, &e);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the device kept the session after a bad code hash");
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not reconnect");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, hash_is(h, zero_hash),
                    "the device stored code whose hash did not match");
}

/* After bad input the device closes the session, lives, and reconnects. */
static void closes_and_recovers(impcert_fx *fx, const char *what) {
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the device did not close the session on %s", what);
  IMPCERT_CHECK_MSG(fx, impcert_dut_running(fx), "the device died");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK,
                    "the device did not reconnect after %s", what);
}

/* WIRE-002: a length over the maximum closes the session; no crash. */
static void oversized_frame(impcert_fx *fx) {
  activate(fx);
  uint32_t n = IMPCERT_WIRE_MAX_FRAME + 1;
  uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                    (uint8_t)n};
  impcert_send_raw(fx, hdr, sizeof hdr);
  closes_and_recovers(fx, "an oversized frame");
}

/* WIRE-003: a frame that is not an Envelope closes the session; no crash. */
static void garbage_frame(impcert_fx *fx) {
  activate(fx);
  static const uint8_t junk[] = {0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  impcert_send_raw(fx, junk, sizeof junk);
  closes_and_recovers(fx, "a garbage frame");
}

/* BOOT-008, WAKE-006: a reload goes back to step 2 with NEW_SQUIRREL. */
static void reload_restarts(impcert_fx *fx) {
  activate(fx);
  impcert_send_answer(fx, false, CODE, false);
  impcert_send_reload(fx);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_NEW_SQUIRREL,
                    "wake reason after a reload is %u, not "
                    "WAKEREASON_NEW_SQUIRREL", s->wake_reason);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
}

/* ---- device time (virtual clock) ------------------------------------------ */

/* NET-004, CAP-006: after every port failed, the retry comes after exactly
** one second of device time, from the first port. */
static void backoff_exact(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_clock_advance(fx, 0); /* device time stands still from here */
  impcert_cloud_use_cert(fx, IMPCERT_CERT_ROGUE);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  for (int i = 0; i < 3; i++)
    IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) ==
                            IMPCERT_SESSION_REFUSED);
  /* over a second of real time: a device timing its back-off in real
  ** time, not by the virtual clock, retries within it */
  IMPCERT_CHECK_MSG(fx, impcert_cloud_accept(fx, 1100) ==
                            IMPCERT_SESSION_TIMEOUT,
                    "the device retried while device time stood still");
  impcert_clock_advance(fx, 999);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_accept(fx, SETTLE_MS) ==
                            IMPCERT_SESSION_TIMEOUT,
                    "the device retried after 999 ms of device time");
  impcert_cloud_use_cert(fx, IMPCERT_CERT_GOOD);
  impcert_clock_advance(fx, 1);
  IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_session_port(fx) == 0,
                    "the retry began at port index %d, not the first",
                    impcert_cloud_session_port(fx));
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
}

/* Deploy CODE with the clock taken, wait until it runs, power-cycle and
** read steps 2-3 of the cold boot; the cloud then stays silent. */
static void deploy_then_cold_boot(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_clock_advance(fx, 0);
  activate(fx);
  impcert_send_answer(fx, false, CODE, false);
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT);
  IMPCERT_REQUIRE(fx, e && e->app_state->running);
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "an activated DUT did not connect after power-on");
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK(fx, s->wake_reason == IMPCERT_WAKEREASON_POWER_ON);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
}

/* BOOT-015: the cloud never answers: the stored code starts ten seconds
** of device time after the device began to connect, and not sooner. */
static void ten_second_rule(impcert_fx *fx) {
  uint8_t want[32];
  impcert_sha256(CODE, strlen(CODE), want);
  deploy_then_cold_boot(fx);
  impcert_clock_advance(fx, 9999);
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE,
                                         SETTLE_MS) == NULL,
                    "the code started before ten seconds of device time");
  impcert_clock_advance(fx, 1);
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT);
  IMPCERT_REQUIRE(fx, e != NULL);
  IMPCERT_CHECK(fx, e->app_state->running);
  IMPCERT_CHECK_MSG(fx, e->app_state->has_sha256 &&
                            e->app_state->sha256.len == 32 &&
                            memcmp(e->app_state->sha256.data, want, 32) == 0,
                    "the code that started is not the stored code");
}

/* BOOT-014: the answer comes after two seconds: the code starts on it,
** not before, and the 10-second mark does not start it again. */
static void answer_before_ten_seconds(impcert_fx *fx) {
  deploy_then_cold_boot(fx);
  impcert_clock_advance(fx, 2000);
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE,
                                         SETTLE_MS) == NULL,
                    "the code started before the cloud's answer");
  impcert_send_answer(fx, true, NULL, false);
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT);
  IMPCERT_REQUIRE(fx, e != NULL);
  IMPCERT_CHECK(fx, e->app_state->running);
  impcert_clock_advance(fx, 10000);
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE,
                                         SETTLE_MS) == NULL,
                    "the code was stopped or restarted at the 10-second mark");
}

/* The code of the deep-sleep test: the first run keeps 7 in nv and
** sleeps 5 s; the timer wake asks for a session and logs what nv held. */
#define SLEEPER                                                          \
  "if (hardware.wakereason() == WAKEREASON_TIMER) {\n"                   \
  "  server.connect(); /* SUSPEND_ON_ERROR: blocks [NET-011] */\n"         \
  "  server.log(\"woke \" + nv.n);\n"                                      \
  "} else {\n"                                                            \
  "  nv <- {n = 7};\n"                                                     \
  "  server.sleepfor(5);\n"                                                \
  "}\n"

/* WAKE-002, WAKE-016, WAKE-019, BOOT-016, BOOT-017, STORE-001: deep sleep
** closes the session; the timer wake comes after exactly 5 s of device
** time, starts the code at once with WAKEREASON_TIMER and nv kept, and
** connects only when the code asks, at step 2, keeping the code running. */
static void deep_sleep_warm_boot(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_clock_advance(fx, 0);
  activate(fx);
  impcert_send_answer(fx, false, SLEEPER, false);
  IMPCERT_REQUIRE(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP,
                                       WAIT) != NULL);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the session stayed open into deep sleep");
  impcert_clock_advance(fx, 4999);
  IMPCERT_CHECK_MSG(fx, impcert_dut_asleep(fx) && !impcert_dut_running(fx),
                    "the device woke before 5 s of device time");
  impcert_clock_advance(fx, 1);
  IMPCERT_REQUIRE(fx, impcert_dut_running(fx));
  const Impjig__JigEnvelope *e;
  while ((e = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE,
                               WAIT)) && !e->app_state->running) {
  }
  IMPCERT_REQUIRE(fx, e != NULL);
  IMPCERT_CHECK_MSG(fx, e->app_state->wake_reason ==
                            IMPCERT_WAKEREASON_TIMER,
                    "the warm boot ran the code with wake reason %u",
                    e->app_state->wake_reason);
  IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_TIMER,
                    "DeviceState after the timer wake has wake reason %u",
                    s->wake_reason);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  const Impwire__Envelope *log =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_LOG, WAIT);
  IMPCERT_CHECK_MSG(fx, strcmp(log->log->text, "woke 7") == 0,
                    "the code logged '%s', expected nv kept: 'woke 7'",
                    log->log->text);
}

/* WAKE-005: with the wake pin armed, a long sleep ends when the jig
** drives the pin: the warm boot reports WAKEREASON_PIN. */
static void wake_pin(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_clock_advance(fx, 0);
  activate(fx);
  impcert_send_answer(fx, false,
                      "if (hardware.wakereason() == WAKEREASON_PIN) {\n"
                      "  server.log(\"pin\");\n"
                      "} else {\n"
                      "  hardware.pin1.configure(DIGITAL_IN_WAKEUP);\n"
                      "  imp.deepsleepfor(3600);\n"
                      "}\n",
                      false);
  IMPCERT_REQUIRE(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP,
                                       WAIT) != NULL);
  impcert_clock_advance(fx, 1000);
  IMPCERT_CHECK(fx, impcert_dut_asleep(fx));
  IMPCERT_REQUIRE(fx, impcert_dut_wake_pin(fx) == 0);
  IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_PIN,
                    "wake reason after the wake pin is %u, not "
                    "WAKEREASON_PIN", s->wake_reason);
}

static const struct impcert_case cases[] = {
    {"BOOT-001", "Pending Activation sends plan ID and enrollment token",
     "BOOT-001", "boot,smoke", "jig", 0, activation_request},
    {"BOOT-002", "device state carries identity and WAKEREASON_BLINKUP",
     "BOOT-002,WAKE-009", "boot", "jig", 0, device_state},
    {"BOOT-003", "no code: the code hash is 32 zero bytes", "BOOT-003",
     "boot,smoke", "jig", 0, empty_hash},
    {"BOOT-004", "deployed code is stored and its SHA-256 reported",
     "BOOT-004,WAKE-001", "boot", "jig,jig-power", 0, deploy_stores_code},
    {"BOOT-005", "unchanged code survives reboots and a match needs no code",
     "BOOT-005", "boot", "jig,jig-power", 0, match_keeps_code},
    {"BOOT-006", "erase-credentials returns the device to Unactivated",
     "BOOT-006,BOOT-007", "boot", "jig,jig-power", 0, erase_credentials},
    {"BOOT-007", "an Unactivated device flashes orange and stays offline",
     "BOOT-007,BOOT-008", "boot", "jig", 0, unactivated_waits},
    {"BOOT-008", "a reload restarts at step 2 with WAKEREASON_NEW_SQUIRREL",
     "BOOT-008,WAKE-006", "boot", "jig", 0, reload_restarts},
    {"SEC-001", "a server the factory CA did not sign is refused", "SEC-001",
     "security,tls", "jig", 0, rogue_ca_refused},
    {"SEC-002", "the device sends the server host name as SNI", "SEC-002",
     "security,tls", "jig", 0, sends_sni},
    {"SEC-003", "a certificate for another host name is refused", "SEC-003",
     "security,tls", "jig", 0, wrong_name_refused},
    {"SEC-004", "code whose hash does not match is refused", "SEC-004",
     "security", "jig", 0, bad_code_hash},
    {"WIRE-002", "an oversized frame closes the session, device survives",
     "WIRE-002", "wire,robustness", "jig", 0, oversized_frame},
    {"WIRE-003", "an undecodable frame closes the session, device survives",
     "WIRE-003", "wire,robustness", "jig", 0, garbage_frame},
    {"TIME-001", "the port retry comes after exactly 1 s of device time",
     "NET-004,CAP-006", "time,net", "jig,virtual-clock", 0, backoff_exact},
    {"TIME-002", "cold boot, silent cloud: stored code starts at 10 s",
     "BOOT-015", "time,boot", "jig,jig-power,jig-app,virtual-clock", 0,
     ten_second_rule},
    {"TIME-003", "cold boot: stored code starts on the cloud's answer",
     "BOOT-014", "time,boot", "jig,jig-power,jig-app,virtual-clock", 0,
     answer_before_ten_seconds},
    {"TIME-004", "deep sleep, timer wake: warm boot with nv, connect on ask",
     "WAKE-002,WAKE-016,WAKE-019,BOOT-016,BOOT-017,STORE-001", "time,sleep",
     "jig,jig-power,jig-app,squirrel,virtual-clock", 0,
     deep_sleep_warm_boot},
    {"TIME-005", "the wake pin ends a deep sleep: WAKEREASON_PIN", "WAKE-005",
     "time,sleep", "jig,jig-power,squirrel,virtual-clock", 0, wake_pin},
};

IMPCERT_PLUGIN("boot", cases)
