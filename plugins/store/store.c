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
/* Real time a DUT gets to show what it did when device time moved on (a
** connection it should not open, a session it should not close): on a
** virtual clock the DUT acts right after the advance. */
#define SETTLE_MS 200

/* BlinkUp (with WiFi credentials, so that CONFIG_WIFI has something to
** erase), activate and deploy `code` in step 4. */
static void deploy(impcert_fx *fx, const char *code) {
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

/* The DUT, going to deep sleep (its session closed), sleeps out `ms` of
** device time: a real wait on a real-time DUT, a clock advance (the
** harness wakes it at once) on a virtual clock. The advance must come
** after the jig's DeepSleep: sent earlier, it would reach the DUT while
** it is still awake and its wake timer would count from the new time. */
static void sleep_out(impcert_fx *fx, uint64_t ms) {
  if (!impcert_dut_asleep(fx) &&
      !impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP, WAIT))
    IMPCERT_FAIL_NOW(fx, "the DUT closed its session but reported no deep "
                         "sleep within %d ms", WAIT);
  impcert_device_wait(fx, ms);
}

/* True when the DUT opens no session within `ms` of device time. */
static bool no_session_within(impcert_fx *fx, uint64_t ms) {
  impcert_device_wait(fx, ms);
  return impcert_cloud_accept(fx, SETTLE_MS) == IMPCERT_SESSION_TIMEOUT;
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
  sleep_out(fx, 1000);
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

/* A new session (the old one, if any, closes first): steps 2-3, then the
** cloud says the code matches. Returns the wake reason of DeviceState. */
static uint32_t next_session(impcert_fx *fx, const char *what) {
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no new session after %s", what);
  const Impwire__DeviceState *st =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  return st->wake_reason;
}

/* The Log starting with `prefix` must read exactly `want`. */
static void expect_found(impcert_fx *fx, const char *prefix,
                         const char *want) {
  const char *got = find_log(fx, prefix);
  IMPCERT_CHECK_MSG(fx, strcmp(got, want) == 0, "logged '%s', expected '%s'",
                    got, want);
}

/* Code that stores "persist-me" when nothing is stored and shows the
** user configuration with the wake reason otherwise. */
#define KEEP_UC                                                            \
  SHOW_UC                                                                  \
  "local w = hardware.wakereason();"                                       \
  "if (imp.getuserconfiguration() == null) {"                              \
  "  imp.setuserconfiguration(\"persist-me\"); server.log(\"stored \" + w);" \
  "} else show(\"w\" + w);"

/* STORE-012: the user configuration survives a warm boot (deep sleep), a
** power cut and a cold boot. */
static void userconfig_survives_boots(impcert_fx *fx) {
  deploy(fx, KEEP_UC
             "if (w == WAKEREASON_BLINKUP)"
             "  imp.wakeup(0.1, function() { imp.deepsleepfor(1); });");
  expect_found(fx, "stored ", "stored 9");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  sleep_out(fx, 1000);
  uint32_t w = next_session(fx, "the wake from deep sleep");
  IMPCERT_CHECK(fx, w == IMPCERT_WAKEREASON_TIMER);
  expect_found(fx, "w", "w1 blob 10 persist-me");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  w = next_session(fx, "a power cycle");
  IMPCERT_CHECK(fx, w == IMPCERT_WAKEREASON_POWER_ON);
  expect_found(fx, "w", "w0 blob 10 persist-me");
}

/* STORE-013: the user configuration survives a BlinkUp. */
static void userconfig_survives_blinkup(impcert_fx *fx) {
  deploy(fx, KEEP_UC);
  expect_found(fx, "stored ", "stored 9");
  impcert_jig_blinkup(fx, "other-net", "other-pass", PLAN, TOKEN "-2");
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session after the second BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  expect_found(fx, "w", "w9 blob 10 persist-me");
}

/* STORE-015, STORE-020: every clearconfiguration action leaves the user
** configuration; after the default action the next power-up is
** Unactivated and offline; a BlinkUp then finds the data still there. */
static void userconfig_survives_clearconfiguration(impcert_fx *fx) {
  deploy(fx, KEEP_UC
             "if (w == WAKEREASON_BLINKUP) {"
             "  foreach (a in [CONFIG_WIFI, CONFIG_STATIC_NETWORK,"
             "                 CONFIG_PROXY, CONFIG_ALL])"
             "    imp.clearconfiguration(a);"
             "  imp.clearconfiguration();"
             "  show(\"cleared\");"
             "}");
  expect_found(fx, "stored ", "stored 9");
  expect_found(fx, "cleared", "cleared blob 10 persist-me");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(
                            fx, IMPJIG__BOOT_STATE__STATE__UNACTIVATED, WAIT),
                    "after imp.clearconfiguration() the power-up is not in "
                    "Unactivated");
  IMPCERT_CHECK_MSG(fx, no_session_within(fx, 1500),
                    "a device with its enrollment cleared connected");
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session after the new BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  expect_found(fx, "w", "w9 blob 10 persist-me");
}

