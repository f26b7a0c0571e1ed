/*
** polite.c: conformance tests of polite deployment (seeds/002, seeds/003
** "Polite ... Deployment", wire.md "Polite deployment and impOS
** updates"): which notices reach server.onshutdown() and with which
** reason, what server.restart() completes, forced notices (the cloud's
** own, after too long a deferral, a device group move), the handler after
** a warm start, and power cuts during an impOS update.
** Requirement IDs are those of specs/requirements.md.
*/
#include <stdio.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0001-impcert"
#define TOKEN "token-polite-1"
#define WAIT 8000   /* ms for the DUT to act; generous for emulated DUTs */
#define QUIET 1500  /* device ms in which a deferring DUT must do nothing */
/* Real time a DUT gets to show what it did when device time moved on: on
** a virtual clock it acts right after the advance. */
#define SETTLE_MS 200
#define IMAGE "impcert polite: an impOS image, any bytes will do"
#define CUT_POINTS 20
#define DEFER_LIMIT_MS 86400000ull /* constants.md POLITE_DEFER_LIMIT_MS */

/* A handler that logs its reason and defers; "go" from the agent calls
** server.restart(). */
#define HANDLER \
  "server.onshutdown(function(r) { server.log(\"shutdown \" + r); });\n"
#define GO "agent.on(\"go\", function(d) { server.restart(); });\n"

/* ---- helpers --------------------------------------------------------------- */

/* Power on, BlinkUp, activate, deploy code (step 4): the code runs. */
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

/* Offer impOS `version` (with IMAGE when image, forced when forced). */
static void offer(impcert_fx *fx, const char *version, bool image,
                  bool forced) {
  uint8_t h[32];
  impcert_sha256(IMAGE, strlen(IMAGE), h);
  Impwire__NewOs n = IMPWIRE__NEW_OS__INIT;
  n.version = (char *)version;
  if (image) {
    n.has_image = n.has_sha256 = 1;
    n.image.data = (uint8_t *)IMAGE;
    n.image.len = strlen(IMAGE);
    n.sha256.data = h;
    n.sha256.len = 32;
  }
  n.has_forced = 1;
  n.forced = forced;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_NEW_OS;
  e.new_os = &n;
  impcert_send(fx, &e);
}

/* Reload, forced (a device group move) or not. */
static void reload(impcert_fx *fx, bool forced) {
  Impwire__Reload r = IMPWIRE__RELOAD__INIT;
  r.has_forced = forced;
  r.forced = forced;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_RELOAD;
  e.reload = &r;
  impcert_send(fx, &e);
}

/* Send the agent message `name` (null data) to the device. */
static void agent(impcert_fx *fx, const char *name) {
  Impwire__Value v = IMPWIRE__VALUE__INIT;
  v.kind_case = IMPWIRE__VALUE__KIND_IS_NULL;
  v.is_null = 1;
  Impwire__AgentMessage am = IMPWIRE__AGENT_MESSAGE__INIT;
  am.name = (char *)name;
  am.data = &v;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
  e.agent_message = &am;
  impcert_send(fx, &e);
}

/* Read frames for up to ms: true as soon as a Log whose text starts with
** prefix arrives; false at the timeout or when the session closes. */
static bool log_seen(impcert_fx *fx, const char *prefix, unsigned ms) {
  for (unsigned t = 0; t < ms; t += 100) {
    const Impwire__Envelope *e = impcert_next_frame(fx, 100);
    if (!e) {
      if (impcert_cloud_wait_closed(fx, 0))
        return false;
      continue;
    }
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
        strncmp(e->log->text, prefix, strlen(prefix)) == 0)
      return true;
  }
  return false;
}

/* The next frame that is not a Log (a Log starting with "shutdown" is
** counted in *handler_calls), or NULL when the session closes or nothing
** comes within ms. */
static const Impwire__Envelope *next_non_log(impcert_fx *fx, unsigned ms,
                                             int *handler_calls) {
  for (unsigned t = 0; t < ms; t += 100) {
    const Impwire__Envelope *e = impcert_next_frame(fx, 100);
    if (!e) {
      if (impcert_cloud_wait_closed(fx, 0))
        return NULL;
      continue;
    }
    if (e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG)
      return e;
    if (strncmp(e->log->text, "shutdown", 8) == 0)
      ++*handler_calls;
  }
  return NULL;
}

