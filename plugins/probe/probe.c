/*
** probe.c: the capability self-check (specs/capabilities.md). Each case
** probes one capability, named by its `needs`, and is tagged "probe":
** pass means the DUT shows the capability, fail means it does not (the
** message is the evidence), inconclusive means the probe could not get the
** DUT into the state it needs. In `impcert run` a probe runs only when the
** profile declares its capability (a failed one breaks a CAP requirement);
** `impcert certify` runs every probe, declared or not, and compares.
** Only what this edition can observe is probed: the jig socket, the jig
** features Hello offers, AppState, the virtual clock, the board, and
** power cuts.
*/
#include <stdio.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0001-impcert"
#define TOKEN "token-5f2e9c1a"
#define CODE "server.log(\"impcert-probe\");"
#define JIG_WAIT 5000 /* capabilities.md: the jig within 5 s */
#define WAIT 8000

/* Power on and wait for the jig's Hello; NULL if none came. */
static const Impjig__Hello *power_on_hello(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  const Impjig__JigEnvelope *m =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_HELLO, JIG_WAIT);
  return m ? m->hello : NULL;
}

/* The next frame of `kind`, skipping Log frames; while setting up a probe
** anything else means the DUT could not be brought where the probe needs
** it, so the verdict is inconclusive, not fail. */
static const Impwire__Envelope *setup_expect(impcert_fx *fx,
                                             Impwire__Envelope__MsgCase kind,
                                             const char *what) {
  for (;;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
    if (!e)
      IMPCERT_INCONCLUSIVE_NOW(fx, "no %s from the DUT: the probe cannot "
                                   "reach the state it needs", what);
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG)
      continue;
    if (e->msg_case != kind)
      IMPCERT_INCONCLUSIVE_NOW(fx, "expected %s, the DUT sent message %d: "
                                   "the probe cannot reach the state it "
                                   "needs", what, (int)e->msg_case);
    return e;
  }
}

/* BlinkUp, activation and the device state of the first boot. Needs the
** jig (this edition has no factory provisioning without it). */
static const Impwire__DeviceState *bring_online(impcert_fx *fx) {
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_INCONCLUSIVE_NOW(fx, "the DUT opened no session after BlinkUp");
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST,
               "ActivationRequest");
  impcert_send_activation_result(fx, true);
  return setup_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, "DeviceState")
      ->device_state;
}

/* CAP-001: the jig socket, Hello with board and OS version, then BootState
** and Led. */
static void probe_jig(impcert_fx *fx) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (!h)
    IMPCERT_FAIL_NOW(fx, "no Hello on the jig socket within %d ms of "
                         "power-on: the DUT shows no jig", JIG_WAIT);
  IMPCERT_CHECK_MSG(fx, h->board && *h->board, "Hello.board is empty");
  IMPCERT_CHECK_MSG(fx, h->os_version && *h->os_version,
                    "Hello.os_version is empty");
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx,
                        IMPJIG__JIG_ENVELOPE__MSG_BOOT_STATE, JIG_WAIT),
                    "no BootState on the jig after Hello");
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_LED,
                                         JIG_WAIT),
                    "no Led on the jig after Hello");
}

/* CAP-003: Hello.board and DeviceState.imp_type name the board. */
static void probe_board(impcert_fx *fx, const char *board) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (!h)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: without the jig this "
                                 "edition cannot bring the DUT online to "
                                 "read its board");
  if (strcmp(h->board, board) != 0)
    IMPCERT_FAIL_NOW(fx, "Hello.board is '%s', not '%s'", h->board, board);
  const Impwire__DeviceState *s = bring_online(fx);
  IMPCERT_CHECK_MSG(fx, strcmp(s->imp_type, board) == 0,
                    "DeviceState.imp_type is '%s', not '%s'", s->imp_type,
                    board);
}

#define BOARD_PROBE(fn, name) \
  static void fn(impcert_fx *fx) { probe_board(fx, name); }
BOARD_PROBE(board_imp001, "imp001")
BOARD_PROBE(board_imp002, "imp002")
BOARD_PROBE(board_imp003, "imp003")
BOARD_PROBE(board_imp004m, "imp004m")
BOARD_PROBE(board_imp005, "imp005")
BOARD_PROBE(board_imp006, "imp006")
BOARD_PROBE(board_impC001, "impC001")