/* Offer a new impOS (any image; its SHA-256 matches). */
static void offer_os(impcert_fx *fx) {
  static const char image[] = "impcert store: a new impOS image";
  uint8_t h[32];
  impcert_sha256(image, strlen(image), h);
  Impwire__NewOs n = IMPWIRE__NEW_OS__INIT;
  n.version = "38.9 impcert-store";
  n.has_image = n.has_sha256 = 1;
  n.image.data = (uint8_t *)image;
  n.image.len = strlen(image);
  n.sha256.data = h;
  n.sha256.len = 32;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_NEW_OS;
  e.new_os = &n;
  impcert_send(fx, &e);
}

/* STORE-016: the user configuration survives an impOS update. */
static void userconfig_survives_os_update(impcert_fx *fx) {
  deploy(fx, KEEP_UC);
  expect_found(fx, "stored ", "stored 9");
  offer_os(fx);
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  uint32_t w = next_session(fx, "the update");
  IMPCERT_REQUIRE(fx, w == IMPCERT_WAKEREASON_NEW_FIRMWARE);
  expect_found(fx, "w", "w6 blob 10 persist-me");
}

/* STORE-017: the user configuration can be written and read with no
** session: on a warm boot, before the code asks for one. */
static void userconfig_offline(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_TIMER) {"
             "  local c = server.isconnected();"
             "  imp.setuserconfiguration(\"written offline\");"
             "  local u = imp.getuserconfiguration();"
             "  server.log(\"offline \" + c + \" \" + u.tostring());"
             "} else imp.wakeup(0.1, function() { imp.deepsleepfor(1); });");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  sleep_out(fx, 1000);
  next_session(fx, "the wake from deep sleep");
  expect_found(fx, "offline ", "offline false written offline");
}

/* STORE-018: 60,000 writes, each read back at once; the last survives a
** power cycle. */
static void userconfig_many_writes(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_BLINKUP) {"
             "  local bad = 0, i = 0, b = blob(4);"
             "  function batch() {"
             "    for (local k = 0; k < 2000; k++, i++) {"
             "      b.seek(0); b.writen(i, 'i');"
             "      imp.setuserconfiguration(b);"
             "      local u = imp.getuserconfiguration();"
             "      if (u.len() != 4 || u.readn('i') != i) bad++;"
             "    }"
             "    if (i < 60000) imp.wakeup(0, batch);"
             "    else server.log(\"done \" + i + \" bad \" + bad);"
             "  }"
             "  batch();"
             "} else server.log(\"after \" + imp.getuserconfiguration()"
             "                  .readn('i'));");
  const Impwire__Envelope *e = impcert_next_frame(fx, 100000);
  IMPCERT_REQUIRE(fx, e && e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG);
  IMPCERT_CHECK_MSG(fx, strcmp(e->log->text, "done 60000 bad 0") == 0,
                    "after 60000 writes the code logged '%s'", e->log->text);
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  next_session(fx, "a power cycle");
  expect_found(fx, "after", "after 59999");
}

/* STORE-019: CONFIG_WIFI keeps the enrollment: the next power-up is still
** activated, with its code. (That the WiFi credentials are gone is seen
** only through the WiFi jig: not checked here.) */
static void clear_wifi_keeps_enrollment(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_BLINKUP) {"
             "  imp.clearconfiguration(CONFIG_WIFI); server.log(\"cleared\");"
             "}");
  expect_found(fx, "cleared", "cleared");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(
                            fx, IMPJIG__BOOT_STATE__STATE__ACTIVATED_WITH_CODE,
                            WAIT), /* ends at the state: slow DUTs (qemu) */
                    "after clearconfiguration(CONFIG_WIFI) the power-up "
                    "is not in Activated: Has Squirrel");
}

/* REG-038 (impOS 36.x): after clearconfiguration(CONFIG_WIFI) a restart
** (imp.reset(), then a power cycle) boots normally: boot state read,
** the code started (after the cloud's answer or the ten seconds). */
static void boots_after_clear_wifi(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_BLINKUP) {"
             "  imp.clearconfiguration(CONFIG_WIFI);"
             "  imp.wakeup(0.2, imp.reset);"
             "}");
  for (int boot = 0; boot < 2; boot++) {
    if (boot == 1) {
      impcert_dut_power_off(fx);
      impcert_dut_power_on(fx);
    }
    IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(
                              fx, IMPJIG__BOOT_STATE__STATE__ACTIVATED_WITH_CODE,
                              WAIT),
                      "boot %d after clearconfiguration(CONFIG_WIFI) is not "
                      "in Activated: Has Squirrel", boot + 1);
    /* with no WiFi the device may not reach the cloud: then the code
    ** starts on the ten-second rule */
    if (impcert_cloud_accept(fx, 3000) == IMPCERT_SESSION_OK) {
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
      impcert_send_answer(fx, true, NULL, false);
    }
    const Impjig__JigEnvelope *e;
    while ((e = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE,
                                 15000)) && !e->app_state->running) {
    }
    IMPCERT_CHECK_MSG(fx, e != NULL, "boot %d after clearconfiguration("
                      "CONFIG_WIFI) never started the code", boot + 1);
  }
}