/* The device went down for a new OS: a new session whose DeviceState
** (returned) comes with the CodeHash of the code it had; answered. */
static const Impwire__DeviceState *new_session(impcert_fx *fx,
                                               const char *what) {
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session within %d ms after %s", WAIT, what);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  return s;
}

/* The OS `version` is installed: the session closes (no shutdown handler
** call before), the next session reports it with WAKEREASON_NEW_FIRMWARE. */
static void installed(impcert_fx *fx, const char *version, const char *what) {
  int calls = 0;
  const Impwire__Envelope *e = next_non_log(fx, WAIT, &calls);
  IMPCERT_CHECK_MSG(fx, calls == 0, "the shutdown handler was called for "
                    "%s", what);
  if (e)
    IMPCERT_FAIL_NOW(fx, "after %s the device sent message %d instead of "
                     "restarting into the new OS", what, (int)e->msg_case);
  const Impwire__DeviceState *s = new_session(fx, what);
  IMPCERT_CHECK_MSG(fx, strcmp(s->os_version, version) == 0,
                    "after %s os_version is '%s', not '%s'", what,
                    s->os_version, version);
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_NEW_FIRMWARE,
                    "after %s the wake reason is %u, not "
                    "WAKEREASON_NEW_FIRMWARE", what, s->wake_reason);
}

/* The session stays open and the device sends nothing but logs for QUIET
** ms of device time: it keeps deferring. */
static void still_deferring(impcert_fx *fx, const char *what) {
  int calls = 0;
  impcert_device_wait(fx, QUIET); /* what it sends meanwhile is queued */
  const Impwire__Envelope *e = next_non_log(fx, SETTLE_MS, &calls);
  IMPCERT_CHECK_MSG(fx, !e && !impcert_cloud_wait_closed(fx, 0),
                    "%s: the device %s although its handler deferred", what,
                    e ? "sent a frame" : "closed the session");
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

/* ---- the tests --------------------------------------------------------------- */

/* POLITE-001: without a handler, Reload and NewOs are acted on at once. */
static void no_handler(impcert_fx *fx) {
  online_with(fx, "server.log(\"ready\");");
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  reload(fx, false);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_NEW_SQUIRREL,
                    "a Reload without a handler gave wake reason %u",
                    s->wake_reason);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  offer(fx, "38.91 polite", true, false);
  installed(fx, "38.91 polite", "a NewOs without a handler");
}

/* POLITE-005, POLITE-009, POLITE-010: the handler gets 1 for a Reload and
** 2 for a NewOs (never SHUTDOWN_OTHER); the OS is not installed until
** server.restart(), which completes it with WAKEREASON_NEW_FIRMWARE (the
** cloud offers it again if the device went back to step 2 for it). */
static void restart_completes_os(impcert_fx *fx) {
  online_with(fx, HANDLER GO "server.log(\"ready\");");
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  reload(fx, false);
  const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no frame after a Reload: the handler did not log");
  IMPCERT_CHECK_MSG(fx, e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
                            strcmp(e->log->text, "shutdown 1") == 0,
                    "for a Reload the handler did not log 'shutdown 1' "
                    "(SHUTDOWN_NEWSQUIRREL)");
  offer(fx, "38.92 polite", true, false);
  e = impcert_next_frame(fx, WAIT);
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no frame after a NewOs: the handler did not log "
                     "(the device restarted or said nothing)");
  IMPCERT_CHECK_MSG(fx, e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
                            strcmp(e->log->text, "shutdown 2") == 0,
                    "for a NewOs the handler did not log 'shutdown 2' "
                    "(SHUTDOWN_NEWFIRMWARE)");
  still_deferring(fx, "a NewOs deferred");
  agent(fx, "go");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_RESTART, WAIT);
  int calls = 0;
  e = next_non_log(fx, WAIT, &calls);
  if (e && e->msg_case == IMPWIRE__ENVELOPE__MSG_DEVICE_STATE) {
    /* back to step 2 on this session: the cloud offers the OS again */
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
    offer(fx, "38.92 polite", true, false);
  } else if (e) {
    IMPCERT_FAIL_NOW(fx, "after server.restart() the device sent message "
                     "%d", (int)e->msg_case);
  }
  if (e)
    installed(fx, "38.92 polite", "the NewOs offered again after "
                                  "server.restart()");
  else {
    const Impwire__DeviceState *s =
        new_session(fx, "server.restart() with a NewOs deferred");
    IMPCERT_CHECK_MSG(fx, strcmp(s->os_version, "38.92 polite") == 0,
                      "after server.restart() os_version is '%s'",
                      s->os_version);
    IMPCERT_CHECK_MSG(fx, s->wake_reason ==
                              IMPCERT_WAKEREASON_NEW_FIRMWARE,
                      "after server.restart() the wake reason is %u, not "
                      "WAKEREASON_NEW_FIRMWARE", s->wake_reason);
  }
  IMPCERT_CHECK_MSG(fx, calls == 0, "the handler was called again while "
                    "server.restart() completed the update");
}

