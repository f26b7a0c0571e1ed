/*
** osupd.c: conformance tests of impOS updates (seeds/002, seeds/003
** "Polite impOS Deployment"): NewOs with an image is verified, installed
** with a cold restart and WAKEREASON_NEW_FIRMWARE; a bad image is refused;
** a shutdown handler defers the update until server.restart() or a power
** cycle. Requirement IDs are those of specs/requirements.md.
*/
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0001-impcert"
#define TOKEN "token-5f2e9c1a"
#define WAIT 8000
/* Real time a DUT gets to show what it did when device time moved on (a
** session it should not close): on a virtual clock the DUT acts right
** after the advance. */
#define SETTLE_MS 300

/* True when the DUT keeps its session through ms of device time (plus
** SETTLE_MS of real time): a clock advance on a virtual clock, so every
** later device-time wait of the test must be one too. */
static bool session_kept_for(impcert_fx *fx, uint64_t ms) {
  impcert_device_wait(fx, ms);
  return !impcert_cloud_wait_closed(fx, SETTLE_MS);
}
#define NEW_VERSION "38.9 impcert-update"
#define IMAGE "impcert OS image: any bytes stand for the new impOS"
#define CODE "server.log(\"hello from impcert\");"
/* A shutdown handler that only logs its reason: it defers the update. */
#define POLITE \
  "server.onshutdown(function(reason) { server.log(\"shutdown \" + reason); });"

/* Power on, BlinkUp, activate, deploy code (step 4): online, code runs. */
static void online_with(impcert_fx *fx, const char *code) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
}

/* Offer NEW_VERSION with IMAGE; a wrong hash when bad_hash. */
static void offer(impcert_fx *fx, bool bad_hash) {
  uint8_t h[32];
  impcert_sha256(IMAGE, strlen(IMAGE), h);
  if (bad_hash)
    h[0] ^= 0xff;
  Impwire__NewOs n = IMPWIRE__NEW_OS__INIT;
  n.version = NEW_VERSION;
  n.has_image = n.has_sha256 = 1;
  n.image.data = (uint8_t *)IMAGE;
  n.image.len = strlen(IMAGE);
  n.sha256.data = h;
  n.sha256.len = 32;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_NEW_OS;
  e.new_os = &n;
  impcert_send(fx, &e);
}

/* The next session's DeviceState (and its CodeHash, checked against the
** deployed code). */
static const Impwire__DeviceState *next_boot(impcert_fx *fx,
                                             const char *code) {
  uint8_t want[32];
  impcert_sha256(code, strlen(code), want);
  IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, h->sha256.len == 32 &&
                            memcmp(h->sha256.data, want, 32) == 0,
                    "the application code did not survive the update");
  return s;
}

/* OSUPD-001, OSUPD-003, OSUPD-004, WAKE-008: no handler: installed at
** once, cold restart, new version and NEW_FIRMWARE reported, code kept. */
static void installs_at_once(impcert_fx *fx) {
  online_with(fx, CODE);
  offer(fx, false);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the device did not restart for the new OS");
  const Impwire__DeviceState *s = next_boot(fx, CODE);
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_NEW_FIRMWARE,
                    "wake reason after the update is %u, not "
                    "WAKEREASON_NEW_FIRMWARE", s->wake_reason);
  IMPCERT_CHECK_MSG(fx, strcmp(s->os_version, NEW_VERSION) == 0,
                    "os_version after the update is '%s'", s->os_version);
  impcert_send_answer(fx, true, NULL, false);
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  s = next_boot(fx, CODE);
  IMPCERT_CHECK_MSG(fx, strcmp(s->os_version, NEW_VERSION) == 0,
                    "after a power cycle os_version is '%s'", s->os_version);
  IMPCERT_CHECK(fx, s->wake_reason == IMPCERT_WAKEREASON_POWER_ON);
}

/* OSUPD-007: an image whose SHA-256 does not match is refused; the old
** OS keeps running (no restart, the old version reported). */
static void bad_image_refused(impcert_fx *fx) {
  online_with(fx, CODE);
  offer(fx, true);
  IMPCERT_CHECK_MSG(fx, session_kept_for(fx, 1200),
                    "the device restarted for an image that failed its "
                    "SHA-256 check");
  impcert_cloud_close(fx);
  const Impwire__DeviceState *s = next_boot(fx, CODE);
  IMPCERT_CHECK_MSG(fx, strcmp(s->os_version, NEW_VERSION) != 0,
                    "the device installed an image that failed its check");
  IMPCERT_CHECK(fx, s->wake_reason != IMPCERT_WAKEREASON_NEW_FIRMWARE);
}

/* POLITE-003, POLITE-012: a shutdown handler defers the update (called
** with SHUTDOWN_NEWFIRMWARE); a power cycle installs it anyway. */
static void power_cycle_installs(impcert_fx *fx) {
  online_with(fx, POLITE);
  offer(fx, false);
  const Impwire__Envelope *log =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_LOG, WAIT);
  IMPCERT_CHECK_MSG(fx, strcmp(log->log->text, "shutdown 2") == 0,
                    "the handler logged '%s', expected 'shutdown 2' "
                    "(SHUTDOWN_NEWFIRMWARE)", log->log->text);
  IMPCERT_CHECK_MSG(fx, session_kept_for(fx, 700),
                    "the device restarted although its handler deferred "
                    "the update");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  const Impwire__DeviceState *s = next_boot(fx, POLITE);
  IMPCERT_CHECK_MSG(fx, strcmp(s->os_version, NEW_VERSION) == 0,
                    "a power cycle did not install the pending update "
                    "(os_version '%s')", s->os_version);
  IMPCERT_CHECK(fx, s->wake_reason == IMPCERT_WAKEREASON_NEW_FIRMWARE);
}

static const struct impcert_case cases[] = {
    {"OSUPD-001", "no shutdown handler: a new OS is installed at once",
     "OSUPD-001,OSUPD-003,OSUPD-004,WAKE-008", "osupd", "jig,jig-power", 0,
     installs_at_once},
    {"OSUPD-007", "an OS image that fails its SHA-256 check is refused",
     "OSUPD-007", "osupd,security", "jig", 0, bad_image_refused},
    {"POLITE-012", "a power cycle installs an update the handler deferred",
     "POLITE-003,POLITE-012", "osupd,polite", "jig,jig-power,squirrel", 0,
     power_cycle_installs},
};

IMPCERT_PLUGIN("osupd", cases)
