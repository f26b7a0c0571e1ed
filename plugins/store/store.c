/*
** store.c: conformance tests of what the application can keep (the nv
** table, imp.setuserconfiguration()) and imp.clearconfiguration()'s
** argument check, seen from the cloud: each case deploys a small program
** in step 4 and reads the Log lines it writes (research imp-api §4.15,
** §4.16; seeds/003 "After A Warm Boot"). Requirement IDs are those of
** specs/requirements.md.
*/
#include <stdio.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0007-store"
#define TOKEN "token-store-77"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */

/* BlinkUp, activate and deploy `code` in step 4. */
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

/* The text of the next Log frame; the test fails if another frame or
** nothing comes. */
static const char *next_log(impcert_fx *fx, const char *what) {
  const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no Log (%s) within %d ms", what, WAIT);
  if (e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG)
    IMPCERT_FAIL_NOW(fx, "expected a Log (%s), got frame case %d", what,
                     (int)e->msg_case);
  return e->log->text;
}

/* The next Log must read exactly `want`. */
static void expect_log(impcert_fx *fx, const char *want) {
  const char *got = next_log(fx, want);
  IMPCERT_CHECK_MSG(fx, strcmp(got, want) == 0, "logged '%s', expected '%s'",
                    got, want);
}

/* Squirrel that logs what imp.getuserconfiguration() returns: "null", or
** "blob N <text>". */
#define SHOW_UC                                                            \
  "function show(tag) {"                                                   \
  "  local u = imp.getuserconfiguration();"                                \
  "  if (u == null) server.log(tag + \" null\");"                          \
  "  else server.log(tag + \" \" + typeof u + \" \" + u.len() + \" \" +"  \
  "                  u.tostring());"                                       \
  "}"

/* STORE-007, STORE-011, STORE-009: a string is stored and read back as a
** blob; a shorter write leaves no tail; null clears. */
static void userconfig_round_trip(impcert_fx *fx) {
  deploy(fx, SHOW_UC
             "show(\"fresh\");"
             "imp.setuserconfiguration(\"calibration=1234567\");"
             "show(\"string\");"
             "local b = blob(); b.writestring(\"ab\");"
             "imp.setuserconfiguration(b);"
             "show(\"blob\");"
             "imp.setuserconfiguration(null);"
             "show(\"cleared\");");
  expect_log(fx, "fresh null");
  expect_log(fx, "string blob 19 calibration=1234567");
  expect_log(fx, "blob blob 2 ab");
  expect_log(fx, "cleared null");
}

/* STORE-007, STORE-008: 4096 bytes are accepted; 4097 throw the published
** message and leave the stored data as it was. */
static void userconfig_limit(impcert_fx *fx) {
  deploy(fx, SHOW_UC
             "local b = blob(4096);"
             "for (local i = 0; i < 4096; i++) b.writen(65 + i % 26, 'b');"
             "imp.setuserconfiguration(b);"
             "local u = imp.getuserconfiguration();"
             "server.log(\"max \" + u.len() + \" \" + (u.tostring() == "
             "b.tostring()));"
             "imp.setuserconfiguration(\"keep me\");"
             "local big = blob(4097);"
             "for (local i = 0; i < 4097; i++) big.writen(66, 'b');"
             "try { imp.setuserconfiguration(big); server.log(\"no throw\"); }"
             "catch (e) { server.log(\"threw \" + e); }"
             "show(\"after\");");
  expect_log(fx, "max 4096 true");
  expect_log(fx,
             "threw value too long in imp.setuserconfiguration(value)");
  expect_log(fx, "after blob 7 keep me");
}

/* STORE-010: values other than a string, blob or null throw and change
** nothing. */
static void userconfig_wrong_type(impcert_fx *fx) {
  deploy(fx, SHOW_UC
             "imp.setuserconfiguration(\"before\");"
             "foreach (v in [42, 1.5, true, [1], {a = 1}]) {"
             "  try { imp.setuserconfiguration(v);"
             "        server.log(\"no throw \" + typeof v); }"
             "  catch (e) { server.log(\"threw \" + typeof v); }"
             "}"
             "show(\"after\");");
  static const char *const types[] = {"integer", "float", "bool", "array",
                                      "table"};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    char want[64];
    snprintf(want, sizeof want, "threw %s", types[i]);
    expect_log(fx, want);
  }
  expect_log(fx, "after blob 6 before");
}

/* STORE-014: user configuration survives new application code. */
static void userconfig_survives_new_code(impcert_fx *fx) {
  deploy(fx, "imp.setuserconfiguration(\"from code A\");"
             "server.log(\"A stored\");");
  expect_log(fx, "A stored");
  impcert_send_reload(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, SHOW_UC "show(\"B sees\");", false);
  expect_log(fx, "B sees blob 11 from code A");
}

/* Code that logs whether nv exists, then creates it. */
#define NV_PROBE                                                           \
  "if (\"nv\" in getroottable()) server.log(\"nv \" + nv.count);"          \
  "else { server.log(\"no nv\"); nv <- {count = 1}; }"