/* POLITE-011: a forced NewOs is installed at once, handler or not. */
static void forced_os(impcert_fx *fx) {
  online_with(fx, HANDLER "server.log(\"ready\");");
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  offer(fx, "38.93 polite", true, true);
  installed(fx, "38.93 polite", "a forced NewOs");
}

/* OSUPD-006: the cloud's rule of wire.md: a device whose handler keeps
** deferring is left alone until POLITE_DEFER_LIMIT_MS, then forced; the
** device keeps deferring through the whole day of device time and
** installs the forced update at once. */
static void deferred_too_long(impcert_fx *fx) {
  online_with(fx, HANDLER "server.log(\"ready\");");
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  offer(fx, "38.94 polite", true, false);
  IMPCERT_REQUIRE(fx, log_seen(fx, "shutdown 2", WAIT));
  impcert_clock_advance(fx, DEFER_LIMIT_MS - 1000);
  still_deferring(fx, "a day of device time later");
  impcert_clock_advance(fx, 1000);
  offer(fx, "38.94 polite", true, true); /* the cloud forces it now */
  installed(fx, "38.94 polite", "the forced NewOs after the deferral limit");
}

/* POLITE-019: a device moved to another device group gets a forced
** Reload (and, if the group's OS differs, a forced NewOs): no handler. */
static void group_move(impcert_fx *fx) {
  online_with(fx, HANDLER "server.log(\"ready\");");
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  reload(fx, true);
  int calls = 0;
  const Impwire__Envelope *e = next_non_log(fx, WAIT, &calls);
  IMPCERT_CHECK_MSG(fx, calls == 0,
                    "the handler was called for a forced Reload");
  IMPCERT_REQUIRE(fx, e && e->msg_case == IMPWIRE__ENVELOPE__MSG_DEVICE_STATE);
  IMPCERT_CHECK_MSG(fx, e->device_state->wake_reason ==
                            IMPCERT_WAKEREASON_NEW_SQUIRREL,
                    "after a forced Reload the wake reason is %u",
                    e->device_state->wake_reason);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, HANDLER "server.log(\"group B\");", false);
  IMPCERT_REQUIRE(fx, log_seen(fx, "group B", WAIT));
  offer(fx, "38.95 polite", true, true);
  installed(fx, "38.95 polite", "the new group's forced NewOs");
}

/* POLITE-013, OSUPD-005: a handler registered before a deep sleep is gone
** after the warm boot. The update it deferred stays deferred through the
** wake (a wake is no power-on: wake reason TIMER, the old OS); the woken
** code does not register the handler again and talks to the server
** (which connects), and the NewOs the cloud then offers is installed at
** once. */
static void warm_boot_forgets(impcert_fx *fx) {
  online_with(fx, "if (hardware.wakereason() == WAKEREASON_TIMER) {\n"
                  "  server.log(\"warm\");\n"
                  "} else {\n"
                  HANDLER
                  "  agent.on(\"sleep\", function(d) {\n"
                  "    imp.wakeup(0.1, function() { imp.deepsleepfor(1); });"
                  " });\n"
                  "  server.log(\"cold\");\n"
                  "}\n");
  IMPCERT_REQUIRE(fx, log_seen(fx, "cold", WAIT));
  offer(fx, "38.96 polite", true, false);
  IMPCERT_CHECK_MSG(fx, log_seen(fx, "shutdown 2", WAIT),
                    "the handler did not take the NewOs before the sleep");
  agent(fx, "sleep");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  sleep_out(fx, 1000);
  const Impwire__DeviceState *s = new_session(fx, "the deep sleep");
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_TIMER,
                    "the wake from deep sleep reports wake reason %u, not "
                    "WAKEREASON_TIMER", s->wake_reason);
  IMPCERT_CHECK_MSG(fx, strcmp(s->os_version, "38.96 polite") != 0,
                    "the wake from deep sleep installed the deferred "
                    "update before the cloud offered it again");
  IMPCERT_REQUIRE(fx, log_seen(fx, "warm", WAIT));
  offer(fx, "38.96 polite", true, false);
  installed(fx, "38.96 polite", "a NewOs after a warm boot whose code did "
                                "not register the handler again");
}

