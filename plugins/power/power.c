/*
** power.c: conformance tests of power loss and flash faults injected by
** the jig (jig.md "Flash faults"): a power cut at every write step of the
** configuration and code stores, a damaged configuration page, bad flash
** reads. After each, the stored state is the old one or the new one, and
** the device still boots, activates and connects.
** Requirement IDs are those of specs/requirements.md.
*/
#include <stdio.h>
#include <string.h>

#include <impcert/impcert.h>

#define TOKEN "token-power-1"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */
#define CUT_POINTS 24 /* cut points spread over an update, plus its edges */

/* ---- helpers --------------------------------------------------------------- */

/* The cut points for an update of len bytes: every len/CUT_POINTS-th byte,
** the first and last bytes, and the bytes around the last 64 (where a
** header written after its payload would start). Returns how many. */
static int cut_points(uint64_t len, uint64_t *out, int cap) {
  int n = 0;
  uint64_t step = len / CUT_POINTS ? len / CUT_POINTS : 1;
  for (uint64_t k = 0; k < len && n < cap; k += step)
    out[n++] = k;
  const uint64_t edges[] = {1, len - 1, len - 2, len - 63, len - 64, len - 65};
  for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]) && n < cap; i++) {
    bool dup = edges[i] >= len;
    for (int j = 0; j < n && !dup; j++)
      dup = out[j] == edges[i];
    if (!dup)
      out[n++] = edges[i];
  }
  return n;
}

/* Power on and wait for the DUT to say which state its flash put it in;
** a DUT that does not report one has not booted. */
static int boot_and_state(impcert_fx *fx, const char *after) {
  /* skip what the jig recorded before: only this boot's state counts */
  while (impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_BOOT_STATE, 0))
    ;
  impcert_dut_power_on(fx);
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_BOOT_STATE, WAIT);
  if (!e)
    IMPCERT_FAIL_NOW(fx, "after %s the DUT did not boot to a boot state",
                     after);
  return (int)e->boot_state->state;
}

/* A device in Pending Activation connects and asks with its stored plan ID;
** returns it (static storage). */
static const char *stored_plan(impcert_fx *fx, const char *after) {
  static char plan[160];
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "after %s a DUT in Pending Activation did not "
                         "connect", after);
  const Impwire__ActivationRequest *a =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT)
          ->activation_request;
  snprintf(plan, sizeof plan, "%s", a->plan_id);
  return plan;
}

/* Finish activation on the open session: the device must go on to steps
** 2 and 3. */
static void finish_activation(impcert_fx *fx) {
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
}

/* From any state: BlinkUp, activate, and see steps 2-3 (the device is
** usable again). */
static void blinkup_to_online(impcert_fx *fx, const char *plan) {
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", plan, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the DUT did not connect after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  finish_activation(fx);
}

/* ---- PWR-001: configuration writes ----------------------------------------- */

/* [STORE-025, CAP-007] A BlinkUp stores new credentials; cut the power at
** each cut point of that write, boot, and read back (through the
** ActivationRequest) the plan ID the device kept: the one before or the
** one delivered, never anything else, and the device still gets online. */
static void cut_config_write(impcert_fx *fx) {
  char old[64] = "", neu[64];
  uint64_t b0, b1, pts[CUT_POINTS + 8];
  /* measure one BlinkUp's flash write */
  int st = boot_and_state(fx, "the first power-on");
  IMPCERT_REQUIRE(fx, st == IMPJIG__BOOT_STATE__STATE__UNACTIVATED);
  impcert_jig_flash_fault(fx, -1, 0, &b0);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", "plan-measure",
                      TOKEN);
  IMPCERT_REQUIRE(fx, impcert_jig_wait_state(
                          fx, IMPJIG__BOOT_STATE__STATE__PENDING_ACTIVATION,
                          WAIT));
  /* take its connection, so that it is not waiting on one while asked */
  IMPCERT_REQUIRE(fx, !strcmp(stored_plan(fx, "the BlinkUp"), "plan-measure"));
  impcert_jig_flash_fault(fx, -1, 0, &b1);
  IMPCERT_REQUIRE(fx, b1 > b0);
  snprintf(old, sizeof old, "plan-measure");
  int n = cut_points(b1 - b0, pts, (int)(sizeof pts / sizeof pts[0]));
  impcert_note(fx, "a BlinkUp writes %llu flash bytes; %d cut points",
               (unsigned long long)(b1 - b0), n);
  for (int i = 0; i < n; i++) {
    char after[96];
    snprintf(after, sizeof after, "a cut at byte %llu of a BlinkUp write",
             (unsigned long long)pts[i]);
    impcert_dut_power_off(fx);
    st = boot_and_state(fx, i ? after : "the measuring BlinkUp");
    IMPCERT_CHECK_MSG(fx, st == IMPJIG__BOOT_STATE__STATE__PENDING_ACTIVATION,
                      "after %s the state is %d, not Pending Activation",
                      after, st);
    if (st != IMPJIG__BOOT_STATE__STATE__PENDING_ACTIVATION)
      return;
    const char *got = stored_plan(fx, after);
    IMPCERT_CHECK_MSG(fx, !strcmp(got, old) || (i && !strcmp(got, neu)),
                      "after %s the stored plan ID is '%s': neither the "
                      "old '%s' nor the new '%s'", after, got, old,
                      i ? neu : old);
    snprintf(old, sizeof old, "%s", got);
    /* as long as "plan-measure": each BlinkUp writes as much as measured */
    snprintf(neu, sizeof neu, "plan-cut-%03d", i);
    impcert_jig_flash_fault(fx, (long long)pts[i], 0, NULL);
    impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", neu, TOKEN);
    if (!impcert_dut_wait_power_cut(fx, WAIT))
      IMPCERT_FAIL_NOW(fx, "the cut at byte %llu never came: the BlinkUp "
                           "wrote fewer bytes than the measured %llu",
                       (unsigned long long)pts[i],
                       (unsigned long long)(b1 - b0));
  }
  /* the last cut: old or new, and the device activates */
  st = boot_and_state(fx, "the last cut");
  IMPCERT_REQUIRE(fx, st == IMPJIG__BOOT_STATE__STATE__PENDING_ACTIVATION);
  const char *got = stored_plan(fx, "the last cut");
  IMPCERT_CHECK_MSG(fx, !strcmp(got, old) || !strcmp(got, neu),
                    "after the last cut the plan ID is '%s'", got);
  finish_activation(fx);
}