/* STORE-021: clearconfiguration() leaves the session as it is: the code
** goes on sending on it. */
static void clear_keeps_session(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_BLINKUP) {"
             "  imp.clearconfiguration();"
             "  server.log(\"cleared \" + server.isconnected());"
             "  imp.wakeup(1, function() {"
             "    server.log(\"still \" + server.isconnected()); });"
             "}");
  expect_found(fx, "cleared", "cleared true");
  impcert_device_wait(fx, 1000); /* the code's 1 s timer */
  expect_found(fx, "still", "still true");
  impcert_device_wait(fx, 1000);
  IMPCERT_CHECK_MSG(fx, !impcert_cloud_wait_closed(fx, SETTLE_MS),
                    "the session closed after imp.clearconfiguration()");
}

/* STORE-022: once disconnected, a device whose enrollment was cleared
** opens no new session, whatever the code asks. */
static void cleared_stays_offline(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_BLINKUP) {"
             "  imp.clearconfiguration(CONFIG_ALL);"
             "  server.log(\"bye\");"
             /* the delays only order the steps */
             "  imp.wakeup(0.05, function() {"
             "    server.disconnect();"
             "    imp.wakeup(0.1, function() {"
             "      server.connect(function(r) { server.log(\"back\"); });"
             "      server.log(\"again\");"
             "    });"
             "  });"
             "}");
  expect_found(fx, "bye", "bye");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  IMPCERT_CHECK_MSG(fx, no_session_within(fx, 3000),
                    "a device with its enrollment cleared opened a new "
                    "session");
}

/* STORE-023: CONFIG_STATIC_NETWORK and CONFIG_PROXY keep the credentials
** and the enrollment: the device reconnects when asked and after a power
** cycle. */
static void clear_static_proxy_reconnects(impcert_fx *fx) {
  deploy(fx, "local w = hardware.wakereason();"
             "server.log(\"up \" + w);"
             "if (w == WAKEREASON_BLINKUP) {"
             "  imp.clearconfiguration(CONFIG_STATIC_NETWORK | CONFIG_PROXY);"
             "  imp.clearconfiguration(CONFIG_STATIC_NETWORK);"
             "  imp.clearconfiguration(CONFIG_PROXY);"
             /* the delays only order the steps */
             "  imp.wakeup(0.05, function() {"
             "    server.disconnect();"
             "    imp.wakeup(0.1, function() {"
             /* SUSPEND_ON_ERROR: connect blocks, no callback [NET-011] */
             "      server.connect();"
             "      server.log(\"back \" + (server.isconnected() ? "
             "SERVER_CONNECTED : NOT_CONNECTED));"
             "    });"
             "  });"
             "}");
  expect_found(fx, "up ", "up 9");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  next_session(fx, "server.connect()");
  expect_found(fx, "back ", "back 5");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  uint32_t w = next_session(fx, "a power cycle");
  IMPCERT_CHECK(fx, w == IMPCERT_WAKEREASON_POWER_ON);
  expect_found(fx, "up ", "up 0");
}

/* Code that logs nv (or its absence) with the wake reason; the BlinkUp
** run keeps `nv_value` in nv and deep sleeps for a second. */
#define NV_SLEEPER(nv_value)                                              \
  "local w = hardware.wakereason();"                                     \
  "server.log(\"nv \" + w + \" \" + ((\"nv\" in getroottable()) ? "          \
  "nv.tag : \"none\"));"                                                   \
  "if (w == WAKEREASON_BLINKUP) {"                                       \
  "  nv <- " nv_value ";"                                                \
  "  imp.wakeup(0.1, function() { imp.deepsleepfor(1); });"              \
  "}"

/* STORE-003: nv does not survive an impOS update: nv kept over a deep
** sleep, then an update offered on the wake's session; the boot after
** the update finds none. */
static void nv_gone_after_os_update(impcert_fx *fx) {
  deploy(fx, NV_SLEEPER("{tag = \"kept\"}"));
  expect_found(fx, "nv ", "nv 9 none");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  sleep_out(fx, 1000);
  next_session(fx, "the wake from deep sleep");
  expect_found(fx, "nv ", "nv 1 kept");
  offer_os(fx);
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  uint32_t w = next_session(fx, "the update");
  IMPCERT_REQUIRE(fx, w == IMPCERT_WAKEREASON_NEW_FIRMWARE);
  expect_found(fx, "nv ", "nv 6 none");
}