/* CAP-002, CAP-009: a jig feature is offered in Hello.features. Jig
** edition 1 cannot exercise any of them, so an offered feature stays
** undecided; one not offered is evidence that the DUT lacks it. */
static void probe_feature(impcert_fx *fx, const char *feature) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (!h)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: the jig features cannot be "
                                 "read");
  char list[512] = "";
  size_t off = 0;
  bool offered = false;
  for (size_t i = 0; i < h->n_features; i++) {
    offered |= strcmp(h->features[i], feature) == 0;
    off += (size_t)snprintf(list + off, off < sizeof list ? sizeof list - off
                                                           : 0,
                            "%s%s", i ? ", " : "", h->features[i]);
    if (off >= sizeof list)
      off = sizeof list;
  }
  if (!offered)
    IMPCERT_FAIL_NOW(fx, "Hello.features [%s] does not offer '%s'", list,
                     feature);
  IMPCERT_INCONCLUSIVE_NOW(fx, "Hello.features offers '%s', but jig edition "
                               "1 has no messages to exercise it", feature);
}

#define FEATURE_PROBE(fn, name) \
  static void fn(impcert_fx *fx) { probe_feature(fx, name); }
FEATURE_PROBE(feature_pins, "jig-pins")
FEATURE_PROBE(feature_pwm, "jig-pwm")
FEATURE_PROBE(feature_uart, "jig-uart")
FEATURE_PROBE(feature_i2c, "jig-i2c")
FEATURE_PROBE(feature_wifi, "jig-wifi")
FEATURE_PROBE(feature_faults, "jig-flash-faults")
FEATURE_PROBE(feature_bluetooth, "jig-bluetooth")

/* True if Hello offers `feature`. */
static bool offers(const Impjig__Hello *h, const char *feature) {
  for (size_t i = 0; i < h->n_features; i++)
    if (strcmp(h->features[i], feature) == 0)
      return true;
  return false;
}

/* CAP-002: jig-app: Hello offers it, and deployed code that starts is
** reported with AppState{running, sha256 of the code}. */
static void probe_app(impcert_fx *fx) {
  uint8_t want[32];
  impcert_sha256(CODE, strlen(CODE), want);
  const Impjig__Hello *h = power_on_hello(fx);
  if (!h)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: AppState cannot be seen");
  if (!offers(h, "jig-app"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'jig-app'");
  bring_online(fx);
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  impcert_send_answer(fx, false, CODE, false);
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT);
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no AppState within %d ms of deploying code", WAIT);
  IMPCERT_CHECK_MSG(fx, e->app_state->running,
                    "the first AppState after deploying says not running");
  IMPCERT_CHECK_MSG(fx, e->app_state->has_sha256 &&
                            e->app_state->sha256.len == 32 &&
                            memcmp(e->app_state->sha256.data, want, 32) == 0,
                    "AppState.sha256 is not that of the deployed code");
}

/* CAP-006: device time moves only when the harness advances it. This
** edition observes it through the ten-second rule (seeds/003): with code
** stored and a cloud that never answers, the code starts (AppState, so
** jig-app is needed) after exactly ten seconds of device time. */
static void probe_clock(impcert_fx *fx) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (!h)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: the clock is driven over "
                                 "the jig");
  if (!offers(h, "virtual-clock"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'virtual-clock'");
  if (!offers(h, "jig-app"))
    IMPCERT_INCONCLUSIVE_NOW(fx, "this edition watches device time through "
                                 "AppState, and Hello does not offer "
                                 "'jig-app'");
  impcert_clock_advance(fx, 0); /* from here time stands still */
  bring_online(fx);
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  impcert_send_answer(fx, false, CODE, false);
  if (!impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT))
    IMPCERT_INCONCLUSIVE_NOW(fx, "no AppState after deploying code");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no session after the power came back");
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, "DeviceState");
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  /* The cloud stays silent from here on. */
  if (impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, 1000))
    IMPCERT_FAIL_NOW(fx, "the stored code started while the harness held "
                         "device time still");
  impcert_clock_advance(fx, 9999);
  if (impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, 500))
    IMPCERT_FAIL_NOW(fx, "the stored code started after 9999 ms of device "
                         "time, before the ten seconds");
  impcert_clock_advance(fx, 1);
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx,
                        IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT) != NULL,
                    "the stored code did not start when the harness "
                    "advanced device time to ten seconds");
}