/* POLITE-014: a notice that comes before server.onshutdown() is called is
** acted on at once; once registered, the handler takes the next one. */
static void before_registration(impcert_fx *fx) {
  online_with(fx, "agent.on(\"arm\", function(d) {\n" HANDLER
                  "  server.log(\"armed\"); });\n"
                  "server.log(\"ready\");\n");
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  reload(fx, false);
  int calls = 0;
  const Impwire__Envelope *e = next_non_log(fx, WAIT, &calls);
  IMPCERT_CHECK_MSG(fx, e && e->msg_case ==
                                 IMPWIRE__ENVELOPE__MSG_DEVICE_STATE,
                    "a Reload before server.onshutdown() was not acted on "
                    "at once");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  agent(fx, "arm");
  IMPCERT_REQUIRE(fx, log_seen(fx, "armed", WAIT));
  reload(fx, false);
  IMPCERT_CHECK_MSG(fx, log_seen(fx, "shutdown 1", WAIT),
                    "the handler registered later was not called");
  still_deferring(fx, "a Reload after server.onshutdown()");
}

/* POLITE-015: server.onshutdown(null) unregisters: the next notice is
** acted on at once. */
static void unregister(impcert_fx *fx) {
  online_with(fx, HANDLER
              "agent.on(\"disarm\", function(d) { server.onshutdown(null);\n"
              "  server.log(\"disarmed\"); });\n"
              "server.log(\"ready\");\n");
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  agent(fx, "disarm");
  IMPCERT_REQUIRE(fx, log_seen(fx, "disarmed", WAIT));
  offer(fx, "38.97 polite", true, false);
  installed(fx, "38.97 polite", "a NewOs after server.onshutdown(null)");
}

/* POLITE-016: server.restart() after a warm boot makes the device connect
** and run the boot conversation without the code asking for it. */
static void restart_after_warm_boot(impcert_fx *fx) {
  online_with(fx, "if (hardware.wakereason() == WAKEREASON_TIMER) {\n"
                  "  imp.wakeup(0, function() { server.restart(); });\n"
                  "} else if (hardware.wakereason() != "
                  "WAKEREASON_SW_RESTART) {\n"
                  "  server.log(\"cold\");\n"
                  "  imp.wakeup(0.1, function() { imp.deepsleepfor(1); });\n"
                  "} else server.log(\"restarted\");\n");
  IMPCERT_REQUIRE(fx, log_seen(fx, "cold", WAIT));
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  sleep_out(fx, 1000);
  /* the woken code never talks to the server: only the restart connects */
  const Impwire__DeviceState *s =
      new_session(fx, "server.restart() after a warm boot");
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_SW_RESTART,
                    "the session after server.restart() reports wake "
                    "reason %u, not WAKEREASON_SW_RESTART", s->wake_reason);
  IMPCERT_CHECK_MSG(fx, log_seen(fx, "restarted", WAIT),
                    "the code did not run again after server.restart()");
}

/* REG-012 (impOS 38): every server.restart() restarts the VM: twice on a
** session, and once with no session (after server.disconnect()). */
static void every_restart(impcert_fx *fx) {
  online_with(fx, "agent.on(\"restart\", function(d) { server.restart(); "
                  "});\n"
                  "agent.on(\"offline\", function(d) {\n"
                  "  server.disconnect(); server.restart(); });\n"
                  "server.log(\"run \" + hardware.wakereason());\n");
  IMPCERT_REQUIRE(fx, log_seen(fx, "run ", WAIT));
  for (int i = 1; i <= 2; i++) {
    agent(fx, "restart");
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_RESTART, WAIT);
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
    impcert_send_answer(fx, true, NULL, false);
    IMPCERT_CHECK_MSG(fx, log_seen(fx, "run 10", WAIT),
                      "server.restart() number %d did not restart the VM "
                      "(no 'run 10' log)", i);
  }
  agent(fx, "offline");
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  const Impwire__DeviceState *s =
      new_session(fx, "server.disconnect(); server.restart()");
  IMPCERT_CHECK(fx, s->wake_reason == IMPCERT_WAKEREASON_SW_RESTART);
  IMPCERT_CHECK_MSG(fx, log_seen(fx, "run 10", WAIT),
                    "server.restart() with no session did not restart the "
                    "VM");
}