/* ---- PWR-002: code writes ---------------------------------------------------- */

#define CODE_A "server.log(\"power test code A\");"
#define CODE_B "server.log(\"power test code B\");" /* as long as A */

/* After power-on an activated device connects and sends DeviceState and
** CodeHash; returns which code it holds: 'A', 'B', '0' (none) or '?'. */
static char stored_code(impcert_fx *fx, const char *after) {
  uint8_t a[32], b[32];
  static const uint8_t zero[32];
  impcert_sha256(CODE_A, strlen(CODE_A), a);
  impcert_sha256(CODE_B, strlen(CODE_B), b);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "after %s an activated DUT did not connect", after);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  if (h->sha256.len != 32)
    return '?';
  if (!memcmp(h->sha256.data, a, 32))
    return 'A';
  if (!memcmp(h->sha256.data, b, 32))
    return 'B';
  return memcmp(h->sha256.data, zero, 32) ? '?' : '0';
}

/* Deploy code c ('A' or 'B') in the CloudAnswer of the open session. */
static void deploy(impcert_fx *fx, char c) {
  impcert_send_answer(fx, false, c == 'A' ? CODE_A : CODE_B, false);
}

/* [STORE-028, STORE-026, BOOT-005] Code A is stored; code B is deployed
** with a power cut at each cut point of its write (then A again, and so
** on). After every boot the device reports the hash of the code before or
** of the code deployed, never a mix or nothing, and at the end it runs
** the code it reports. */
static void cut_code_write(impcert_fx *fx) {
  uint64_t b0, b1, pts[CUT_POINTS + 8];
  impcert_dut_power_on(fx);
  blinkup_to_online(fx, "plan-power-code");
  deploy(fx, 'A');
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT);
  IMPCERT_REQUIRE(fx, e && e->app_state->running);
  /* measure one deployment's flash write */
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  char have = stored_code(fx, "the first deployment");
  IMPCERT_REQUIRE(fx, have == 'A');
  impcert_jig_flash_fault(fx, -1, 0, &b0);
  deploy(fx, 'B');
  e = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT);
  IMPCERT_REQUIRE(fx, e && e->app_state->running);
  impcert_jig_flash_fault(fx, -1, 0, &b1);
  IMPCERT_REQUIRE(fx, b1 > b0);
  have = 'B';
  int n = cut_points(b1 - b0, pts, (int)(sizeof pts / sizeof pts[0]));
  impcert_note(fx, "a deployment writes %llu flash bytes; %d cut points",
               (unsigned long long)(b1 - b0), n);
  char sent = 'B';
  for (int i = 0; i < n; i++) {
    char after[96];
    snprintf(after, sizeof after, "a cut at byte %llu of a code write",
             (unsigned long long)pts[i]);
    impcert_dut_power_off(fx);
    impcert_dut_power_on(fx);
    char got = stored_code(fx, i ? after : "the measuring deployment");
    IMPCERT_CHECK_MSG(fx, got == have || got == sent,
                      "after %s the device reports code '%c': neither the "
                      "old '%c' nor the new '%c' ('?': an unknown hash, "
                      "'0': none)", after, got, have, sent);
    if (got != have && got != sent)
      return;
    have = got;
    sent = have == 'A' ? 'B' : 'A';
    impcert_jig_flash_fault(fx, (long long)pts[i], 0, NULL);
    deploy(fx, sent);
    if (!impcert_dut_wait_power_cut(fx, WAIT))
      IMPCERT_FAIL_NOW(fx, "the cut at byte %llu never came: the deployment "
                           "wrote fewer bytes than the measured %llu",
                       (unsigned long long)pts[i],
                       (unsigned long long)(b1 - b0));
  }
  impcert_dut_power_on(fx);
  char got = stored_code(fx, "the last cut");
  IMPCERT_CHECK_MSG(fx, got == have || got == sent,
                    "after the last cut the device reports code '%c'", got);
  /* the code it reports is the code it runs */
  while (impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, 0))
    ;
  impcert_send_answer(fx, true, NULL, false);
  e = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT);
  IMPCERT_REQUIRE(fx, e && e->app_state->running);
  uint8_t want[32];
  const char *code = got == 'A' ? CODE_A : CODE_B;
  impcert_sha256(code, strlen(code), want);
  IMPCERT_CHECK_MSG(fx, e->app_state->has_sha256 &&
                            e->app_state->sha256.len == 32 &&
                            !memcmp(e->app_state->sha256.data, want, 32),
                    "the device runs other code than the code it reports");
}