/* STORE-002, STORE-004: nv does not survive power loss; after a cold
** boot there is no nv until the application makes one. */
static void nv_gone_after_power_loss(impcert_fx *fx) {
  deploy(fx, NV_PROBE);
  expect_log(fx, "no nv");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  enum impcert_session s = IMPCERT_SESSION_TIMEOUT;
  for (int i = 0; i < 3 && s != IMPCERT_SESSION_OK; i++)
    if ((s = impcert_cloud_accept(fx, WAIT)) == IMPCERT_SESSION_TIMEOUT)
      break;
  if (s != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not connect after power-on");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  expect_log(fx, "no nv");
}

/* STORE-002: nv kept for a deep sleep is lost when the power goes while
** the device sleeps: the next boot is cold, with no nv. */
static void nv_gone_after_sleep_and_power_cut(impcert_fx *fx) {
  deploy(fx, "server.log((\"nv\" in getroottable()) ? \"nv \" + nv.v : "
             "\"no nv\");"
             "if (hardware.wakereason() != WAKEREASON_TIMER) {"
             "  nv <- {v = 42};"
             "  imp.wakeup(0.1, function() { imp.deepsleepfor(3600); });"
             "}");
  expect_log(fx, "no nv");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  enum impcert_session s = IMPCERT_SESSION_TIMEOUT;
  for (int i = 0; i < 3 && s != IMPCERT_SESSION_OK; i++)
    if ((s = impcert_cloud_accept(fx, WAIT)) == IMPCERT_SESSION_TIMEOUT)
      break;
  if (s != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not connect after power-on");
  const Impwire__DeviceState *st =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, st->wake_reason == IMPCERT_WAKEREASON_POWER_ON,
                    "a power-on during deep sleep reported wake reason %u",
                    st->wake_reason);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  expect_log(fx, "no nv");
}

/* STORE-004, WAKE-020: a Reload starts a fresh VM: no nv and no globals
** from the code that ran before. */
static void nv_gone_after_reload(impcert_fx *fx) {
  deploy(fx, NV_PROBE "if (!(\"marker\" in getroottable())) "
                      "::marker <- 1; server.log(\"marker set\");");
  expect_log(fx, "no nv");
  expect_log(fx, "marker set");
  impcert_send_reload(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false,
                      "server.log((\"marker\" in getroottable()) ? "
                      "\"marker kept\" : \"no marker\");"
                      NV_PROBE,
                      false);
  expect_log(fx, "no marker");
  expect_log(fx, "no nv");
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

/* STORE-004, WAKE-020: nv kept across a deep sleep belongs to the first
** VM of that wake only: a Reload after it starts without nv. */
static void nv_not_given_to_reloaded_vm(impcert_fx *fx) {
  deploy(fx, "local w = hardware.wakereason();"
             "server.log(\"probe \" + w + \" \" + ((\"nv\" in getroottable())"
             " ? \"nv \" + nv.v : \"no nv\"));"
             "if (w == WAKEREASON_BLINKUP) {"
             "  nv <- {v = 42};"
             "  imp.wakeup(0.1, function() { imp.deepsleepfor(1); });"
             "}");
  find_log(fx, "probe 9 ");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  /* the wake: the code logs, which brings the session up */
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session after the wake from deep sleep");
  const Impwire__DeviceState *st =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_REQUIRE(fx, st->wake_reason == IMPCERT_WAKEREASON_TIMER);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  impcert_send_reload(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  const char *t = find_log(fx, "probe 4 ");
  IMPCERT_CHECK_MSG(fx, strcmp(t, "probe 4 no nv") == 0,
                    "the VM started by the Reload logged '%s': nv must not "
                    "outlive the first VM of a warm boot", t);
}

/* STORE-024: clearconfiguration with an unknown action throws. */
static void clearconfiguration_bad_action(impcert_fx *fx) {
  deploy(fx, "foreach (a in [0, 8, 0x10, -1]) {"
             "  try { imp.clearconfiguration(a); server.log(\"ok \" + a); }"
             "  catch (e) { server.log(\"threw \" + a); }"
             "}");
  expect_log(fx, "threw 0");
  expect_log(fx, "threw 8");
  expect_log(fx, "threw 16");
  expect_log(fx, "threw -1");
}

static const struct impcert_case cases[] = {
    {"STORE-007", "user configuration: stored, read back as a blob, cleared",
     "STORE-007,STORE-009,STORE-011", "store,api", "jig,squirrel", 0,
     userconfig_round_trip},
    {"STORE-008", "user configuration: 4096 bytes fit, 4097 throw",
     "STORE-007,STORE-008", "store,api", "jig,squirrel", 0,
     userconfig_limit},
    {"STORE-010", "user configuration: other types throw, nothing changes",
     "STORE-010", "store,api", "jig,squirrel", 0, userconfig_wrong_type},
    {"STORE-014", "user configuration survives new application code",
     "STORE-014", "store,api", "jig,squirrel", 0,
     userconfig_survives_new_code},
    {"STORE-002", "nv is gone after a power cut", "STORE-002,STORE-004",
     "store,api", "jig,jig-power,squirrel,nv", 0, nv_gone_after_power_loss},
    {"STORE-002b", "nv kept for deep sleep is lost in a power cut",
     "STORE-002,WAKE-001", "store,api",
     "jig,jig-power,squirrel,nv,deep-sleep", 0,
     nv_gone_after_sleep_and_power_cut},
    {"STORE-004", "a Reload starts without nv or old globals",
     "STORE-004,WAKE-020", "store,api", "jig,squirrel,nv", 0,
     nv_gone_after_reload},
    {"STORE-004b", "nv from a deep sleep is not given to a reloaded VM",
     "STORE-004,WAKE-020", "store,api", "jig,squirrel,nv,deep-sleep", 0,
     nv_not_given_to_reloaded_vm},
    {"STORE-024", "clearconfiguration with an unknown action throws",
     "STORE-024", "store,api", "jig,squirrel", 0,
     clearconfiguration_bad_action},
};

IMPCERT_PLUGIN("store", cases)