/* POLITE-017: a NewOs during the boot conversation (before Squirrel
** starts) is installed before the code runs: no handler call. */
static void before_squirrel(impcert_fx *fx) {
  online_with(fx, HANDLER "server.log(\"ready\");");
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  offer(fx, "38.98 polite", true, false); /* before the CloudAnswer */
  installed(fx, "38.98 polite", "a NewOs in the boot conversation");
}

/* OSUPD-002: a NewOs without an image leaves the OS as it is; acted on
** (no handler) the device goes back to step 2, where the image comes. */
static void no_image(impcert_fx *fx) {
  const char *code = "server.log(\"ready\");";
  online_with(fx, code);
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  const Impwire__DeviceState *s0 = new_session(fx, "a power cycle");
  char before[128];
  snprintf(before, sizeof before, "%s", s0->os_version);
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  offer(fx, "38.99 polite", false, false);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, strcmp(s->os_version, before) == 0,
                    "a NewOs without an image changed os_version to '%s'",
                    s->os_version);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  offer(fx, "38.99 polite", true, false);
  installed(fx, "38.99 polite", "the image sent at step 2");
}

/* ---- power cuts during an impOS update --------------------------------- */

/* The cut points over len bytes: evenly spread, plus the edges. */
static int cut_points(uint64_t len, uint64_t *out, int cap) {
  int n = 0;
  uint64_t step = len / CUT_POINTS ? len / CUT_POINTS : 1;
  for (uint64_t k = 0; k < len && n < cap; k += step)
    out[n++] = k;
  const uint64_t edges[] = {1, len - 1, len - 64, len - 65};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0] && n < cap; i++) {
    bool dup = edges[i] >= len;
    for (int j = 0; j < n && !dup; j++)
      dup = out[j] == edges[i];
    if (!dup)
      out[n++] = edges[i];
  }
  return n;
}

/* REG-048, REG-027: a power cut at each cut point of an impOS update
** (the image written, the restart, the install at power-on): after each
** the device boots the old OS or the new one, still connects with its
** code, and the next offer installs the new OS (nothing sticks). */
static void cut_os_update(impcert_fx *fx) {
  const char *code = "server.log(\"ready\");";
  uint64_t b0, b1, pts[CUT_POINTS + 8];
  char base[128], version[32];
  online_with(fx, code);
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  /* measure one update's flash writes: the download, the restart and
  ** the install at its power-on (version strings of one length, so that
  ** every update writes as much) */
  impcert_jig_flash_fault(fx, -1, 0, &b0);
  offer(fx, "38.100 update", true, false);
  installed(fx, "38.100 update", "the measuring update");
  impcert_jig_flash_fault(fx, -1, 0, &b1);
  if (b1 <= b0) {
    /* the counter restarted with the board: count from its restart */
    b0 = 0;
  }
  IMPCERT_REQUIRE(fx, b1 > b0);
  int n = cut_points(b1 - b0, pts, (int)(sizeof pts / sizeof pts[0]));
  impcert_note(fx, "an impOS update writes %llu flash bytes; %d cut points",
               (unsigned long long)(b1 - b0), n);
  snprintf(base, sizeof base, "38.100 update");
  for (int i = 0; i < n; i++) {
    snprintf(version, sizeof version, "38.%03d update", 101 + i);
    impcert_jig_flash_fault(fx, (long long)pts[i], 0, NULL);
    offer(fx, version, true, false);
    if (!impcert_dut_wait_power_cut(fx, WAIT))
      IMPCERT_FAIL_NOW(fx, "the cut at byte %llu never came: the update "
                       "wrote fewer bytes than the measured %llu",
                       (unsigned long long)pts[i],
                       (unsigned long long)(b1 - b0));
    impcert_dut_power_on(fx);
    const Impwire__DeviceState *s = new_session(fx, "a power cut");
    bool old = strcmp(s->os_version, base) == 0;
    bool neu = strcmp(s->os_version, version) == 0;
    IMPCERT_CHECK_MSG(fx, old || neu,
                      "after a cut at byte %llu of the update to '%s' the "
                      "device runs '%s': neither the old nor the new OS",
                      (unsigned long long)pts[i], version, s->os_version);
    IMPCERT_CHECK_MSG(fx, log_seen(fx, "ready", WAIT),
                      "after a cut at byte %llu the code did not run",
                      (unsigned long long)pts[i]);
    if (!old && !neu)
      return;
    if (neu)
      snprintf(base, sizeof base, "%s", version);
  }
  /* REG-027: the interrupted update does not stick: offered again, it
  ** is installed */
  offer(fx, "38.200 update", true, false);
  installed(fx, "38.200 update", "the update after the power cuts");
}