/* ---- PWR-003/004: a damaged configuration page -------------------------- */

/* An activated device; damage copies (1 current, 2 every) of its
** configuration page, power-cycle: it must boot to a boot state and get
** online again, by itself if it kept valid settings or after a BlinkUp if
** it treats them as absent. */
static void damaged_config(impcert_fx *fx, unsigned copies) {
  impcert_dut_power_on(fx);
  blinkup_to_online(fx, "plan-power-damage");
  impcert_jig_flash_fault(fx, -1, copies, NULL);
  impcert_dut_power_off(fx);
  int st = boot_and_state(fx, "a damaged configuration page");
  impcert_note(fx, "boot state after the damage: %d", st);
  if (st == IMPJIG__BOOT_STATE__STATE__UNACTIVATED) {
    blinkup_to_online(fx, "plan-power-again");
    return;
  }
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "after a damaged configuration page the DUT in "
                         "state %d did not connect", st);
  const Impwire__Envelope *m = impcert_next_frame(fx, WAIT);
  IMPCERT_REQUIRE(fx, m != NULL);
  if (m->msg_case == IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST) {
    IMPCERT_CHECK(fx, !strcmp(m->activation_request->plan_id,
                              "plan-power-damage"));
    finish_activation(fx);
  } else {
    IMPCERT_CHECK_MSG(fx, m->msg_case == IMPWIRE__ENVELOPE__MSG_DEVICE_STATE,
                      "an activated device must open with DeviceState");
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  }
}

static void damaged_current_copy(impcert_fx *fx) {
  damaged_config(fx, 1);
}

static void damaged_every_copy(impcert_fx *fx) {
  damaged_config(fx, 2);
}

/* ---- PWR-005/006: bad flash reads ------------------------------------------- */

/* [STORE-027, REG-030] An activated device whose first n flash reads fail
** at power-on: it boots to a boot state and gets online (by itself or
** after a BlinkUp if it lost its settings). */
static void bad_reads(impcert_fx *fx, unsigned n) {
  impcert_dut_power_on(fx);
  blinkup_to_online(fx, "plan-power-reads");
  impcert_dut_power_off(fx);
  impcert_dut_flash_read_errors(fx, n);
  int st = boot_and_state(fx, "bad flash reads");
  impcert_note(fx, "boot state with %u bad reads: %d", n, st);
  if (st == IMPJIG__BOOT_STATE__STATE__UNACTIVATED) {
    blinkup_to_online(fx, "plan-power-again");
    return;
  }
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "with %u bad flash reads the DUT in state %d did "
                         "not connect", n, st);
  const Impwire__Envelope *m = impcert_next_frame(fx, WAIT);
  IMPCERT_REQUIRE(fx, m != NULL);
  if (m->msg_case == IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST)
    finish_activation(fx);
  else
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
}

static void one_bad_read(impcert_fx *fx) {
  bad_reads(fx, 1);
}

static void many_bad_reads(impcert_fx *fx) {
  bad_reads(fx, 100000);
}

static const struct impcert_case cases[] = {
    {"PWR-001", "a power cut at every step of a config write: old or new",
     "STORE-025,CAP-007", "power,robustness",
     "jig,jig-power,jig-flash-faults", 120000, cut_config_write},
    {"PWR-002", "a power cut at every step of a code write: old or new",
     "STORE-028,STORE-026,BOOT-005", "power,robustness",
     "jig,jig-power,jig-flash-faults,jig-app", 120000, cut_code_write},
    {"PWR-003", "a damaged current config copy: boots and gets online",
     "STORE-027,REG-030", "power,robustness",
     "jig,jig-power,jig-flash-faults", 0, damaged_current_copy},
    {"PWR-004", "every config copy damaged: boots and gets online",
     "STORE-027,REG-030", "power,robustness",
     "jig,jig-power,jig-flash-faults", 0, damaged_every_copy},
    {"PWR-005", "a bad flash read at power-on: boots and gets online",
     "STORE-027,REG-030", "power,robustness",
     "jig,jig-power,jig-flash-faults", 0, one_bad_read},
    {"PWR-006", "every flash read failing: boots and gets online",
     "STORE-027,REG-030", "power,robustness",
     "jig,jig-power,jig-flash-faults", 0, many_bad_reads},
};

IMPCERT_PLUGIN("power", cases)