/* STORE-005: an nv table whose encoding is just under 4000 bytes comes
** back from deep sleep intact. */
static void nv_near_limit(impcert_fx *fx) {
  deploy(fx, "function pattern() {"
             "  local b = blob(3900);"
             "  for (local i = 0; i < 3900; i++) b.writen(i * 7 % 26 + 65, 'b');"
             "  return b.tostring();"
             "}"
             "local w = hardware.wakereason();"
             "if (w == WAKEREASON_BLINKUP) {"
             "  nv <- {tag = \"big\", s = pattern(), n = 12345};"
             "  server.log(\"sleeping\");"
             "  imp.wakeup(0.1, function() { imp.deepsleepfor(1); });"
             "} else server.log(\"nv \" + w + \" \" + nv.s.len() + \" \" +"
             "                  (nv.s == pattern()) + \" \" + nv.n);");
  expect_found(fx, "sleeping", "sleeping");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  sleep_out(fx, 1000);
  next_session(fx, "the wake from deep sleep");
  expect_found(fx, "nv ", "nv 1 3900 true 12345");
}

/* STORE-006: the RTC runs on through deep sleep: time() on the timer
** wake is the time before the sleep plus the 3 s slept, within one
** second (plus a second for time()'s whole seconds). */
static void rtc_across_deep_sleep(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_BLINKUP) {"
             "  nv <- {before = time()};"
             "  imp.wakeup(0.1, function() { imp.deepsleepfor(3); });"
             "} else server.log(\"slept \" + (time() - nv.before));");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  sleep_out(fx, 3000);
  next_session(fx, "the wake from deep sleep");
  const char *t = find_log(fx, "slept ");
  int dt = -1;
  IMPCERT_CHECK_MSG(fx, sscanf(t, "slept %d", &dt) == 1 && dt >= 2 &&
                            dt <= 4,
                    "across a 3 s deep sleep time() moved by '%s' seconds",
                    t);
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
    {"STORE-012", "user configuration survives deep sleep and power loss",
     "STORE-012", "store,api", "jig,jig-power,squirrel,deep-sleep", 0,
     userconfig_survives_boots},
    {"STORE-013", "user configuration survives a BlinkUp", "STORE-013",
     "store,api", "jig,squirrel", 0, userconfig_survives_blinkup},
    {"STORE-015", "user configuration survives every clearconfiguration",
     "STORE-015,STORE-020", "store,api", "jig,jig-power,squirrel", 0,
     userconfig_survives_clearconfiguration},
    {"STORE-016", "user configuration survives an impOS update",
     "STORE-016", "store,api,osupd", "jig,squirrel", 0,
     userconfig_survives_os_update},
    {"STORE-017", "user configuration works with no session", "STORE-017",
     "store,api", "jig,squirrel,deep-sleep", 0, userconfig_offline},
    {"STORE-018", "user configuration: 60000 writes read back",
     "STORE-018", "store,api,slow", "jig,jig-power,squirrel", 120000,
     userconfig_many_writes},
    {"STORE-019", "clearconfiguration(CONFIG_WIFI) keeps the enrollment",
     "STORE-019", "store,api", "jig,jig-power,squirrel", 0,
     clear_wifi_keeps_enrollment},
    {"REG-038", "36.x: boots normally after clearing the WiFi settings",
     "REG-038", "regress,store", "jig,jig-power,jig-app,squirrel", 60000,
     boots_after_clear_wifi},
    {"STORE-021", "clearconfiguration() leaves the session up",
     "STORE-021", "store,api", "jig,squirrel", 0, clear_keeps_session},
    {"STORE-022", "enrollment cleared: no new session once disconnected",
     "STORE-022", "store,api", "jig,squirrel", 0, cleared_stays_offline},
    {"STORE-023", "CONFIG_STATIC_NETWORK, CONFIG_PROXY: still reconnects",
     "STORE-023", "store,api", "jig,jig-power,squirrel", 0,
     clear_static_proxy_reconnects},
    {"STORE-003", "nv does not survive an impOS update", "STORE-003",
     "store,api,osupd", "jig,squirrel,nv,deep-sleep", 0,
     nv_gone_after_os_update},
    {"STORE-006", "the RTC keeps running through deep sleep", "STORE-006",
     "store,sleep", "jig,squirrel,nv,deep-sleep", 0, rtc_across_deep_sleep},
    {"STORE-005", "nv just under 4000 bytes survives deep sleep",
     "STORE-005", "store,api", "jig,squirrel,nv,deep-sleep", 0,
     nv_near_limit},
};

IMPCERT_PLUGIN("store", cases)