/* REG-040 (impOS 36.x): an imp003 or imp004m shows solid green while it
** upgrades: after the restart into a new OS, before its session. */
static void green_while_upgrading(impcert_fx *fx) {
  online_with(fx, "server.log(\"ready\");");
  IMPCERT_REQUIRE(fx, log_seen(fx, "ready", WAIT));
  /* forget the LED states so far */
  while (impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_LED, 0))
    ;
  while (impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_HELLO, 0))
    ;
  offer(fx, "38.110 polite", true, true);
  const Impjig__JigEnvelope *h =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_HELLO, WAIT);
  IMPCERT_REQUIRE(fx, h != NULL);
  const Impjig__JigEnvelope *l =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_LED, WAIT);
  IMPCERT_CHECK_MSG(fx, l && l->led->colour == IMPJIG__LED__COLOUR__GREEN &&
                            !l->led->flashing,
                    "the first LED state of the restart into the new OS is "
                    "not solid green (upgrading)");
  installed(fx, "38.110 polite", "the upgrade");
}

static const struct impcert_case cases[] = {
    {"POLITE-001", "no shutdown handler: Reload and NewOs act at once",
     "POLITE-001", "polite", "jig,squirrel,os-update", 0, no_handler},
    {"POLITE-009", "server.restart() completes a deferred impOS update",
     "POLITE-005,POLITE-009,POLITE-010,POLITE-003", "polite",
     "jig,squirrel,os-update", 0, restart_completes_os},
    {"POLITE-011", "a forced NewOs is installed without the handler",
     "POLITE-011", "polite", "jig,squirrel,os-update", 0, forced_os},
    {"OSUPD-006", "a day of deferral, then the cloud forces the update",
     "OSUPD-006,POLITE-010", "polite,osupd",
     "jig,squirrel,os-update,virtual-clock", 0, deferred_too_long},
    {"POLITE-019", "a device group move forces Reload and NewOs",
     "POLITE-019,POLITE-011", "polite", "jig,squirrel,os-update", 0,
     group_move},
    {"POLITE-013", "a warm boot forgets the handler; a NewOs then acts",
     "POLITE-013,OSUPD-005", "polite,osupd",
     "jig,squirrel,os-update,deep-sleep", 0, warm_boot_forgets},
    {"POLITE-014", "a notice before server.onshutdown() acts at once",
     "POLITE-014", "polite", "jig,squirrel", 0, before_registration},
    {"POLITE-015", "server.onshutdown(null) unregisters the handler",
     "POLITE-015", "polite", "jig,squirrel,os-update", 0, unregister},
    {"POLITE-016", "server.restart() after a warm boot connects",
     "POLITE-016", "polite", "jig,squirrel,deep-sleep", 0,
     restart_after_warm_boot},
    {"REG-012", "every server.restart() restarts the VM (impOS 38)",
     "REG-012,POLITE-007", "polite,regress", "jig,squirrel", 0,
     every_restart},
    {"POLITE-017", "a NewOs before Squirrel starts is installed first",
     "POLITE-017", "polite", "jig,jig-power,squirrel,os-update", 0,
     before_squirrel},
    {"OSUPD-002", "a NewOs without an image: step 2, OS unchanged",
     "OSUPD-002", "osupd", "jig,jig-power,squirrel,os-update", 0, no_image},
    {"REG-048", "power cut at every write of an impOS update",
     "REG-048,REG-027,OSUPD-001", "osupd,regress,power",
     "jig,jig-power,jig-flash-faults,squirrel,os-update", 120000,
     cut_os_update},
    {"REG-040", "imp003/imp004m: solid green LED while upgrading",
     "REG-040", "osupd,regress", "jig,squirrel,os-update,board:imp004m", 0,
     green_while_upgrading},
};

IMPCERT_PLUGIN("polite", cases)