/* CAP-007: after a power cut the deployed code is still there and the
** wake reason is WAKEREASON_POWER_ON. */
static void probe_power(impcert_fx *fx) {
  uint8_t want[32];
  impcert_sha256(CODE, strlen(CODE), want);
  if (!power_on_hello(fx))
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: without the jig this "
                                 "edition cannot deploy code to check what "
                                 "a power cut keeps");
  bring_online(fx);
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  impcert_send_answer(fx, false, CODE, false);
  if (!impcert_jig_wait_state(fx,
                              IMPJIG__BOOT_STATE__STATE__ACTIVATED_WITH_CODE,
                              WAIT))
    IMPCERT_INCONCLUSIVE_NOW(fx, "the DUT did not report "
                                 "ACTIVATED_WITH_CODE after the deployment");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "after the power came back the DUT opened no "
                         "session within %d ms", WAIT);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_POWER_ON,
                    "wake reason after the power cut is %u, not "
                    "WAKEREASON_POWER_ON", s->wake_reason);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, h->sha256.len == 32 &&
                            memcmp(h->sha256.data, want, 32) == 0,
                    "after the power cut the code hash is not that of the "
                    "deployed code: the flash was lost");
}

static const struct impcert_case cases[] = {
    {"CAP-JIG", "jig: Hello, BootState and Led on the jig socket",
     "CAP-001", "probe", "jig", 0, probe_jig},
    {"CAP-JIG-APP", "jig-app: AppState reports the deployed code running",
     "CAP-002", "probe", "jig-app", 0, probe_app},
    {"CAP-VIRTUAL-CLOCK", "virtual-clock: stored code waits 10 s of harness time",
     "CAP-006", "probe", "virtual-clock", 0, probe_clock},
    {"CAP-JIG-POWER", "jig-power: code and wake reason survive a power cut",
     "CAP-007", "probe", "jig-power", 0, probe_power},
    {"CAP-BOARD-IMP001", "board:imp001: Hello and DeviceState say imp001",
     "CAP-003", "probe", "board:imp001", 0, board_imp001},
    {"CAP-BOARD-IMP002", "board:imp002: Hello and DeviceState say imp002",
     "CAP-003", "probe", "board:imp002", 0, board_imp002},
    {"CAP-BOARD-IMP003", "board:imp003: Hello and DeviceState say imp003",
     "CAP-003", "probe", "board:imp003", 0, board_imp003},
    {"CAP-BOARD-IMP004M", "board:imp004m: Hello and DeviceState say imp004m",
     "CAP-003", "probe", "board:imp004m", 0, board_imp004m},
    {"CAP-BOARD-IMP005", "board:imp005: Hello and DeviceState say imp005",
     "CAP-003", "probe", "board:imp005", 0, board_imp005},
    {"CAP-BOARD-IMP006", "board:imp006: Hello and DeviceState say imp006",
     "CAP-003", "probe", "board:imp006", 0, board_imp006},
    {"CAP-BOARD-IMPC001", "board:impC001: Hello and DeviceState say impC001",
     "CAP-003", "probe", "board:impC001", 0, board_impC001},
    {"CAP-JIG-PINS", "jig-pins: offered in Hello.features",
     "CAP-002,CAP-009", "probe", "jig-pins", 0, feature_pins},
    {"CAP-JIG-PWM", "jig-pwm: offered in Hello.features",
     "CAP-002,CAP-009", "probe", "jig-pwm", 0, feature_pwm},
    {"CAP-JIG-UART", "jig-uart: offered in Hello.features",
     "CAP-002,CAP-009", "probe", "jig-uart", 0, feature_uart},
    {"CAP-JIG-I2C", "jig-i2c: offered in Hello.features",
     "CAP-002,CAP-009", "probe", "jig-i2c", 0, feature_i2c},
    {"CAP-JIG-WIFI", "jig-wifi: offered in Hello.features",
     "CAP-002,CAP-009", "probe", "jig-wifi", 0, feature_wifi},
    {"CAP-JIG-FLASH-FAULTS", "jig-flash-faults: offered in Hello.features",
     "CAP-002,CAP-009", "probe", "jig-flash-faults", 0, feature_faults},
    {"CAP-JIG-BLUETOOTH", "jig-bluetooth: offered in Hello.features",
     "CAP-002,CAP-009", "probe", "jig-bluetooth", 0, feature_bluetooth},
};

IMPCERT_PLUGIN("probe", cases)
